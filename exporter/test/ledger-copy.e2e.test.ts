// `npm run ledger -- copy` (the compiled CLI, as a user runs it) on a real SQLite ledger filled by
// the exporter from the simulator, into a real PostgreSQL: every table arrives, a second copy
// changes nothing, an exporter started on the copy serves the SQLite exporter's ledger values, a
// copy into a database a live exporter already writes counts nothing twice, and every refusal
// names the ledger (the URL redacted) with exit code 3.
import { copyFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import Big from 'big.js';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { Exporter } from '../src/exporter.js';
import { loadScenario } from '../src/sim/scenario.js';
import type { LiveExecutionInput, Scenario } from '../src/sim/scenario.js';
import { GatewaySimulator } from '../src/sim/server.js';
import { SCENARIOS, startTestExporter, tempDir, testConfig } from './support/exporter.js';
import { ledgerCli } from './support/ledger-cli.js';
import { describePostgres, startPostgres } from './support/postgres.js';
import type { PostgresCluster } from './support/postgres.js';

const ACCOUNT = 'DU1234567';
/** The /metrics families that come from the ledger rather than from what the gateway reports now. */
const LEDGER_FAMILIES =
  /^(ibkr_account_ledger_realized_pnl|ibkr_commissions_paid_total|ibkr_executions_total|ibkr_position_realized_pnl|ibkr_position_commissions)\{/;
/** A fill neither the SQLite ledger nor the demo scenario has: the live exporter's own. */
const OWN_FILL: LiveExecutionInput = {
  execId: '0000f1a2.6744b0ff.01.01',
  account: ACCOUNT,
  conId: 1520593,
  side: 'BOT',
  shares: 10,
  price: 211.25,
  commission: { commission: 0.35, currency: 'USD', realizedPnl: null },
};

type Row = Record<string, unknown>;

/** How each table is compared: its columns (SQLite's names), and the order of its rows. */
const TABLES: Record<string, { columns: string; order: string }> = {
  contracts: { columns: '*', order: 'con_id' },
  executions: { columns: '*', order: 'base_exec_id' },
  commission_reports: { columns: '*', order: 'base_exec_id' },
  ledger_totals: { columns: '*', order: 'account, con_id, currency' },
  account_executions: { columns: '*', order: 'account' },
  positions: { columns: '*', order: 'account, con_id' },
  position_snapshots: {
    columns:
      'account, con_id, taken_at, reason, quantity, avg_cost, market_value, unrealized_pnl, realized_pnl, daily_pnl',
    order: 'account, con_id, taken_at, reason',
  },
  account_values: { columns: '*', order: 'account, tag, currency' },
  account_pnl: { columns: '*', order: 'account' },
  stream_updates: { columns: '*', order: 'stream' },
  backfill_watermark: { columns: 'requested_at', order: 'requested_at' },
  round_trips: { columns: '*', order: 'id' },
  round_trip_totals: { columns: '*', order: 'round_trip_id, currency' },
  round_trip_fills: { columns: '*', order: 'round_trip_id, base_exec_id' },
  round_trip_carry: { columns: '*', order: 'account, con_id' },
  daily_realized: { columns: '*', order: 'account, currency, day' },
  orders: {
    columns: `id, idempotency_key, body_hash, request, account, con_id, symbol, sec_type, side, order_type,
      quantity, limit_price, client_id, ib_order_id, perm_id, status, filled, remaining, avg_fill_price,
      last_error, created_at, updated_at`,
    order: 'id',
  },
  order_status_history: {
    columns: 'order_id, at, source, status, filled, remaining, avg_fill_price, message',
    order: 'order_id, at, source, status',
  },
  order_fills: { columns: '*', order: 'base_exec_id' },
};

/** An order placed through the API, as the SQLite order store keeps it (the demo places none). */
function addOrder(path: string): void {
  const db = new Database(path);
  const at = Date.parse('2026-11-25T15:00:00Z');
  db.prepare(
    `INSERT INTO orders (id, idempotency_key, body_hash, request, account, con_id, symbol, sec_type, side, order_type,
       quantity, limit_price, client_id, ib_order_id, perm_id, status, filled, remaining, avg_fill_price, created_at,
       updated_at)
     VALUES ('5f0c4a9e-8f5e-4c36-9d39-0d6c1d2b7a11', 'key-1', 'hash', '{}', ?, 1520593, 'JPM', 'STK', 'BUY', 'LMT',
       '10', '209.5', 1, 7, 1840009001, 'Filled', 10, 0, 209.5, ?, ?)`,
  ).run(ACCOUNT, at, at + 2000);
  db.prepare(
    `INSERT INTO order_status_history (order_id, at, source, status, filled, remaining)
     VALUES ('5f0c4a9e-8f5e-4c36-9d39-0d6c1d2b7a11', ?, 'orderStatus', 'Filled', 10, 0)`,
  ).run(at + 2000);
  db.prepare(
    `INSERT INTO order_fills (base_exec_id, exec_id, revision, order_id, shares, price, time_ms, commission,
       commission_currency, realized_pnl)
     VALUES ('0000f1a2.6744c001.01', '0000f1a2.6744c001.01.01', 1, '5f0c4a9e-8f5e-4c36-9d39-0d6c1d2b7a11', 10, 209.5,
       ?, '0.35', 'USD', NULL)`,
  ).run(at + 1000);
  db.close();
}

/** The same value as either database hands it out: numbers as text, decimals without trailing zeros. */
function normal(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  const text = String(value);
  return /^-?\d+(\.\d+)?$/.test(text) ? new Big(text).toString() : text;
}
const normalRows = (rows: Row[]) =>
  rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, normal(v)])));

