// One exporter per ledger file. Two exporters writing one ledger would each keep their own
// in-memory totals and each re-sync the other's fills, so the second one is refused, naming the
// process that holds the file. The lock is an open write transaction on a small SQLite file
// beside the ledger (<ledger>.lock): SQLite takes it with a POSIX lock, which the kernel drops
// when its process dies, so a SIGKILL never leaves a lock behind. The holder's pid, host and
// start time are committed before the lock is held, so the refused exporter can read them.
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { LedgerError } from './ledger-error.js';

/** How long a refused exporter waits to read the holder, which may be committing it right now. */
const READ_HOLDER_MS = 500;
/** Two exporters starting in the same instant may both step back once; then try again. */
const ATTEMPTS = 3;

interface Holder {
  pid: number;
  host: string;
  started_at: string;
}

const busy = (error: unknown) => String((error as { code?: unknown }).code ?? '').startsWith('SQLITE_BUSY');

export class LedgerLock {
  private constructor(private readonly db: Database.Database) {}

  /** Takes the lock on `ledger`, or throws a LedgerError naming the exporter that holds it. */
  static acquire(ledger: string): LedgerLock {
    const file = `${ledger}.lock`;
    const token = randomUUID();
    for (let attempt = 1; ; attempt++) {
      const db = new Database(file, { timeout: 0 });
      try {
        if (LedgerLock.hold(db, token)) return new LedgerLock(db);
      } catch (error) {
        db.close();
        if (!busy(error)) {
          throw new LedgerError(
            'cannot_open',
            ledger,
            `its lock file ${file} cannot be used (${error instanceof Error ? error.message : String(error)})`,
            'remove the lock file while no exporter runs on this ledger, or set IBKR_DB_PATH',
            { cause: error },
          );
        }
        throw LedgerLock.inUse(ledger, file, error);
      }
      db.close();
      if (attempt === ATTEMPTS) throw LedgerLock.inUse(ledger, file);
    }
  }

  /** Commits our identity, then holds a write transaction; false if another one won the race. */
  private static hold(db: Database.Database, token: string): boolean {
    db.exec('BEGIN IMMEDIATE');
    db.exec(`CREATE TABLE IF NOT EXISTS holder (
      id INTEGER PRIMARY KEY CHECK (id = 1), pid INTEGER NOT NULL, host TEXT NOT NULL,
      started_at TEXT NOT NULL, token TEXT NOT NULL)`);
    db.prepare('INSERT OR REPLACE INTO holder VALUES (1, ?, ?, ?, ?)').run(
      process.pid,
      hostname(),
      new Date().toISOString(),
      token,
    );
    db.exec('COMMIT');
    // The lock itself: a RESERVED lock until release() or the process's death. Readers still read.
    db.exec('BEGIN IMMEDIATE');
    const holder = db.prepare('SELECT token FROM holder WHERE id = 1').pluck().get();
    if (holder === token) return true;
    db.exec('ROLLBACK');
    return false;
  }

  private static inUse(ledger: string, file: string, cause?: unknown): LedgerError {
    let holder: Holder | undefined;
    try {
      const reader = new Database(file, { readonly: true, timeout: READ_HOLDER_MS });
      try {
        holder = reader.prepare('SELECT pid, host, started_at FROM holder WHERE id = 1').get() as
          Holder | undefined;
      } finally {
        reader.close();
      }
    } catch {
      // The holder is still writing its name: say so without one.
    }
    const who = holder
      ? `another exporter (pid ${holder.pid} on host ${holder.host}, started ${holder.started_at})`
      : 'another exporter that is starting';
    return new LedgerError(
      'in_use',
      ledger,
      `it is in use by ${who}`,
      'stop that one first, or give each exporter its own IBKR_DB_PATH',
      { cause },
    );
  }

  release(): void {
    if (!this.db.open) return;
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
    this.db.close();
  }
}
