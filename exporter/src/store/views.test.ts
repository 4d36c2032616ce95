import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseExecId } from '../domain/exec-id.js';
import type { ContractInfo, ExecutionRecord } from '../domain/types.js';
import { SqliteStore } from './sqlite-store.js';

const TSLA: ContractInfo = {
  conId: 76792991,
  symbol: 'TSLA',
  secType: 'STK',
  currency: 'USD',
  multiplier: 1,
};

function fill(
  execId: string,
  side: 'buy' | 'sell',
  shares: number,
  price: number,
  time: string,
): ExecutionRecord {
  return {
    execId,
    ...parseExecId(execId),
    account: 'DU1',
    contract: TSLA,
    side,
    shares,
    price,
    time: Date.parse(time),
    exchange: 'ISLAND',
  };
}

describe('the SQL views of the SQLite ledger', () => {
  let dir: string;
  let db: Database.Database;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'views-test-'));
    const store = new SqliteStore({ path: join(dir, 'ledger.db') });
    // Long 30, sold 50 (a flip: 30 close for 57.75 net), then 20 bought back the next day for 18 net.
    store.recordExecution(fill('a.01', 'buy', 30, 250, '2026-11-25T14:40:00Z'));
    store.recordCommission({ ...parseExecId('a.01'), execId: 'a.01', commission: '1', currency: 'USD' });
    store.recordExecution(fill('b.01', 'sell', 50, 252.25, '2026-11-25T15:30:00Z'));
    store.recordCommission({
      ...parseExecId('b.01'),
      execId: 'b.01',
      commission: '1.25',
      currency: 'USD',
      realizedPnl: '57.75',
    });
    store.recordExecution(fill('c.01', 'buy', 20, 251, '2026-11-26T14:31:00Z'));
    store.recordCommission({
      ...parseExecId('c.01'),
      execId: 'c.01',
      commission: '1',
      currency: 'USD',
      realizedPnl: '18',
    });
    store.close();
    db = new Database(join(dir, 'ledger.db'), { readonly: true });
  });

  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ibkr_trades: one row per fill with its commission report, money as decimal text, ISO times', () => {
    const rows = db.prepare('SELECT * FROM ibkr_trades ORDER BY trade_time').all() as Array<
      Record<string, unknown>
    >;
    expect(rows[1]).toEqual({
      exec_id: 'b.01',
      account: 'DU1',
      con_id: 76792991,
      symbol: 'TSLA',
      sec_type: 'STK',
      currency: 'USD',
      trade_time: '2026-11-25T15:30:00.000Z',
      side: 'sell',
      qty: 50,
      price: '252.25',
      commission: '1.25',
      commission_currency: 'USD',
      realized_pnl: '57.75',
      order_id: null,
      perm_id: null,
      exchange: 'ISLAND',
      round_trip_id: rows[0]!.round_trip_id,
      source: 'api',
      basis: 'api',
      trade_id: null,
    });
    expect(rows.map((r) => [r.price, r.realized_pnl])).toEqual([
      ['250', null],
      ['252.25', '57.75'],
      ['251', '18'],
    ]);
  });

  it('ibkr_round_trips: one row per round trip, the flip closing one and opening the next', () => {
    const rows = db
      .prepare(
        'SELECT symbol, status, open_time, close_time, opened_before_ledger, quantity, fills, realized_pnl, commissions FROM ibkr_round_trips ORDER BY open_time',
      )
      .all();
    expect(rows).toEqual([
      {
        symbol: 'TSLA',
        status: 'closed',
        open_time: '2026-11-25T14:40:00.000Z',
        close_time: '2026-11-25T15:30:00.000Z',
        opened_before_ledger: 0,
        quantity: '0',
        fills: 2,
        realized_pnl: '57.75',
        commissions: '2.25',
      },
      {
        symbol: 'TSLA',
        status: 'closed',
        open_time: '2026-11-25T15:30:00.000Z',
        close_time: '2026-11-26T14:31:00.000Z',
        opened_before_ledger: 0,
        quantity: '0',
        fills: 2,
        realized_pnl: '18',
        commissions: '1',
      },
    ]);
  });

  it('ibkr_round_trip_fills: a flipping fill in both round trips, its money in the one it closed', () => {
    const rows = db
      .prepare('SELECT * FROM ibkr_round_trip_fills ORDER BY round_trip_id, trade_time')
      .all() as Array<Record<string, unknown>>;
    expect(rows.map((r) => [r.exec_id, r.side, r.qty, r.price, r.commission, r.realized_pnl])).toEqual([
      ['a.01', 'buy', '30', '250', '1', null],
      ['b.01', 'sell', '30', '252.25', '1.25', '57.75'],
      ['b.01', 'sell', '20', '252.25', '0', null],
      ['c.01', 'buy', '20', '251', '1', '18'],
    ]);
  });

  it('ibkr_daily_realized: realized PnL and commissions per account, currency and UTC day', () => {
    expect(db.prepare('SELECT * FROM ibkr_daily_realized ORDER BY day').all()).toEqual([
      {
        account: 'DU1',
        currency: 'USD',
        day: '2026-11-25',
        realized_pnl: '57.75',
        commissions: '2.25',
        fills: 2,
        basis: 'api',
        flex_fills: 0,
      },
      {
        account: 'DU1',
        currency: 'USD',
        day: '2026-11-26',
        realized_pnl: '18',
        commissions: '1',
        fills: 1,
        basis: 'api',
        flex_fills: 0,
      },
    ]);
  });
});