function sqliteTables(path: string): Record<string, Row[]> {
  const db = new Database(path, { readonly: true });
  try {
    return Object.fromEntries(
      Object.entries(TABLES).map(([table, { columns, order }]) => [
        table,
        normalRows(db.prepare(`SELECT ${columns} FROM ${table} ORDER BY ${order}`).all() as Row[]),
      ]),
    );
  } finally {
    db.close();
  }
}

async function postgresTables(url: string, tables = TABLES): Promise<Record<string, Row[]>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const out: Record<string, Row[]> = {};
    for (const [table, { columns, order }] of Object.entries(tables)) {
      out[table] = normalRows((await client.query(`SELECT ${columns} FROM ${table} ORDER BY ${order}`)).rows);
    }
    return out;
  } finally {
    await client.end();
  }
}

/** Every table whole, ids included: what "changes nothing" compares. */
const EVERYTHING = Object.fromEntries(
  Object.entries(TABLES).map(([table, { order }]) => [table, { columns: '*', order }]),
);

/** The summary line of one table: copied, updated, already present. */
function counts(stdout: string, table: string): [number, number, number] {
  const match = new RegExp(`^${table}\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)$`, 'm').exec(stdout);
  if (!match) throw new Error(`no summary line for ${table} in:\n${stdout}`);
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

async function ledgerMetrics(exporter: Exporter): Promise<string[]> {
  const text = await (await fetch(`${exporter.url}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => LEDGER_FAMILIES.test(line))
    .sort();
}

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describePostgres('npm run ledger -- copy', () => {
  const dir = tempDir('ledger-copy');
  const ledger = dir.file('ibkr.db');
  let cluster: PostgresCluster;
  let demo: Scenario;
  /** The demo's two timeline fills, sent by hand once the exporter is synced. */
  let live: LiveExecutionInput[];
  let sqliteMetrics: string[];

  /** The demo on a simulator without its PnL random walk and timeline: the test sends the fills. */
  const simulator = () =>
    GatewaySimulator.start({ scenario: { ...demo, pnlTick: undefined, timeline: [] }, port: 0 });

  async function exporterOn(sim: GatewaySimulator, dbPath: string, env: Record<string, string> = {}) {
    return startTestExporter(testConfig(sim.port, dbPath, env));
  }

  async function waitFor(exporter: Exporter, executions: number): Promise<void> {
    await vi.waitFor(
      () => {
        expect(exporter.health.state).toBe('live');
        expect(exporter.portfolio.executionCounts.get(ACCOUNT)).toBe(executions);
      },
      { timeout: 20_000, interval: 50 },
    );
  }

  beforeAll(async () => {
    demo = await loadScenario(new URL('demo.json', SCENARIOS).pathname);
    live = demo.timeline.flatMap((e) => (e.type === 'execution' ? [e.execution] : []));
    cluster = await startPostgres();
    // The SQLite ledger: the demo's day of fills, then its two live fills.
    const sim = await simulator();
    const exporter = await exporterOn(sim, ledger);
    try {
      await waitFor(exporter, demo.executions.length);
      for (const execution of live) sim.addExecution(execution);
      await waitFor(exporter, demo.executions.length + live.length);
      sqliteMetrics = await ledgerMetrics(exporter);
    } finally {
      await exporter.stop();
      await sim.stop();
    }
    addOrder(ledger);
  }, 60_000);

  afterAll(async () => {
    await cluster?.destroy();
    dir.cleanup();
  });

  it('copies every table, and a second copy changes nothing', async () => {
    const url = await cluster.createDatabase();
    const first = await ledgerCli(['copy', '--from', ledger, '--to', url]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`into ${url.replace(cluster.password, '***')}`);
    expect(first.stdout).not.toContain(cluster.password);
    const fills = demo.executions.length + live.length;
    expect(counts(first.stdout, 'executions')).toEqual([fills, 0, 0]);
    expect(counts(first.stdout, 'commission_reports')).toEqual([fills, 0, 0]);

    // Every table as in SQLite, ids included (the round trips kept theirs); the watermark per account.
    const copied = await postgresTables(url);
    const original = sqliteTables(ledger);
    expect(copied).toEqual(original);
    expect(copied.round_trips!.length).toBeGreaterThan(1);
    expect(copied.position_snapshots!.length).toBeGreaterThan(0);
    expect(copied.backfill_watermark).toHaveLength(1);
    expect(copied.orders).toHaveLength(1);
    // The order belongs to the gateway that managed the ledger's accounts.
    const database = new URL(url).pathname.slice(1);
    expect((await cluster.query('SELECT gateway FROM orders', database)).rows).toEqual([
      { gateway: ACCOUNT },
    ]);

    // Again, with the URL from the environment as the exporter takes it.
    const before = await postgresTables(url, EVERYTHING);
    const second = await ledgerCli(['copy', '--from', ledger], { IBKR_DATABASE_URL: url });
    expect(second.code).toBe(0);
    expect(counts(second.stdout, 'executions')).toEqual([0, 0, fills]);
    expect(counts(second.stdout, 'positions')).toEqual([0, 0, original.positions!.length]);
    expect(second.stdout).toContain('nothing to derive again');
    expect(await postgresTables(url, EVERYTHING)).toEqual(before);

    // The exporter moved to PostgreSQL: the gateway's fills are stored already, the ledger values
    // are the SQLite exporter's.
    const sim = await simulator();
    const exporter = await exporterOn(sim, dir.file('unused.db'), { IBKR_DATABASE_URL: url });
    try {
      await waitFor(exporter, fills);
      await vi.waitFor(async () => expect(await ledgerMetrics(exporter)).toEqual(sqliteMetrics), {
        timeout: 10_000,
        interval: 100,
      });
      expect(sqliteMetrics.filter((l) => l.startsWith('ibkr_account_ledger_realized_pnl'))).not.toEqual([]);
    } finally {
      await exporter.stop();
      await sim.stop();
    }
    expect((await postgresTables(url)).executions).toEqual(original.executions);
  });

  it('merges into a database a live exporter writes: the same ledger whichever came first', async () => {
    // One gateway, so both databases see the same fill times: the demo, plus a fill of its own.
    const sim = await simulator();
    try {
      // Live first, then the copy.
      const liveFirst = await cluster.createDatabase();
      const exporter = await exporterOn(sim, dir.file('a.db'), { IBKR_DATABASE_URL: liveFirst });
      try {
        await waitFor(exporter, demo.executions.length);
        sim.addExecution(OWN_FILL);
        await waitFor(exporter, demo.executions.length + 1);
      } finally {
        await exporter.stop();
      }
      const merged = await ledgerCli(['copy', '--from', ledger, '--to', liveFirst]);
      expect(merged.code).toBe(0);
      expect(counts(merged.stdout, 'executions')).toEqual([live.length, 0, demo.executions.length]);

      // The copy first, then live.
      const copyFirst = await cluster.createDatabase();
      expect((await ledgerCli(['copy', '--from', ledger, '--to', copyFirst])).code).toBe(0);
      const later = await exporterOn(sim, dir.file('b.db'), { IBKR_DATABASE_URL: copyFirst });
      try {
        await waitFor(later, demo.executions.length + live.length + 1);
      } finally {
        await later.stop();
      }

      const derived = await Promise.all([liveFirst, copyFirst].map((url) => history(url)));
      expect(derived[0]).toEqual(derived[1]);
      expect(derived[0]!.executions).toHaveLength(demo.executions.length + live.length + 1);
      expect(derived[0]!.account_executions).toEqual([
        { account: ACCOUNT, executions: String(demo.executions.length + live.length + 1) },
      ]);
      // Copying once more changes nothing there either.
      const again = await ledgerCli(['copy', '--from', ledger, '--to', liveFirst]);
      expect(again.stdout).toContain('nothing to derive again');
      expect(await history(liveFirst)).toEqual(derived[0]);
    } finally {
      await sim.stop();
    }
  });

  /** The ledger's facts and everything derived from them, round trips by what opened them (not by id). */
  async function history(url: string): Promise<Record<string, Row[]>> {
    return postgresTables(url, {
      executions: TABLES.executions!,
      commission_reports: TABLES.commission_reports!,
      ledger_totals: TABLES.ledger_totals!,
      account_executions: TABLES.account_executions!,
      round_trip_carry: TABLES.round_trip_carry!,
      daily_realized: TABLES.daily_realized!,
      'round_trips t': {
        columns:
          't.account, t.con_id, t.open_key, t.opened_before_ledger, t.open_time_ms, t.close_time_ms, t.quantity, t.fills',
        order: 't.account, t.con_id, t.open_key',
      },
      'round_trip_totals x JOIN round_trips t ON t.id = x.round_trip_id': {
        columns: 't.account, t.con_id, t.open_key, x.currency, x.realized_pnl, x.commissions, x.reports',
        order: 't.account, t.con_id, t.open_key, x.currency',
      },
      'round_trip_fills f JOIN round_trips t ON t.id = f.round_trip_id': {
        columns: 't.account, t.con_id, t.open_key, f.base_exec_id, f.quantity, f.money',
        order: 't.account, t.con_id, t.open_key, f.base_exec_id',
      },
    });
  }

  it('copies a ledger from before round trips; they are derived in PostgreSQL', async () => {
    // The ledger as schema 3 left it: the tables of migrations 001-003 are those of today.
    const old = dir.file('schema-3.db');
    copyFileSync(ledger, old);
    const db = new Database(old);
    for (const view of ['ibkr_trades', 'ibkr_round_trips', 'ibkr_daily_realized', 'ibkr_round_trip_fills'])
      db.exec(`DROP VIEW ${view}`);
    for (const table of [
      'round_trip_fills',
      'round_trip_totals',
      'round_trips',
      'round_trip_carry',
      'daily_realized',
      'round_trip_rebuild',
    ])
      db.exec(`DROP TABLE ${table}`);
    db.pragma('user_version = 3');
    db.close();
    const [fromOld, fromNew] = [await cluster.createDatabase(), await cluster.createDatabase()];
    const copied = await ledgerCli(['copy', '--from', old, '--to', fromOld]);
    expect(copied.code).toBe(0);
    expect(copied.stdout).toContain('(schema 3)');
    expect((await ledgerCli(['copy', '--from', ledger, '--to', fromNew])).code).toBe(0);
    // What each position held before its first fill is learned once the exporter has synced (the
    // gateway knows the copied live fills, as the real one would).
    const sim = await simulator();
    for (const execution of live) sim.addExecution(execution);
    const exporter = await exporterOn(sim, dir.file('c.db'), { IBKR_DATABASE_URL: fromOld });
    try {
      await waitFor(exporter, demo.executions.length + live.length);
      await vi.waitFor(async () => expect(await history(fromOld)).toEqual(await history(fromNew)), {
        timeout: 10_000,
        interval: 200,
      });
    } finally {
      await exporter.stop();
      await sim.stop();
    }
  });

  it('refuses a source that is not a ledger, or from a newer schema, with exit code 3', async () => {
    const url = await cluster.createDatabase();
    const text = dir.file('notes.txt');
    writeFileSync(text, 'not a database\n');
    const other = dir.file('other.db');
    new Database(other).exec('CREATE TABLE things (id INTEGER PRIMARY KEY)').close();
    const newer = dir.file('newer.db');
    copyFileSync(ledger, newer);
    const db = new Database(newer);
    db.pragma('user_version = 999');
    db.close();
    for (const [from, message] of [
      [dir.file('missing.db'), 'there is no such file'],
      [text, 'it is not an SQLite database'],
      [other, 'it is an SQLite database but not an exporter ledger'],
      [newer, 'it was written by a newer version of the exporter (schema version 999;'],
    ] as const) {
      const result = await ledgerCli(['copy', '--from', from, '--to', url]);
      expect(result.code, from).toBe(3);
      expect(result.stderr).toContain(`cannot use the ledger ${from}: ${message}`);
    }
    // The source is checked first: the target was not even migrated.
    const database = new URL(url).pathname.slice(1);
    expect((await cluster.query("SELECT to_regclass('executions') AS t", database)).rows).toEqual([
      { t: null },
    ]);
  });

  it('refuses an unreachable or unusable target, naming it without its password, with exit code 3', async () => {
    const port = await closedPort();
    const down = `postgres://ibkr:s3cret-pw@127.0.0.1:${port}/ibkr`;
    const unreachable = await ledgerCli(['copy', '--from', ledger, '--to', down]);
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toContain(
      `cannot use the ledger postgres://ibkr:***@127.0.0.1:${port}/ibkr: the server cannot be reached`,
    );
    expect(unreachable.stderr).not.toContain('s3cret-pw');

    const wrong = (await cluster.createDatabase()).replace(cluster.password, 'not-the-password');
    const refused = await ledgerCli(['copy', '--from', ledger, '--to', wrong]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('password authentication failed');
    expect(refused.stderr).not.toContain('not-the-password');

    const usage = await ledgerCli(['copy', '--from', ledger, '--to', 'mysql://x@y/z']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--to must start with postgres://');
    const both = await ledgerCli(['copy', '--from', ledger], {
      IBKR_DATABASE_URL: down,
      IBKR_DATABASE_URL_FILE: dir.file('url'),
    });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('set either IBKR_DATABASE_URL or IBKR_DATABASE_URL_FILE, not both');
  });
});
