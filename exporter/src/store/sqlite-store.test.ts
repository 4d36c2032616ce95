import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CommissionRecord, ContractInfo, ExecutionRecord } from '../domain/types.js';
import { SqliteStore } from './sqlite-store.js';
import { loadMigrations } from './migrate.js';

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

describe('SqliteStore', () => {
  let dir: string;
  let store: SqliteStore;
  const path = () => join(dir, 'ledger.db');

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'store-test-'));
    store = new SqliteStore({ path: path() });
  });

  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const count = (table: string) =>
    (store as unknown as { db: Database.Database }).db
      .prepare(`SELECT count(*) AS n FROM ${table}`)
      .get() as {
      n: number;
    };

  it('uses WAL and records the schema version', () => {
    store.close();
    const db = new Database(path(), { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(loadMigrations().at(-1)?.version);
    db.close();
    store = new SqliteStore({ path: path() });
  });

  it('ignores a duplicate execution', () => {
    expect(store.recordExecution(fill('a.01')).decision).toBe('insert');
    const again = store.recordExecution(fill('a.01'));
    expect(again).toEqual({ decision: 'ignore', ledger: [], executionCounts: [], roundTrips: [] });
    expect(count('executions').n).toBe(1);
    expect(store.load().executionCounts).toEqual([{ account: 'DU1', executions: 1 }]);
  });

  it('joins a commission report that arrives before its execution', () => {
    const early = store.recordCommission(report('a.01', '1.5', '20.25'));
    expect(early.ledger).toEqual([]); // no account or conId yet: nothing to add to
    const joined = store.recordExecution(fill('a.01', { side: 'sell' }));
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

  it('joins a commission report that arrives after its execution', () => {
    store.recordExecution(fill('a.01'));
    const joined = store.recordCommission(report('a.01', '1', undefined));
    expect(joined.ledger).toEqual([
      { account: 'DU1', conId: 265598, currency: 'USD', realizedPnl: '0', commissions: '1', reports: 1 },
    ]);
  });

  it('replaces a corrected execution instead of adding it', () => {
    store.recordExecution(fill('a.01', { price: 250.5 }));
    store.recordCommission(report('a.01', '1', undefined));
    const corrected = store.recordExecution(fill('a.02', { price: 250 }));
    expect(corrected.decision).toBe('replace');
    expect(corrected.executionCounts).toEqual([]);
    expect(count('executions').n).toBe(1);
    const [trade] = store.trades({ limit: 10 });
    expect(trade).toMatchObject({ execId: 'a.02', price: 250, commission: '1' });
    // The old report still joins the corrected fill once, not twice.
    expect(store.load().ledger).toEqual([
      { account: 'DU1', conId: 265598, currency: 'USD', realizedPnl: '0', commissions: '1', reports: 1 },
    ]);
  });

  it('replaces a corrected commission report and its contribution', () => {
    store.recordExecution(fill('a.01', { side: 'sell' }));
    store.recordCommission(report('a.01', '1', '10'));
    const corrected = store.recordCommission(report('a.02', '1.25', '9.75'));
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
    expect(store.recordCommission(report('a.01', '1', '10')).decision).toBe('ignore');
  });

  it('stores a Double.MAX realized PnL as NULL and sums realized PnL exactly', () => {
    store.recordExecution(fill('a.01'));
    store.recordCommission(report('a.01', '0.1', undefined));
    store.recordExecution(fill('b.01', { side: 'sell' }));
    store.recordCommission(report('b.01', '0.2', '0.1'));
    store.recordExecution(fill('c.01', { side: 'sell' }));
    store.recordCommission(report('c.01', '0.2', '0.2'));
    const nulls = (store as unknown as { db: Database.Database }).db
      .prepare('SELECT count(*) AS n FROM commission_reports WHERE realized_pnl IS NULL')
      .get() as { n: number };
    expect(nulls.n).toBe(1);
    expect(store.load().ledger[0]).toMatchObject({ realizedPnl: '0.3', commissions: '0.5', reports: 3 });
  });

  it('keeps a short position and an option with its multiplier', () => {
    const now = Date.UTC(2026, 10, 25, 15);
    store.savePosition(
      { account: 'DU1', contract: AAPL, quantity: -20, avgCost: 249.95, updatedAt: now },
      'quantity',
      now,
    );
    store.savePosition(
      { account: 'DU1', contract: CALL, quantity: 1, avgCost: 520, updatedAt: now },
      'quantity',
      now,
    );
    const positions = store.load().positions.map((p) => p.position);
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
    expect(count('position_snapshots').n).toBe(2);
  });

  it('writes a snapshot with the PnL values of the moment', () => {
    const now = 1000;
    store.savePosition(
      { account: 'DU1', contract: AAPL, quantity: 10, avgCost: 100, updatedAt: now },
      undefined,
      now,
    );
    store.savePositionPnl(
      'DU1',
      AAPL.conId,
      { unrealizedPnl: 5, marketValue: 1005, updatedAt: now },
      'pnl',
      now,
    );
    const snapshot = (store as unknown as { db: Database.Database }).db
      .prepare('SELECT reason, quantity, unrealized_pnl, market_value, daily_pnl FROM position_snapshots')
      .get();
    expect(snapshot).toEqual({
      reason: 'pnl',
      quantity: 10,
      unrealized_pnl: 5,
      market_value: 1005,
      daily_pnl: null,
    });
    expect(store.load().positions[0]).toMatchObject({
      lastSnapshotAt: now,
      pnl: { unrealizedPnl: 5, dailyPnl: undefined },
    });
  });

  it('keeps ledger totals of deleted positions', () => {
    store.recordExecution(fill('a.01', { side: 'sell' }));
    store.recordCommission(report('a.01', '1', '5'));
    store.savePosition({ account: 'DU1', contract: AAPL, quantity: 0, updatedAt: 1 }, 'quantity', 1);
    store.deletePositions([{ account: 'DU1', conId: AAPL.conId }]);
    const state = store.load();
    expect(state.positions).toEqual([]);
    expect(state.ledger).toHaveLength(1);
  });

  it('survives reopening: state and the newest execution time come back', () => {
    store.recordExecution(fill('a.01', { time: 5000 }));
    store.recordExecution(fill('b.01', { time: 9000 }));
    store.saveAccountValue({
      account: 'DU1',
      tag: 'NetLiquidation',
      currency: 'USD',
      value: 100000,
      updatedAt: 1,
    });
    store.saveAccountPnl({ account: 'DU1', dailyPnl: 1.5, updatedAt: 2 });
    store.saveStreamUpdate('pnl', 3);
    store.close();
    store = new SqliteStore({ path: path() });
    expect(store.backfillWatermark()).toBeUndefined();
    const state = store.load();
    expect(state.accountValues).toEqual([
      { account: 'DU1', tag: 'NetLiquidation', currency: 'USD', value: 100000, updatedAt: 1 },
    ]);
    expect(state.accountPnl).toEqual([
      { account: 'DU1', dailyPnl: 1.5, unrealizedPnl: undefined, realizedPnl: undefined, updatedAt: 2 },
    ]);
    expect(state.streamUpdates).toEqual([{ stream: 'pnl', updatedAt: 3 }]);
  });

  it('filters trades by account, symbol and time', () => {
    store.recordExecution(fill('a.01', { time: 1000 }));
    store.recordExecution(fill('b.01', { time: 2000, account: 'DU2' }));
    store.recordExecution(fill('c.01', { time: 3000, contract: CALL }));
    expect(store.trades({ limit: 10 }).map((t) => t.execId)).toEqual(['c.01', 'b.01', 'a.01']);
    expect(store.trades({ account: 'DU2', limit: 10 }).map((t) => t.execId)).toEqual(['b.01']);
    expect(store.trades({ sinceMs: 2000, limit: 10 }).map((t) => t.execId)).toEqual(['c.01', 'b.01']);
    expect(store.trades({ symbol: 'MSFT', limit: 10 })).toEqual([]);
    expect(store.trades({ limit: 1 })).toHaveLength(1);
  });
});
