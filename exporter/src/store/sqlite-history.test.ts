import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseExecId } from '../domain/exec-id.js';
import type { RoundTrip } from '../domain/round-trips.js';
import type { CommissionRecord, ContractInfo, ExecutionRecord } from '../domain/types.js';
import { loadMigrations, migrate } from './migrate.js';
import { SqliteStore } from './sqlite-store.js';

const AAPL: ContractInfo = { conId: 265598, symbol: 'AAPL', secType: 'STK', currency: 'USD', multiplier: 1 };
const T = (minute: number) => Date.UTC(2026, 10, 25, 14, minute);

function fill(
  execId: string,
  side: 'buy' | 'sell',
  shares: number,
  minute: number,
  price = 100,
): ExecutionRecord {
  return {
    execId,
    ...parseExecId(execId),
    account: 'DU1',
    contract: AAPL,
    side,
    shares,
    price,
    time: T(minute),
  };
}

function report(execId: string, commission: string, realizedPnl?: string): CommissionRecord {
  return { execId, ...parseExecId(execId), commission, currency: 'USD', realizedPnl };
}

/** What a test compares: shape and money of a trip, without the ids it was given. */
const summary = (trip: RoundTrip | undefined) =>
  trip && {
    open: trip.openTime,
    close: trip.closeTime,
    before: trip.openedBeforeLedger,
    quantity: trip.quantity,
    fills: trip.fills,
    totals: trip.totals,
  };

