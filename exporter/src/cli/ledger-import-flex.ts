// `npm run ledger -- import-flex statement.xml [--dry-run] [--account ID]`: a Flex statement file
// into the ledger the exporter uses (IBKR_DATABASE_URL / IBKR_DATABASE_URL_FILE, else the SQLite
// file at IBKR_DB_PATH), through the same importFlexStatement as the Flex Web Service schedule.
// The accounts it may import are those the ledger already knows, plus every --account given.
import { existsSync } from 'node:fs';
import type { DatabaseUrl } from '../config/database-url.js';
import type { FlexImportSummary } from '../domain/flex.js';
import { importFlexStatement } from '../flex/import-statement.js';
import { LedgerError } from '../store/ledger-error.js';
import { PostgresStore } from '../store/postgres-store.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { PersistedState, Store } from '../store/store.js';

export interface ImportFlexOptions {
  /** The statement's path, as given, and its text. */
  file: string;
  xml: string;
  /** PostgreSQL when given; else the SQLite file. */
  database?: DatabaseUrl;
  dbPath: string;
  accounts: string[];
  dryRun: boolean;
}

/** A mistake of the command line (exit 2): here, no account to import into. */
export class ImportUsageError extends Error {}

/** Every account the ledger holds something of: positions, account values or fills. */
export function knownAccounts(state: PersistedState): string[] {
  const accounts = new Set<string>();
  for (const p of state.positions) accounts.add(p.position.account);
  for (const v of state.accountValues) accounts.add(v.account);
  for (const c of state.executionCounts) accounts.add(c.account);
  for (const t of state.ledger) accounts.add(t.account);
  return [...accounts].sort();
}

async function openStore(options: ImportFlexOptions): Promise<Store> {
  if (options.database === undefined) return openSqlite(options);
  const store = new PostgresStore({ url: options.database.url, redacted: options.database.redacted });
  try {
    await store.open();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

/**
 * The SQLite ledger, refused while an exporter holds it: one writer per file (its lock), and a
 * running exporter would not see fills written behind its back until it restarted. A dry run of
 * a file that does not exist yet plans against an empty ledger in memory and creates nothing.
 */
function openSqlite(options: ImportFlexOptions): Store {
  const { dbPath } = options;
  if (!existsSync(dbPath)) {
    if (options.accounts.length === 0) {
      throw new ImportUsageError(
        `the ledger ${dbPath} does not exist yet: start the exporter once (it learns the gateway's accounts), or pass --account ID for each account of the statement`,
      );
    }
    if (options.dryRun) return new SqliteStore({ path: ':memory:' });
  }
  try {
    return new SqliteStore({ path: dbPath });
  } catch (error) {
    if (error instanceof LedgerError && error.problem === 'in_use') {
      throw new LedgerError(
        'in_use',
        error.ledger,
        error.what,
        'stop that exporter, import, then start it again (it reads the imported fills at start); a dry run needs it stopped too',
        { cause: error },
      );
    }
    throw error;
  }
}

/** Imports the statement and returns the table to print. Throws FlexInputError, LedgerError, … */
export async function importFlexFile(options: ImportFlexOptions): Promise<string> {
  const store = await openStore(options);
  try {
    const known = knownAccounts(await store.load());
    const location = store.location === ':memory:' ? options.dbPath : store.location;
    const managed = [...new Set([...known, ...options.accounts])].sort();
    if (managed.length === 0) {
      throw new ImportUsageError(
        `the ledger ${location} knows no account yet: start the exporter once (it learns the gateway's accounts), or pass --account ID for each account of the statement`,
      );
    }
    const result = await importFlexStatement(store, options.xml, {
      managedAccounts: managed,
      dryRun: options.dryRun,
    });
    return formatSummary(options.file, location, result.summary);
  } finally {
    await store.close();
  }
}

/** One row per account: what the statement added, merged, skipped and cancelled. */
export function formatSummary(file: string, ledger: string, summary: FlexImportSummary): string {
  const head = summary.dryRun
    ? `dry run of ${file} against ${ledger}: what an import would do`
    : `imported ${file} into ${ledger}`;
  const header = ['account', 'add', 'merge', 'skip', 'cancel'];
  const rows = summary.accounts.map((a) => [a.account, a.add, a.merge, a.skip, a.cancel].map(String));
  const width = Math.max(...[header, ...rows].map((r) => r[0]!.length));
  const line = (r: string[]) =>
    [r[0]!.padEnd(width), ...r.slice(1).map((cell, i) => cell.padStart(header[i + 1]!.length + 2))].join('');
  const lines = [head, line(header), ...rows.map(line)];
  for (const row of summary.ignored ?? [])
    lines.push(`left out, line ${row.line} (${row.account}): ${row.reason}`);
  if (summary.dryRun) lines.push('dry run: nothing written');
  return `${lines.join('\n')}\n`;
}
