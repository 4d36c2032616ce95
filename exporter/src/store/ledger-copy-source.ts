// The SQLite side of `ledger copy`: the file opened read-only (the copy never writes its source,
// so it may run beside the exporter that owns it), checked to be a ledger of a schema this build
// knows, and read table by table in rowid order, a batch at a time, inside one read transaction:
// one consistent snapshot however long the copy takes, and never the whole table in memory.
import { existsSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { LedgerError } from './ledger-error.js';
import { loadMigrations } from './migrate.js';
import type { Row } from './rows.js';

const WHAT_TO_DO = "give --from the exporter's ledger file (IBKR_DB_PATH, data/ibkr.db by default)";

export interface SourceLedger {
  readonly path: string;
  readonly version: number;
  has(table: string): boolean;
  /** Every row of `table`, `size` at a time, in rowid order. */
  batches(table: string, size: number): Generator<Row[]>;
  /** One query's rows (small answers only). */
  all(sql: string): Row[];
  close(): void;
}

export function openSourceLedger(path: string): SourceLedger {
  const refuse = (problem: LedgerError['problem'], what: string, remedy = WHAT_TO_DO, cause?: unknown) =>
    new LedgerError(problem, path, what, remedy, { cause });
  if (!existsSync(path)) throw refuse('cannot_open', 'there is no such file');
  if (!statSync(path).isFile()) throw refuse('not_a_file', 'it is not a regular file');
  let db: Database.Database;
  let version: number;
  let tables: Set<string>;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true, timeout: 5000 });
    version = db.pragma('user_version', { simple: true }) as number;
    tables = new Set(
      db
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .pluck()
        .all() as string[],
    );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const code = String((error as { code?: unknown }).code ?? '');
    if (code === 'SQLITE_NOTADB')
      throw refuse('not_a_database', 'it is not an SQLite database', WHAT_TO_DO, error);
    throw refuse('cannot_open', `SQLite cannot read it (${message})`, WHAT_TO_DO, error);
  }
  const known = Math.max(0, ...loadMigrations().map((m) => m.version));
  if (version > known) {
    db.close();
    throw refuse(
      'newer_schema',
      `it was written by a newer version of the exporter (schema version ${version}; this build knows versions up to ${known})`,
      'copy it with that version of the exporter or a newer one (a ledger is never migrated backwards)',
    );
  }
  if (version === 0 || !tables.has('executions') || !tables.has('commission_reports')) {
    db.close();
    throw refuse(
      'not_a_database',
      'it is an SQLite database but not an exporter ledger (no schema version, or no executions table)',
    );
  }
  // One read transaction: every batch sees the same snapshot, even while an exporter writes.
  db.exec('BEGIN');
  return {
    path,
    version,
    has: (table) => tables.has(table),
    *batches(table, size) {
      const page = db.prepare(
        `SELECT rowid AS "rowid", * FROM "${table}" WHERE rowid > ? ORDER BY rowid LIMIT ?`,
      );
      let after = Number.MIN_SAFE_INTEGER;
      for (;;) {
        const rows = page.all(after, size) as Row[];
        if (rows.length === 0) return;
        after = rows.at(-1)!.rowid as number;
        yield rows;
        if (rows.length < size) return;
      }
    },
    all: (sql) => db.prepare(sql).all() as Row[],
    close() {
      if (db.inTransaction) db.exec('COMMIT');
      db.close();
    },
  };
}