describe('round trips in the SQLite ledger', () => {
  let dir: string;
  let store: SqliteStore;
  const path = () => join(dir, 'ledger.db');

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'history-test-'));
    store = new SqliteStore({ path: path() });
  });

  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const current = () => store.load().roundTrips.find((t) => t.conId === AAPL.conId)?.trip;
  const record = (...events: Array<ExecutionRecord | CommissionRecord>) =>
    events.map((e) => ('side' in e ? store.recordExecution(e) : store.recordCommission(e)));

  it('keeps the open trip of partial fills with the commissions and realized PnL of its reports', () => {
    // Buy 30 + 70 (1.00 + 1.05 commission), sell 60 realizing 118.40 net: 40 still open.
    const results = record(
      fill('a.01', 'buy', 30, 0),
      report('a.01', '1'),
      fill('b.01', 'buy', 70, 1),
      report('b.01', '1.05'),
      fill('c.01', 'sell', 60, 5, 102),
      report('c.01', '1.2', '118.4'),
    );
    const expected = {
      open: T(0),
      close: undefined,
      before: false,
      quantity: '40',
      fills: 3,
      totals: [{ currency: 'USD', realizedPnl: '118.4', commissions: '3.25', reports: 3 }],
    };
    expect(summary(results.at(-1)!.roundTrips![0]!.trip)).toEqual(expected);
    expect(summary(current())).toEqual(expected);
    expect(store.roundTripHistory({ limit: 10, offset: 0 })).toEqual([]);
  });

  it('joins a commission report that arrives before its fill', () => {
    record(
      fill('a.01', 'buy', 10, 0),
      report('a.01', '1'),
      report('b.01', '1', '48'),
      fill('b.01', 'sell', 10, 3),
    );
    const [closed] = store.roundTripHistory({ limit: 10, offset: 0 });
    expect(closed).toMatchObject({
      openTime: T(0),
      closeTime: T(3),
      quantity: '0',
      totals: [{ currency: 'USD', realizedPnl: '48', commissions: '2', reports: 2 }],
    });
    // The same trip is the position's current one while IB still reports it flat.
    expect(current()?.id).toBe(closed!.id);
  });

  it('closes a trip and opens the next with a flipping fill; its money goes to the closing part', () => {
    record(
      fill('a.01', 'buy', 100, 0),
      report('a.01', '1'),
      fill('b.01', 'sell', 150, 2, 101),
      report('b.01', '1.5', '97.5'),
    );
    const [closed] = store.roundTripHistory({ limit: 10, offset: 0 });
    expect(closed).toMatchObject({ quantity: '0', fills: 2, closeTime: T(2) });
    expect(closed!.totals).toEqual([
      { currency: 'USD', realizedPnl: '97.5', commissions: '2.5', reports: 2 },
    ]);
    expect(summary(current())).toEqual({
      open: T(2),
      close: undefined,
      before: false,
      quantity: '-50',
      fills: 1,
      // Known: nothing realized and no commission yet in the new trip (they went to the closed one).
      totals: [{ currency: 'USD', realizedPnl: '0', commissions: '0', reports: 1 }],
    });
    const fills = store.roundTripFills(current()!.id);
    expect(fills).toEqual([
      expect.objectContaining({
        execId: 'b.01',
        quantity: '50',
        shares: 150,
        money: false,
        commission: '1.5',
      }),
    ]);
    expect(store.roundTripFills(closed!.id).map((f) => [f.execId, f.quantity, f.money])).toEqual([
      ['a.01', '100', true],
      ['b.01', '100', true],
    ]);
  });

  it('re-derives a position when a correction replaces one of its fills (same base execId)', () => {
    record(
      fill('a.01', 'buy', 100, 0),
      report('a.01', '1'),
      fill('b.01', 'sell', 100, 5),
      report('b.01', '1', '9'),
    );
    expect(store.roundTripHistory({ limit: 10, offset: 0 })).toHaveLength(1);
    // IB corrects the sell to 60 shares: the trip is open again with 40, the report still joined.
    const result = store.recordExecution(fill('b.02', 'sell', 60, 5));
    expect(result.decision).toBe('replace');
    expect(store.roundTripHistory({ limit: 10, offset: 0 })).toEqual([]);
    expect(summary(current())).toEqual({
      open: T(0),
      close: undefined,
      before: false,
      quantity: '40',
      fills: 2,
      totals: [{ currency: 'USD', realizedPnl: '9', commissions: '2', reports: 2 }],
    });
    // And a corrected commission report replaces the old one in the trip's totals.
    store.recordCommission(report('b.02', '0.5', '9.5'));
    expect(current()?.totals).toEqual([
      { currency: 'USD', realizedPnl: '9.5', commissions: '1.5', reports: 2 },
    ]);
  });

  it('gives fills arriving out of time order (a backfill) the trips of the fills in order', () => {
    record(fill('c.01', 'buy', 10, 10), report('c.01', '1'));
    // The backfill delivers two older fills: a trip that closed before c opened.
    record(
      fill('a.01', 'buy', 5, 1),
      report('a.01', '1'),
      fill('b.01', 'sell', 5, 2),
      report('b.01', '1', '3'),
    );
    const history = store.roundTripHistory({ limit: 10, offset: 0 });
    expect(history.map((t) => [t.openTime, t.closeTime, t.fills])).toEqual([[T(1), T(2), 2]]);
    expect(history[0]!.totals[0]).toMatchObject({ realizedPnl: '3', commissions: '2' });
    expect(current()).toMatchObject({ openTime: T(10), quantity: '10', fills: 1 });
  });

  it('keeps the id of a trip whose opening fill stays the same when an older fill arrives late', () => {
    record(fill('c.01', 'buy', 10, 10), fill('e.01', 'buy', 5, 12));
    const id = current()!.id;
    record(fill('d.01', 'sell', 3, 11));
    expect(current()).toMatchObject({ id, openTime: T(10), quantity: '12', fills: 3 });
    expect(current()?.closeTime).toBeUndefined();
  });

  it('learns what a position held before the ledger began from IB, once, and never invents an open time', () => {
    // IB reports 100 long; the ledger holds one sell of 40 made today.
    record(fill('a.01', 'sell', 40, 3), report('a.01', '1', '20'));
    expect(current()?.quantity).toBe('-40');
    const changed = store.reconcileRoundTrips([{ account: 'DU1', conId: AAPL.conId, quantity: 60 }]);
    expect(summary(changed[0]!.trip)).toEqual({
      open: undefined,
      close: undefined,
      before: true,
      quantity: '60',
      fills: 1,
      totals: [{ currency: 'USD', realizedPnl: '20', commissions: '1', reports: 1 }],
    });
    // Once known, a later report of the position does not change it.
    expect(store.reconcileRoundTrips([{ account: 'DU1', conId: AAPL.conId, quantity: 0 }])).toEqual([]);
    record(fill('b.01', 'sell', 60, 9), report('b.01', '1', '30'));
    const [closed] = store.roundTripHistory({ limit: 10, offset: 0 });
    expect(closed).toMatchObject({ openedBeforeLedger: true, closeTime: T(9), fills: 2 });
    expect(closed!.openTime).toBeUndefined();
    expect(store.roundTrip(closed!.id)?.totals[0]).toMatchObject({ realizedPnl: '50', commissions: '2' });
  });

  it('pages closed trips newest first and filters them by account, symbol and close time', () => {
    for (let k = 0; k < 5; k++)
      record(fill(`b${k}.01`, 'buy', 1, 2 * k), fill(`s${k}.01`, 'sell', 1, 2 * k + 1));
    const all = store.roundTripHistory({ limit: 10, offset: 0 });
    expect(all.map((t) => t.closeTime)).toEqual([T(9), T(7), T(5), T(3), T(1)]);
    expect(store.roundTripHistory({ limit: 2, offset: 2 }).map((t) => t.closeTime)).toEqual([T(5), T(3)]);
    expect(store.roundTripHistory({ limit: 10, offset: 0, sinceMs: T(5) })).toHaveLength(3);
    expect(store.roundTripHistory({ limit: 10, offset: 0, symbol: 'MSFT' })).toEqual([]);
    expect(store.roundTripHistory({ limit: 10, offset: 0, account: 'DU1', symbol: 'AAPL' })).toHaveLength(5);
    expect(store.roundTrip(999_999)).toBeUndefined();
  });

  it('keeps realized PnL and commissions per UTC day of the fill', () => {
    record(
      fill('a.01', 'buy', 10, 0),
      report('a.01', '1'),
      fill('b.01', 'sell', 10, 3),
      report('b.01', '1', '48'),
    );
    const db = new Database(path(), { readonly: true });
    expect(db.prepare('SELECT * FROM daily_realized').all()).toEqual([
      {
        account: 'DU1',
        currency: 'USD',
        day: '2026-11-25',
        realized_pnl: '48',
        commissions: '2',
        reports: 2,
      },
    ]);
    db.close();
  });

  it('derives round trips and daily totals once for a ledger that is older than them', () => {
    store.close();
    rmSync(path());
    // A ledger at schema 3 with a closed round trip, and a position IB reported at 100 with a fill of 50.
    const old = new Database(path());
    migrate(
      old,
      loadMigrations().filter((m) => m.version <= 3),
    );
    old.exec(`INSERT INTO contracts (con_id, symbol, sec_type, currency, multiplier) VALUES (1, 'JPM', 'STK', 'USD', 1),
        (265598, 'AAPL', 'STK', 'USD', 1);
      INSERT INTO executions (base_exec_id, exec_id, revision, account, con_id, side, shares, price, time_ms) VALUES
        ('j1', 'j1.01', 1, 'DU1', 1, 'buy', 100, 210, ${T(0)}), ('j2', 'j2.01', 1, 'DU1', 1, 'sell', 100, 212.5, ${T(50)}),
        ('a1', 'a1.01', 1, 'DU1', 265598, 'buy', 50, 160, ${T(5)});
      INSERT INTO commission_reports (base_exec_id, exec_id, revision, commission, currency, realized_pnl) VALUES
        ('j1', 'j1.01', 1, '1', 'USD', NULL), ('j2', 'j2.01', 1, '1', 'USD', '248');
      INSERT INTO positions (account, con_id, quantity, updated_at) VALUES ('DU1', 265598, 100, ${T(60)});`);
    old.close();
    store = new SqliteStore({ path: path() });
    const [closed] = store.roundTripHistory({ limit: 10, offset: 0 });
    expect(closed).toMatchObject({ openTime: T(0), closeTime: T(50), contract: { symbol: 'JPM' } });
    expect(closed!.totals).toEqual([{ currency: 'USD', realizedPnl: '248', commissions: '2', reports: 2 }]);
    expect(summary(current())).toMatchObject({ before: true, open: undefined, quantity: '100', fills: 1 });
    // Done once: a second start finds them as they are and keeps their ids.
    store.close();
    store = new SqliteStore({ path: path() });
    expect(store.roundTripHistory({ limit: 10, offset: 0 })[0]!.id).toBe(closed!.id);
    const db = new Database(path(), { readonly: true });
    expect(db.prepare('SELECT day, realized_pnl, commissions FROM daily_realized').all()).toEqual([
      { day: '2026-11-25', realized_pnl: '248', commissions: '2' },
    ]);
    db.close();
  });
});
