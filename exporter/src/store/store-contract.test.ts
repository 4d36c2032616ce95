// The store contract: every backend passes the same suite, with the same answers. SQLite runs
// everywhere; PostgreSQL runs on a throwaway cluster (skipped with a message naming the package
// without the server binaries, never skipped in CI).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CommissionRecord, ContractInfo, ExecutionRecord } from '../domain/types.js';
import { postgresBackend, sqliteBackend } from '../../test/support/backends.js';
import type { Backend, Ledger } from '../../test/support/backends.js';
import { describePostgres } from '../../test/support/postgres.js';
import { loadMigrations } from './migrate.js';
import { loadPostgresMigrations } from './postgres-migrate.js';
import type { Store } from './store.js';

const AAPL: ContractInfo = { conId: 265598, symbol: 'AAPL', secType: 'STK', currency: 'USD', multiplier: 1 };
const CALL: ContractInfo = {
  conId: 712345678,
  symbol: 'AAPL',
  secType: 'OPT',
  currency: 'USD',
  multiplier: 100,
  strike: 200,
  right: 'C',
  lastTradeDate: '20261218',
};

function fill(execId: string, overrides: Partial<ExecutionRecord> = {}): ExecutionRecord {
  const dot = execId.lastIndexOf('.');
  return {
    execId,
    baseExecId: execId.slice(0, dot),
    revision: Number(execId.slice(dot + 1)),
    account: 'DU1',
    contract: AAPL,
    side: 'buy',
    shares: 10,
    price: 100,
    time: Date.UTC(2026, 10, 25, 14, 30),
    ...overrides,
  };
}

function report(execId: string, commission: string, realizedPnl?: string): CommissionRecord {
  const dot = execId.lastIndexOf('.');
  return {
    execId,
    baseExecId: execId.slice(0, dot),
    revision: Number(execId.slice(dot + 1)),
    commission,
    currency: 'USD',
    realizedPnl,
  };
}

