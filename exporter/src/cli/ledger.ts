#!/usr/bin/env node
// `npm run ledger -- copy --from data/ibkr.db --to postgres://…`: ledger maintenance from the
// command line. `copy` moves an existing SQLite ledger into PostgreSQL (store/ledger-copy.ts);
// running it again, or into a database a live exporter already writes, counts nothing twice.
// `import-flex` imports a Flex statement file into the exporter's ledger (docs/flex.md).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveDatabaseUrl } from '../config/config.js';
import { parseDatabaseUrl } from '../config/database-url.js';
import type { DatabaseUrl } from '../config/database-url.js';
import { FlexInputError } from '../domain/flex.js';
import { copyLedger } from '../store/ledger-copy.js';
import type { CopySummary } from '../store/ledger-copy.js';
import { LedgerError } from '../store/ledger-error.js';
import { PostgresRefusal } from '../store/postgres-errors.js';
import { importFlexFile, ImportUsageError } from './ledger-import-flex.js';

/**
 * Exit codes, as the exporter's: 2 a usage or configuration mistake, 3 a ledger that cannot be
 * used; 4 a statement that cannot be imported (not Flex XML, an account the ledger does not
 * manage, a trade without its execution id): the message names the line, nothing was imported.
 */
const EXIT_USAGE = 2;
const EXIT_LEDGER = 3;
const EXIT_STATEMENT = 4;

const USAGE = `usage: npm run ledger -- copy [--from FILE] [--to URL] [--batch N]
       npm run ledger -- import-flex STATEMENT.xml [--dry-run] [--account ID]...
  copy         copies a SQLite ledger into PostgreSQL, merging with what the database holds;
               running it twice changes nothing
  --from       the SQLite ledger (default: IBKR_DB_PATH, else data/ibkr.db)
  --to         postgres:// URL of the target (default: IBKR_DATABASE_URL or IBKR_DATABASE_URL_FILE)
  --batch      rows per INSERT statement (default 5000)
  import-flex  imports a Flex statement (XML) into the exporter's ledger: IBKR_DATABASE_URL or
               IBKR_DATABASE_URL_FILE, else IBKR_DB_PATH (default data/ibkr.db); importing it
               again changes nothing
  --dry-run    prints what it would add, merge, skip and cancel, and writes nothing
  --account    an account the statement may be for, besides those the ledger knows (repeatable)`;

class UsageError extends Error {}

const given = (name: string) =>
  process.env[name] === undefined || process.env[name] === '' ? undefined : process.env[name];

/** IBKR_DATABASE_URL or IBKR_DATABASE_URL_FILE, as the exporter resolves them; undefined when neither is set. */
function configuredDatabase(): DatabaseUrl | undefined {
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
  return url;
}

function target(to: string | undefined): DatabaseUrl {
  if (to !== undefined) {
    const parsed = parseDatabaseUrl(to);
    if ('problem' in parsed) throw new UsageError(`--to ${parsed.problem}`);
    return parsed;
  }
  const url = configuredDatabase();
  if (url === undefined)
    throw new UsageError('no target: give --to, or set IBKR_DATABASE_URL or IBKR_DATABASE_URL_FILE');
  return url;
}

/** npm runs scripts in the project root: a path given on the command line means where it was typed. */
const typed = (path: string) => resolve(process.env.INIT_CWD ?? process.cwd(), path);

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

/** What failed, for the last-resort message of an unexpected error. */
let command = 'the command';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      batch: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      account: { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const [name, ...rest] = positionals;
  // Options belong to one command each: a default (false, []) counts as not given.
  const only = (allowed: string[]) => {
    const wrong = Object.entries(values).find(
      ([option, value]) =>
        !allowed.includes(option) &&
        option !== 'help' &&
        value !== undefined &&
        value !== false &&
        !(Array.isArray(value) && value.length === 0),
    );
    if (wrong) throw new UsageError(`${name} does not take --${wrong[0]}`);
  };
  if (name === 'import-flex') {
    command = 'the import';
    only(['dry-run', 'account']);
    if (rest.length !== 1) throw new UsageError('import-flex takes one statement file');
    const file = rest[0]!;
    let xml: string;
    try {
      xml = readFileSync(typed(file), 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new UsageError(`cannot read the statement ${file} (${code})`);
    }
    process.stdout.write(
      await importFlexFile({
        file,
        xml,
        database: configuredDatabase(),
        dbPath: process.env.IBKR_DB_PATH || 'data/ibkr.db',
        accounts: values.account,
        dryRun: values['dry-run'],
      }),
    );
    return;
  }
  if (name !== 'copy' || rest.length > 0) {
    throw new UsageError(
      name === undefined ? 'no command given' : `unknown command ${positionals.join(' ')}`,
    );
  }
  command = 'the copy';
  only(['from', 'to', 'batch']);
  const batch = values.batch === undefined ? undefined : Number(values.batch);
  if (batch !== undefined && (!Number.isInteger(batch) || batch < 1 || batch > 100_000)) {
    throw new UsageError('--batch must be a whole number from 1 to 100000');
  }
  const from = values.from === undefined ? process.env.IBKR_DB_PATH || 'data/ibkr.db' : typed(values.from);
  printSummary(await copyLedger({ from, to: target(values.to), batchSize: batch }));
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  const usage =
    error instanceof UsageError ||
    error instanceof ImportUsageError ||
    (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
  if (usage) {
    process.stderr.write(`ibkr-ledger: ${message}\n${USAGE}\n`);
    process.exit(EXIT_USAGE);
  }
  if (error instanceof LedgerError || error instanceof PostgresRefusal) {
    process.stderr.write(`ibkr-ledger: ${message}\n`);
    process.exit(EXIT_LEDGER);
  }
  if (error instanceof FlexInputError) {
    process.stderr.write(`ibkr-ledger: ${message}\n`);
    process.exit(EXIT_STATEMENT);
  }
  process.stderr.write(`ibkr-ledger: ${command} failed, nothing was written: ${message}\n`);
  process.exit(1);
});
