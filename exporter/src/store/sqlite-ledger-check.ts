// Checks, before anything opens it for writing, that a SQLite ledger file is one the exporter can
// use: a writable file in a writable directory (WAL keeps -wal and -shm beside it), an SQLite
// database, not damaged as far as a quick probe can tell, and a schema this build knows. Each
// failure is a LedgerError that names the file and what to do. Nothing here writes to the file.
import { accessSync, closeSync, constants, openSync, readSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { LedgerError } from './ledger-error.js';

/** Every SQLite database file starts with these 16 bytes (sqlite.org/fileformat.html §1.3). */
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');
const CHANGE_IT = 'set IBKR_DB_PATH';

export interface LedgerCheckOptions {
  /** The newest schema version this build can migrate to. */
  knownVersion: number;
  /** The process's uid, named in the advice; defaults to process.getuid(). */
  uid?: number;
}

const mode = (stats: Stats) => `0${(stats.mode & 0o777).toString(8).padStart(3, '0')}`;
const errno = (error: unknown) => (error as NodeJS.ErrnoException).code;

/** Throws a LedgerError when `path` cannot be used as the ledger; a missing file is a new ledger. */
export function checkSqliteLedger(path: string, options: LedgerCheckOptions): void {
  const uid = options.uid ?? process.getuid?.() ?? -1;
  const refuse = (problem: LedgerError['problem'], what: string, remedy: string, cause?: unknown) =>
    new LedgerError(problem, path, what, remedy, { cause });
  const stats = statOrUndefined(path);
  if (stats === undefined) {
    checkDirectory(path, uid, refuse);
    return;
  }
  if (stats.isDirectory()) {
    throw refuse(
      'not_a_file',
      'it is a directory, not a file',
      `set IBKR_DB_PATH to a file path such as ${resolve(path, 'ibkr.db')}`,
    );
  }
  if (!stats.isFile()) throw refuse('not_a_file', 'it is not a regular file', CHANGE_IT);
  const owner = `mode ${mode(stats)}, owner ${stats.uid}`;
  try {
    accessSync(path, constants.R_OK);
  } catch (error) {
    throw refuse(
      'unreadable',
      `it cannot be read by uid ${uid} (${owner})`,
      `make it readable and writable by uid ${uid} or ${CHANGE_IT}`,
      error,
    );
  }
  for (const file of [path, `${path}-wal`, `${path}-shm`]) checkWritable(file, path, uid, refuse);
  checkDirectory(path, uid, refuse);
  if (stats.size === 0) return; // SQLite makes an empty file a new database.
  checkHeader(path, refuse);
  probe(path, options.knownVersion, refuse);
}

type Refuse = (problem: LedgerError['problem'], what: string, remedy: string, cause?: unknown) => LedgerError;

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (error) {
    if (errno(error) === 'ENOENT') return undefined;
    throw new LedgerError('cannot_open', path, `it cannot be looked at (${errno(error)})`, CHANGE_IT, {
      cause: error,
    });
  }
}

function checkWritable(file: string, ledger: string, uid: number, refuse: Refuse): void {
  try {
    accessSync(file, constants.W_OK);
  } catch (error) {
    if (errno(error) === 'ENOENT') return;
    const which =
      file === ledger
        ? 'it is'
        : `its ${file.endsWith('-wal') ? 'write-ahead log' : 'shared-memory file'} ${basename(file)} is`;
    if (errno(error) === 'EROFS') {
      throw refuse(
        'read_only_filesystem',
        'it is on a read-only filesystem',
        `mount it read-write or ${CHANGE_IT} to a writable place`,
        error,
      );
    }
    const stats = statSync(file);
    throw refuse(
      'read_only',
      `${which} read-only (mode ${mode(stats)}, owner ${stats.uid})`,
      `make it writable by uid ${uid} or ${CHANGE_IT}`,
      error,
    );
  }
}

/** The nearest existing directory on the way to the file must let SQLite create files in it. */
function checkDirectory(path: string, uid: number, refuse: Refuse): void {
  let dir = dirname(resolve(path));
  while (statOrUndefined(dir) === undefined && dirname(dir) !== dir) dir = dirname(dir);
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (error) {
    if (errno(error) === 'EROFS') {
      throw refuse(
        'read_only_filesystem',
        `its directory ${dir} is on a read-only filesystem`,
        `mount it read-write or ${CHANGE_IT} to a writable place`,
        error,
      );
    }
    const stats = statSync(dir);
    const name = basename(path);
    throw refuse(
      'directory_not_writable',
      `its directory ${dir} is not writable by uid ${uid} (mode ${mode(stats)}, owner ${stats.uid}), and SQLite keeps ${name}-wal and ${name}-shm beside it`,
      `make the directory writable by uid ${uid} or ${CHANGE_IT}`,
      error,
    );
  }
}

function checkHeader(path: string, refuse: Refuse): void {
  const head = Buffer.alloc(SQLITE_HEADER.length);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (!head.equals(SQLITE_HEADER)) {
    throw refuse(
      'not_a_database',
      'it is not an SQLite database (it does not start with the SQLite header)',
      "point IBKR_DB_PATH at the exporter's ledger, or move this file away to start a new, empty ledger",
    );
  }
}

/**
 * A read-only connection (it never writes the file) reads the header page, the schema and the
 * first and last row of every table: SQLite refuses a file shorter than its header says, and the
 * last rows sit on the last pages. PRAGMA quick_check would read every page, which on a ledger of
 * a million executions costs more than the rest of start-up together.
 */
function probe(path: string, knownVersion: number, refuse: Refuse): void {
  let db: Database.Database | undefined;
  let version: number;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true, timeout: 1000 });
    version = db.pragma('user_version', { simple: true }) as number;
    const tables = db
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      .pluck()
      .all() as string[];
    for (const table of tables) {
      const quoted = `"${table.replaceAll('"', '""')}"`;
      db.prepare(`SELECT * FROM ${quoted} ORDER BY rowid LIMIT 1`).get();
      db.prepare(`SELECT * FROM ${quoted} ORDER BY rowid DESC LIMIT 1`).get();
    }
  } catch (error) {
    const code = String((error as { code?: unknown }).code ?? '');
    const message = error instanceof Error ? error.message : String(error);
    if (code === 'SQLITE_NOTADB') {
      throw refuse(
        'not_a_database',
        `it is not an SQLite database (SQLite: ${message})`,
        "point IBKR_DB_PATH at the exporter's ledger, or move this file away to start a new, empty ledger",
        error,
      );
    }
    if (code.startsWith('SQLITE_CORRUPT')) {
      throw refuse(
        'damaged',
        `it is damaged (SQLite: ${message})`,
        "restore it from a backup, or move it away to start a new, empty ledger (the gateway resends only today's executions)",
        error,
      );
    }
    throw refuse('cannot_open', `SQLite cannot read it (${message})`, CHANGE_IT, error);
  } finally {
    db?.close();
  }
  if (version > knownVersion) {
    throw refuse(
      'newer_schema',
      `it was written by a newer version of the exporter (schema version ${version}; this build knows versions up to ${knownVersion})`,
      'run that version or a newer one, or restore a backup from before the upgrade (a ledger is never migrated backwards)',
    );
  }
}