function contract(backend: Backend): void {
  let ledger: Ledger;
  let store: Store;

  beforeAll(() => backend.setup());
  afterAll(() => backend.teardown());
  beforeEach(async () => {
    ledger = await backend.ledger();
    store = await ledger.open();
  });
  afterEach(async () => {
    await ledger.cleanup();
  });

  const count = async (table: string) =>
    Number((await ledger.sql(`SELECT count(*) AS n FROM ${table}`))[0]!.n);

  it('ignores a duplicate execution', async () => {
    expect((await store.recordExecution(fill('a.01'))).decision).toBe('insert');
    const again = await store.recordExecution(fill('a.01'));
    // Nothing changes; PostgreSQL (shared by several exporters) also echoes the stored rows.
    expect(again.decision).toBe('ignore');
    expect(again.ledger).toEqual([]);
    expect(await count('executions')).toBe(1);
    expect((await store.load()).executionCounts).toEqual([{ account: 'DU1', executions: 1 }]);
  });

  it('joins a commission report that arrives before its execution', async () => {
    const early = await store.recordCommission(report('a.01', '1.5', '20.25'));
    expect(early.ledger).toEqual([]); // no account or conId yet: nothing to add to
    const joined = await store.recordExecution(fill('a.01', { side: 'sell' }));
    expect(joined.ledger).toEqual([
      {
        account: 'DU1',
        conId: 265598,
        currency: 'USD',
        realizedPnl: '20.25',
        commissions: '1.5',
        reports: 1,
      },
    ]);
  });

  it('joins a commission report that arrives after its execution', async () => {
    await store.recordExecution(fill('a.01'));
    const joined = await store.recordCommission(report('a.01', '1', undefined));
    expect(joined.ledger).toEqual([
      { account: 'DU1', conId: 265598, currency: 'USD', realizedPnl: '0', commissions: '1', reports: 1 },
    ]);
  });

  it('replaces a corrected execution instead of adding it', async () => {
    await store.recordExecution(fill('a.01', { price: 250.5 }));
    await store.recordCommission(report('a.01', '1', undefined));
    const corrected = await store.recordExecution(fill('a.02', { price: 250 }));
    expect(corrected.decision).toBe('replace');
    expect(corrected.executionCounts).toEqual([]);
    expect(await count('executions')).toBe(1);
    const [trade] = await store.trades({ limit: 10 });
    expect(trade).toMatchObject({ execId: 'a.02', price: 250, commission: '1' });
    // The old report still joins the corrected fill once, not twice.
    expect((await store.load()).ledger).toEqual([
      { account: 'DU1', conId: 265598, currency: 'USD', realizedPnl: '0', commissions: '1', reports: 1 },
    ]);
  });

  it('replaces a corrected commission report and its contribution', async () => {
    await store.recordExecution(fill('a.01', { side: 'sell' }));
    await store.recordCommission(report('a.01', '1', '10'));
    const corrected = await store.recordCommission(report('a.02', '1.25', '9.75'));
    expect(corrected.ledger).toEqual([
      {
        account: 'DU1',
        conId: 265598,
        currency: 'USD',
        realizedPnl: '9.75',
        commissions: '1.25',
        reports: 1,
      },
    ]);
    expect((await store.recordCommission(report('a.01', '1', '10'))).decision).toBe('ignore');
  });

  it('stores a Double.MAX realized PnL as NULL and sums realized PnL exactly', async () => {
    await store.recordExecution(fill('a.01'));
    await store.recordCommission(report('a.01', '0.1', undefined));
    await store.recordExecution(fill('b.01', { side: 'sell' }));
    await store.recordCommission(report('b.01', '0.2', '0.1'));
    await store.recordExecution(fill('c.01', { side: 'sell' }));
    await store.recordCommission(report('c.01', '0.2', '0.2'));
    const [nulls] = await ledger.sql(
      'SELECT count(*) AS n FROM commission_reports WHERE realized_pnl IS NULL',
    );
    expect(Number(nulls!.n)).toBe(1);
    expect((await store.load()).ledger[0]).toMatchObject({
      realizedPnl: '0.3',
      commissions: '0.5',
      reports: 3,
    });
  });

  it('keeps a short position and an option with its multiplier', async () => {
    const now = Date.UTC(2026, 10, 25, 15);
    await store.savePosition(
      { account: 'DU1', contract: AAPL, quantity: -20, avgCost: 249.95, updatedAt: now },
      'quantity',
      now,
    );
    await store.savePosition(
      { account: 'DU1', contract: CALL, quantity: 1, avgCost: 520, updatedAt: now },
      'quantity',
      now,
    );
    const positions = (await store.load()).positions.map((p) => p.position);
    expect(positions).toContainEqual({
      account: 'DU1',
      contract: {
        ...AAPL,
        exchange: undefined,
        localSymbol: undefined,
        lastTradeDate: undefined,
        strike: undefined,
        right: undefined,
      },
      quantity: -20,
      avgCost: 249.95,
      updatedAt: now,
    });
    expect(positions.find((p) => p.contract.conId === CALL.conId)?.contract).toMatchObject({
      multiplier: 100,
      strike: 200,
      right: 'C',
    });
    expect(await count('position_snapshots')).toBe(2);
  });

  it('writes a snapshot with the PnL values of the moment', async () => {
    const now = 1000;
    await store.savePosition(
      { account: 'DU1', contract: AAPL, quantity: 10, avgCost: 100, updatedAt: now },
      undefined,
      now,
    );
    await store.savePositionPnl(
      'DU1',
      AAPL.conId,
      { unrealizedPnl: 5, marketValue: 1005, updatedAt: now },
      'pnl',
      now,
    );
    const [snapshot] = await ledger.sql(
      'SELECT reason, quantity, unrealized_pnl, market_value, daily_pnl FROM position_snapshots',
    );
    expect(snapshot).toEqual({
      reason: 'pnl',
      quantity: 10,
      unrealized_pnl: 5,
      market_value: 1005,
      daily_pnl: null,
    });
    expect((await store.load()).positions[0]).toMatchObject({
      lastSnapshotAt: now,
      pnl: { unrealizedPnl: 5, dailyPnl: undefined },
    });
  });

  it('keeps ledger totals of deleted positions', async () => {
    await store.recordExecution(fill('a.01', { side: 'sell' }));
    await store.recordCommission(report('a.01', '1', '5'));
    await store.savePosition({ account: 'DU1', contract: AAPL, quantity: 0, updatedAt: 1 }, 'quantity', 1);
    await store.deletePositions([{ account: 'DU1', conId: AAPL.conId }]);
    const state = await store.load();
    expect(state.positions).toEqual([]);
    expect(state.ledger).toHaveLength(1);
  });

  it('survives reopening: state and the newest execution time come back', async () => {
    await store.recordExecution(fill('a.01', { time: 5000 }));
    await store.recordExecution(fill('b.01', { time: 9000 }));
    await store.saveAccountValue({
      account: 'DU1',
      tag: 'NetLiquidation',
      currency: 'USD',
      value: 100000,
      updatedAt: 1,
    });
    await store.saveAccountPnl({ account: 'DU1', dailyPnl: 1.5, updatedAt: 2 });
    await store.saveStreamUpdate('pnl', 3);
    await store.close();
    store = await ledger.open();
    expect(await store.backfillWatermark(['DU1'])).toBeUndefined();
    const state = await store.load();
    expect(state.accountValues).toEqual([
      { account: 'DU1', tag: 'NetLiquidation', currency: 'USD', value: 100000, updatedAt: 1 },
    ]);
    expect(state.accountPnl).toEqual([
      { account: 'DU1', dailyPnl: 1.5, unrealizedPnl: undefined, realizedPnl: undefined, updatedAt: 2 },
    ]);
    expect(state.streamUpdates).toEqual([{ stream: 'pnl', updatedAt: 3 }]);
  });

  it('filters trades by account, symbol and time', async () => {
    await store.recordExecution(fill('a.01', { time: 1000 }));
    await store.recordExecution(fill('b.01', { time: 2000, account: 'DU2' }));
    await store.recordExecution(fill('c.01', { time: 3000, contract: CALL }));
    expect((await store.trades({ limit: 10 })).map((t) => t.execId)).toEqual(['c.01', 'b.01', 'a.01']);
    expect((await store.trades({ account: 'DU2', limit: 10 })).map((t) => t.execId)).toEqual(['b.01']);
    expect((await store.trades({ sinceMs: 2000, limit: 10 })).map((t) => t.execId)).toEqual(['c.01', 'b.01']);
    expect(await store.trades({ symbol: 'MSFT', limit: 10 })).toEqual([]);
    expect(await store.trades({ limit: 1 })).toHaveLength(1);
  });

  it('decides a group of fills in order, as if each were written alone', async () => {
    const group = await store.recordFills([
      { kind: 'commission', report: report('a.01', '1', '10') },
      { kind: 'execution', execution: fill('a.01', { side: 'sell' }) },
      { kind: 'execution', execution: fill('a.01', { side: 'sell' }) },
      { kind: 'execution', execution: fill('b.01') },
      { kind: 'commission', report: report('b.01', '0.5', undefined) },
      { kind: 'commission', report: report('a.02', '1.25', '9.75') },
    ]);
    expect(group.map((r) => r.decision)).toEqual([
      'insert',
      'insert',
      'ignore',
      'insert',
      'insert',
      'replace',
    ]);
    expect(group[1]!.ledger).toEqual([
      { account: 'DU1', conId: 265598, currency: 'USD', realizedPnl: '10', commissions: '1', reports: 1 },
    ]);
    expect(group.filter((r) => r.decision !== 'ignore').map((r) => r.executionCounts)).toEqual([
      [],
      [{ account: 'DU1', executions: 1 }],
      [{ account: 'DU1', executions: 2 }],
      [],
      [],
    ]);
    expect(group[5]!.ledger).toEqual([
      {
        account: 'DU1',
        conId: 265598,
        currency: 'USD',
        realizedPnl: '9.75',
        commissions: '1.75',
        reports: 2,
      },
    ]);
    const state = await store.load();
    expect(state.ledger).toEqual(group[5]!.ledger);
    expect(state.executionCounts).toEqual([{ account: 'DU1', executions: 2 }]);
    expect(await count('executions')).toBe(2);
  });

  it('keeps the watermark of the last completed backfill, never moving it backwards', async () => {
    expect(await store.backfillWatermark(['DU1'])).toBeUndefined();
    await store.saveBackfillWatermark(['DU1'], 5000);
    await store.saveBackfillWatermark(['DU1'], 4000);
    expect(await store.backfillWatermark(['DU1'])).toBe(5000);
    await store.close();
    store = await ledger.open();
    expect(await store.backfillWatermark(['DU1'])).toBe(5000);
  });

  it('names its schema version: the newest migration, numbered alike in both backends', async () => {
    const versions = (migrations: Array<{ version: number }>) => migrations.map((m) => m.version);
    expect(versions(loadPostgresMigrations())).toEqual(versions(loadMigrations()));
    expect(store.schemaVersion()).toBe(loadMigrations().at(-1)!.version);
    await expect(Promise.resolve(store.ping())).resolves.toBeUndefined();
  });
}

describe('the store contract on SQLite', () => contract(sqliteBackend()));
describePostgres('the store contract on PostgreSQL', () => contract(postgresBackend()));
