// `npm run ledger -- import-flex` (the compiled CLI, as a user runs it) on the parser's fixture
// statement and a real SQLite ledger (and a real PostgreSQL, imported into while another store
// holds it): a dry run writes nothing, the import adds the statement's fills once, a second
// import skips them all, and each refusal has its exit code and names what to do. The fixture,
// by hand: 12 execution rows are fills (an order row, two closed lots and three rows IB booked — an
// expiry, an assignment and its delivered shares — are not; a trade and its
// cancellation in the same statement leave only the cancellation, which names no stored fill: a
// skip). AAPL: bought 100 (1 commission), sold 40 (1, FIFO realized 142.6) and 60 (1, 91.4):
// realized 234, commissions 3, three reports, all from Flex.
import { existsSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redactUrl } from '../src/config/database-url.js';
import { PostgresStore } from '../src/store/postgres-store.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { tempDir } from './support/exporter.js';
import { ledgerCli } from './support/ledger-cli.js';
import { describePostgres, startPostgres } from './support/postgres.js';
import type { PostgresCluster } from './support/postgres.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/flex/activity-statement.xml', import.meta.url));
const ACCOUNT = 'U1234567';

const row = (stdout: string) =>
  new RegExp(`^${ACCOUNT}\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)$`, 'm').exec(stdout)?.slice(1).map(Number);

function query(path: string, sql: string): Array<Record<string, unknown>> {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(sql).all() as Array<Record<string, unknown>>;
  } finally {
    db.close();
  }
}

describe('npm run ledger -- import-flex', () => {
  const dir = tempDir('import-flex');
  afterAll(() => dir.cleanup());

  it('dry-runs without writing, imports a statement once, and skips all of it the second time', async () => {
    const ledger = dir.file('ibkr.db');
    const env = { IBKR_DB_PATH: ledger };
    const unknown = await ledgerCli(['import-flex', FIXTURE, '--dry-run'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('start the exporter once');
    expect(unknown.stderr).toContain('--account ID');

    const dry = await ledgerCli(['import-flex', FIXTURE, '--dry-run', '--account', ACCOUNT], env);
    expect(dry.code).toBe(0);
    expect(row(dry.stdout)).toEqual([12, 0, 1, 0]);
    expect(dry.stdout).toContain('dry run: nothing written');
    // The three rows IB booked without an execution are named, not imported.
    const leftOut = dry.stdout.split('\n').filter((l) => l.startsWith('left out, line '));
    expect(leftOut).toHaveLength(3);
    expect(leftOut.join('\n')).toContain('option expiry booked by IB (Ep), not an execution');
    expect(existsSync(ledger)).toBe(false);

    const real = await ledgerCli(['import-flex', FIXTURE, '--account', ACCOUNT], env);
    expect(real.code).toBe(0);
    expect(real.stdout).toContain(`imported ${FIXTURE} into ${ledger}`);
    expect(row(real.stdout)).toEqual([12, 0, 1, 0]);
    expect(real.stdout).not.toContain('dry run');
    expect(query(ledger, `SELECT source, count(*) AS n FROM executions GROUP BY source`)).toEqual([
      { source: 'flex', n: 12 },
    ]);
    const aapl = `SELECT realized_pnl, commissions, reports, flex_reports FROM ledger_totals WHERE con_id = 265598`;
    expect(query(ledger, aapl)).toEqual([
      { realized_pnl: '234', commissions: '3', reports: 3, flex_reports: 3 },
    ]);
    expect(
      query(ledger, `SELECT status, realized_pnl, basis FROM ibkr_round_trips WHERE con_id = 265598`),
    ).toEqual([{ status: 'closed', realized_pnl: '234', basis: 'flex' }]);

    // The ledger knows the account now: no --account needed, and nothing changes.
    const again = await ledgerCli(['import-flex', FIXTURE], env);
    expect(again.code).toBe(0);
    expect(row(again.stdout)).toEqual([0, 0, 13, 0]);
    expect(query(ledger, aapl)).toEqual([
      { realized_pnl: '234', commissions: '3', reports: 3, flex_reports: 3 },
    ]);
  });

  it('refuses a statement for an account the ledger does not manage, naming it and its line (exit 4)', async () => {
    const ledger = dir.file('other.db');
    const result = await ledgerCli(['import-flex', FIXTURE, '--account', 'DU9'], { IBKR_DB_PATH: ledger });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain(`account ${ACCOUNT} (line 7)`);
    expect(result.stderr).toContain('nothing was imported');
    expect(query(ledger, 'SELECT count(*) AS n FROM executions')).toEqual([{ n: 0 }]);
  });

  it('refuses a file that is not a Flex statement (exit 4) and a missing one (exit 2)', async () => {
    const page = dir.file('login.html');
    writeFileSync(page, '<!DOCTYPE html><html><body>Log in</body></html>');
    const env = { IBKR_DB_PATH: dir.file('pages.db') };
    const html = await ledgerCli(['import-flex', page, '--account', ACCOUNT], env);
    expect(html.code).toBe(4);
    expect(html.stderr).toMatch(/^ibkr-ledger: .*Flex/);
    const missing = await ledgerCli(['import-flex', dir.file('nope.xml'), '--account', ACCOUNT], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read the statement');
  });

  it('refuses a SQLite ledger an exporter holds, naming the holder (exit 3)', async () => {
    const ledger = dir.file('held.db');
    const holder = new SqliteStore({ path: ledger });
    try {
      const result = await ledgerCli(['import-flex', FIXTURE, '--account', ACCOUNT], {
        IBKR_DB_PATH: ledger,
      });
      expect(result.code).toBe(3);
      expect(result.stderr).toContain(`pid ${process.pid}`);
      expect(result.stderr).toContain('stop that exporter, import, then start it again');
    } finally {
      holder.close();
    }
    expect(query(ledger, 'SELECT count(*) AS n FROM executions')).toEqual([{ n: 0 }]);
  });
});

describePostgres('npm run ledger -- import-flex into PostgreSQL', () => {
  let cluster: PostgresCluster;
  beforeAll(async () => {
    cluster = await startPostgres();
  });
  afterAll(() => cluster.destroy());

  it('imports while an exporter holds the database, which then reads the fills', async () => {
    const url = await cluster.createDatabase();
    // Stands for a running exporter: it has migrated the database and keeps its pool open.
    const running = new PostgresStore({ url, redacted: redactUrl(url) });
    try {
      await running.open();
      const result = await ledgerCli(['import-flex', FIXTURE, '--account', ACCOUNT], {
        IBKR_DATABASE_URL: url,
      });
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`into ${redactUrl(url)}`);
      expect(row(result.stdout)).toEqual([12, 0, 1, 0]);
      const aapl = (await running.load()).ledger.find((t) => t.conId === 265598);
      expect(aapl).toEqual({
        account: ACCOUNT,
        conId: 265598,
        currency: 'USD',
        realizedPnl: '234',
        commissions: '3',
        reports: 3,
        flexReports: 3,
      });
      const again = await ledgerCli(['import-flex', FIXTURE, '--dry-run'], { IBKR_DATABASE_URL: url });
      expect(again.code).toBe(0);
      expect(row(again.stdout)).toEqual([0, 0, 13, 0]);
    } finally {
      await running.close();
    }
  });
});
