// A ledger the exporter cannot use: which one, what is wrong in plain words, and what to do. Each
// backend's start-up check throws it (SQLite names the file, PostgreSQL its redacted URL) and
// main.ts is the one place that prints it and exits with EXIT_LEDGER.

/** Why a ledger was refused; the backend-neutral part of the error, for tests and callers. */
export type LedgerProblem =
  | 'not_a_file'
  | 'unreadable'
  | 'read_only'
  | 'read_only_filesystem'
  | 'directory_not_writable'
  | 'not_a_database'
  | 'damaged'
  | 'newer_schema'
  | 'in_use'
  | 'cannot_open';

export class LedgerError extends Error {
  override readonly name = 'LedgerError';

  constructor(
    readonly problem: LedgerProblem,
    /** The ledger as the operator knows it: a file path, or a URL without its password. */
    readonly ledger: string,
    /** What is wrong, in plain words: "it is read-only (mode 0444, owner 0)". */
    readonly what: string,
    /** What to do about it: "make it writable by uid 1000 or set IBKR_DB_PATH". */
    readonly remedy: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot use the ledger ${ledger}: ${what}; ${remedy}`, options);
  }
}
