#!/usr/bin/env node
// `npm run ledger -- copy --from data/ibkr.db --to postgres://…`: ledger maintenance from the
// command line. `copy` moves an existing SQLite ledger into PostgreSQL (store/ledger-copy.ts);
// running it again, or into a database a live exporter already writes, counts nothing twice.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveDatabaseUrl } from '../config/config.js';
import { parseDatabaseUrl } from '../config/database-url.js';
import type { DatabaseUrl } from '../config/database-url.js';
import { copyLedger } from '../store/ledger-copy.js';
import type { CopySummary } from '../store/ledger-copy.js';
import { LedgerError } from '../store/ledger-error.js';
import { PostgresRefusal } from '../store/postgres-errors.js';

/** Exit codes, as the exporter's: 2 a usage or configuration mistake, 3 a ledger that cannot be used. */
const EXIT_USAGE = 2;
const EXIT_LEDGER = 3;

const USAGE = `usage: npm run ledger -- copy [--from FILE] [--to URL] [--batch N]
  copy      copies a SQLite ledger into PostgreSQL, merging with what the database holds;
            running it twice changes nothing
  --from    the SQLite ledger (default: IBKR_DB_PATH, else data/ibkr.db)
  --to      postgres:// URL of the target (default: IBKR_DATABASE_URL or IBKR_DATABASE_URL_FILE)
  --batch   rows per INSERT statement (default 5000)`;

class UsageError extends Error {}

function target(to: string | undefined): DatabaseUrl {
  const env = process.env;
  const given = (name: string) => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  if (to !== undefined) {
    const parsed = parseDatabaseUrl(to);
    if ('problem' in parsed) throw new UsageError(`--to ${parsed.problem}`);
    return parsed;
  }
  const problems: string[] = [];
  const url = resolveDatabaseUrl(
    {
      IBKR_DATABASE_URL: given('IBKR_DATABASE_URL'),
      IBKR_DATABASE_URL_FILE: given('IBKR_DATABASE_URL_FILE'),
    },
    (path) => readFileSync(path, 'utf8'),
    problems,
  );
  if (problems.length > 0) throw new UsageError(problems.join('; '));
  if (url === undefined)
    throw new UsageError('no target: give --to, or set IBKR_DATABASE_URL or IBKR_DATABASE_URL_FILE');
  return url;
}

function printSummary(summary: CopySummary): void {
  const out = process.stdout;
  out.write(
    `copied ${summary.from} (schema ${summary.sourceVersion}) into ${summary.to} (schema ${summary.targetVersion})\n`,
  );
  const width = Math.max(...summary.tables.map((t) => t.table.length));
  out.write(
    `${'table'.padEnd(width)}  ${'copied'.padStart(9)}  ${'updated'.padStart(9)}  ${'already present'.padStart(15)}\n`,
  );
  for (const t of summary.tables) {
    out.write(
      `${t.table.padEnd(width)}  ${String(t.copied).padStart(9)}  ${String(t.updated).padStart(9)}  ${String(t.present).padStart(15)}\n`,
    );
  }
  const { positions, accounts, days } = summary.derived;
  const n = (count: number, what: string) => `${count} ${what}${count === 1 ? '' : 's'}`;
  out.write(
    positions === 0
      ? 'derived: nothing changed, nothing to derive again\n'
      : `derived again from the merged fills: totals and round trips of ${n(positions, 'position')}, execution counts of ${n(accounts, 'account')}, daily totals of ${n(days, 'day')}\n`,
  );
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      batch: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (positionals.length !== 1 || positionals[0] !== 'copy') {
    throw new UsageError(
      positionals.length === 0 ? 'no command given' : `unknown command ${positionals.join(' ')}`,
    );
  }
  const batch = values.batch === undefined ? undefined : Number(values.batch);
  if (batch !== undefined && (!Number.isInteger(batch) || batch < 1 || batch > 100_000)) {
    throw new UsageError('--batch must be a whole number from 1 to 100000');
  }
  // npm runs scripts in the project root: a path given on the command line means where it was typed.
  const from =
    values.from === undefined
      ? process.env.IBKR_DB_PATH || 'data/ibkr.db'
      : resolve(process.env.INIT_CWD ?? process.cwd(), values.from);
  printSummary(await copyLedger({ from, to: target(values.to), batchSize: batch }));
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`ibkr-ledger: ${message}\n${USAGE}\n`);
    process.exit(EXIT_USAGE);
  }
  if (error instanceof LedgerError || error instanceof PostgresRefusal) {
    process.stderr.write(`ibkr-ledger: ${message}\n`);
    process.exit(EXIT_LEDGER);
  }
  process.stderr.write(`ibkr-ledger: the copy failed, nothing was copied: ${message}\n`);
  process.exit(1);
});
