// Row plumbing shared by the SQLite stores: SQLite's NULL is the domain's "absent" (undefined).

export type Row = Record<string, unknown>;

export const opt = <T>(value: T | null | undefined): T | undefined => (value === null ? undefined : value);
export const nul = <T>(value: T | undefined): T | null => (value === undefined ? null : value);
