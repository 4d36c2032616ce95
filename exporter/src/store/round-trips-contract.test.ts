// Round trips and daily totals: one contract, both backends (PostgreSQL on a throwaway cluster).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { postgresBackend, sqliteBackend } from '../../test/support/backends.js';
import type { Backend, Ledger } from '../../test/support/backends.js';
import { describePostgres } from '../../test/support/postgres.js';
import { parseExecId } from '../domain/exec-id.js';
import type { RoundTrip } from '../domain/round-trips.js';
import type { CommissionRecord, ContractInfo, ExecutionRecord } from '../domain/types.js';
import type { FillEvent, Store } from './store.js';

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

function contract(backend: Backend): void {
  let ledger: Ledger;
  let store: Store;

  beforeAll(() => backend.setup());
  afterAll(() => backend.teardown());
  beforeEach(async () => {
    ledger = await backend.ledger();
    store = await ledger.open();
  });
  afterEach(() => ledger.cleanup());

  const current = async () => (await store.load()).roundTrips.find((t) => t.conId === AAPL.conId)?.trip;
  const record = async (...events: Array<ExecutionRecord | CommissionRecord>) => {
    const results = [];
    for (const e of events)
      results.push(await ('side' in e ? store.recordExecution(e) : store.recordCommission(e)));
    return results;
  };

  it('keeps the open trip of partial fills with the commissions and realized PnL of its reports', async () => {
    // Buy 30 + 70 (1.00 + 1.05 commission), sell 60 realizing 118.40 net: 40 still open.
    const results = await record(
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
    expect(summary(await current())).toEqual(expected);
    expect(await store.roundTripHistory({ limit: 10, offset: 0 })).toEqual([]);
  });

  it('joins a commission report that arrives before its fill', async () => {
    await record(
      fill('a.01', 'buy', 10, 0),
      report('a.01', '1'),
      report('b.01', '1', '48'),
      fill('b.01', 'sell', 10, 3),
    );
    const [closed] = await store.roundTripHistory({ limit: 10, offset: 0 });
    expect(closed).toMatchObject({
      openTime: T(0),
      closeTime: T(3),
      quantity: '0',
      totals: [{ currency: 'USD', realizedPnl: '48', commissions: '2', reports: 2 }],
    });
    // The same trip is the position's current one while IB still reports it flat.
    expect((await current())?.id).toBe(closed!.id);
  });

  it('closes a trip and opens the next with a flipping fill; its money goes to the closing part', async () => {
    await record(
      fill('a.01', 'buy', 100, 0),
      report('a.01', '1'),
      fill('b.01', 'sell', 150, 2, 101),
      report('b.01', '1.5', '97.5'),
    );
    const [closed] = await store.roundTripHistory({ limit: 10, offset: 0 });
    expect(closed).toMatchObject({ quantity: '0', fills: 2, closeTime: T(2) });
    expect(closed!.totals).toEqual([
      { currency: 'USD', realizedPnl: '97.5', commissions: '2.5', reports: 2 },
    ]);
    expect(summary(await current())).toEqual({
      open: T(2),
      close: undefined,
      before: false,
      quantity: '-50',
      fills: 1,
      // Known: nothing realized and no commission yet in the new trip (they went to the closed one).
      totals: [{ currency: 'USD', realizedPnl: '0', commissions: '0', reports: 1 }],
    });
    const fills = await store.roundTripFills((await current())!.id);
    expect(fills).toEqual([
      expect.objectContaining({
        execId: 'b.01',
        quantity: '50',
        shares: 150,
        money: false,
        commission: '1.5',
      }),
    ]);
    expect((await store.roundTripFills(closed!.id)).map((f) => [f.execId, f.quantity, f.money])).toEqual([
      ['a.01', '100', true],
      ['b.01', '100', true],
    ]);
  });

  it('re-derives a position when a correction replaces one of its fills (same base execId)', async () => {
    await record(
      fill('a.01', 'buy', 100, 0),
      report('a.01', '1'),
      fill('b.01', 'sell', 100, 5),
      report('b.01', '1', '9'),
    );
    expect(await store.roundTripHistory({ limit: 10, offset: 0 })).toHaveLength(1);
    // IB corrects the sell to 60 shares: the trip is open again with 40, the report still joined.
    const result = await store.recordExecution(fill('b.02', 'sell', 60, 5));
    expect(result.decision).toBe('replace');
    expect(await store.roundTripHistory({ limit: 10, offset: 0 })).toEqual([]);
    expect(summary(await current())).toEqual({
      open: T(0),
      close: undefined,
      before: false,
      quantity: '40',
      fills: 2,
      totals: [{ currency: 'USD', realizedPnl: '9', commissions: '2', reports: 2 }],
    });
    // And a corrected commission report replaces the old one in the trip's totals.
    await store.recordCommission(report('b.02', '0.5', '9.5'));
    expect((await current())?.totals).toEqual([
      { currency: 'USD', realizedPnl: '9.5', commissions: '1.5', reports: 2 },
    ]);
  });

  it('gives fills arriving out of time order (a backfill) the trips of the fills in order', async () => {
    await record(fill('c.01', 'buy', 10, 10), report('c.01', '1'));
    // The backfill delivers two older fills: a trip that closed before c opened.
    await record(
      fill('a.01', 'buy', 5, 1),
      report('a.01', '1'),
      fill('b.01', 'sell', 5, 2),
      report('b.01', '1', '3'),
    );
    const history = await store.roundTripHistory({ limit: 10, offset: 0 });
    expect(history.map((t) => [t.openTime, t.closeTime, t.fills])).toEqual([[T(1), T(2), 2]]);
    expect(history[0]!.totals[0]).toMatchObject({ realizedPnl: '3', commissions: '2' });
    expect(await current()).toMatchObject({ openTime: T(10), quantity: '10', fills: 1 });
  });

  it('gives a backfill that arrives out of order, in groups, the same round trips as in order', async () => {
    // One position traded 60 times: buys and sells of 10–40 shares, with flips, each with a report.
    const events: Array<ExecutionRecord | CommissionRecord> = [];
    let held = 0;
    for (let i = 0; i < 60; i++) {
      const shares = 10 * (1 + ((i * 7) % 4));
      const side = held > 30 || (held > -30 && i % 3 === 1) ? 'sell' : 'buy';
      held += side === 'buy' ? shares : -shares;
      const id = `0000e${i.toString(16).padStart(3, '0')}.01`;
      events.push(fill(id, side, shares, i), report(id, '1.25', side === 'sell' ? `${i}.5` : undefined));
    }
    const asFill = (e: ExecutionRecord | CommissionRecord): FillEvent =>
      'side' in e ? { kind: 'execution', execution: e } : { kind: 'commission', report: e };
    // Out of order: newest first, reports before their fills, in groups of 7 like socket reads.
    const shuffled = [...events].reverse();
    const snapshot = async (s: Store, l: Ledger) => ({
      history: await Promise.all(
        (await s.roundTripHistory({ limit: 100, offset: 0 })).map(async (t) => ({
          ...summary(t),
          fills: (await s.roundTripFills(t.id)).map((f) => [
            f.execId,
            f.quantity,
            f.commission,
            f.realizedPnl,
          ]),
        })),
      ),
      current: summary((await s.load()).roundTrips.find((t) => t.conId === AAPL.conId)?.trip),
      daily: await l.sql(
        'SELECT day, CAST(realized_pnl AS TEXT) AS r, CAST(commissions AS TEXT) AS c FROM daily_realized',
      ),
    });
    // In order, in groups of 5: each group steps the open trip on from where the last one left it.
    for (let k = 0; k < events.length; k += 5) await store.recordFills(events.slice(k, k + 5).map(asFill));
    const inOrder = await snapshot(store, ledger);
    const other = await backend.ledger();
    try {
      const late = await other.open();
      for (let k = 0; k < shuffled.length; k += 7)
        await late.recordFills(shuffled.slice(k, k + 7).map(asFill));
      expect(await snapshot(late, other)).toEqual(inOrder);
    } finally {
      await other.cleanup();
    }
    expect(inOrder.history.length).toBeGreaterThan(5);
  });

  it('keeps the id of a trip whose opening fill stays the same when an older fill arrives late', async () => {
    await record(fill('c.01', 'buy', 10, 10), fill('e.01', 'buy', 5, 12));
    const id = (await current())!.id;
    await record(fill('d.01', 'sell', 3, 11));
    expect(await current()).toMatchObject({ id, openTime: T(10), quantity: '12', fills: 3 });
    expect((await current())?.closeTime).toBeUndefined();
  });

  it('learns what a position held before the ledger began from IB, once, and never invents an open time', async () => {
    // IB reports 100 long; the ledger holds one sell of 40 made today.
    await record(fill('a.01', 'sell', 40, 3), report('a.01', '1', '20'));
    expect((await current())?.quantity).toBe('-40');
    const changed = await store.reconcileRoundTrips([{ account: 'DU1', conId: AAPL.conId, quantity: 60 }]);
    expect(summary(changed[0]!.trip)).toEqual({
      open: undefined,
      close: undefined,
      before: true,
      quantity: '60',
      fills: 1,
      totals: [{ currency: 'USD', realizedPnl: '20', commissions: '1', reports: 1 }],
    });
    // Once known, a later report of the position does not change it.
    expect(await store.reconcileRoundTrips([{ account: 'DU1', conId: AAPL.conId, quantity: 0 }])).toEqual([]);
    await record(fill('b.01', 'sell', 60, 9), report('b.01', '1', '30'));
    const [closed] = await store.roundTripHistory({ limit: 10, offset: 0 });
    expect(closed).toMatchObject({ openedBeforeLedger: true, closeTime: T(9), fills: 2 });
    expect(closed!.openTime).toBeUndefined();
    expect((await store.roundTrip(closed!.id))?.totals[0]).toMatchObject({
      realizedPnl: '50',
      commissions: '2',
    });
  });

  it('pages closed trips newest first and filters them by account, symbol and close time', async () => {
    for (let k = 0; k < 5; k++)
      await record(fill(`b${k}.01`, 'buy', 1, 2 * k), fill(`s${k}.01`, 'sell', 1, 2 * k + 1));
    const all = await store.roundTripHistory({ limit: 10, offset: 0 });
    expect(all.map((t) => t.closeTime)).toEqual([T(9), T(7), T(5), T(3), T(1)]);
    expect((await store.roundTripHistory({ limit: 2, offset: 2 })).map((t) => t.closeTime)).toEqual([
      T(5),
      T(3),
    ]);
    expect(await store.roundTripHistory({ limit: 10, offset: 0, sinceMs: T(5) })).toHaveLength(3);
    expect(await store.roundTripHistory({ limit: 10, offset: 0, symbol: 'MSFT' })).toEqual([]);
    expect(
      await store.roundTripHistory({ limit: 10, offset: 0, account: 'DU1', symbol: 'AAPL' }),
    ).toHaveLength(5);
    expect(await store.roundTrip(999_999)).toBeUndefined();
  });

  it('keeps realized PnL and commissions per UTC day of the fill', async () => {
    await record(
      fill('a.01', 'buy', 10, 0),
      report('a.01', '1'),
      fill('b.01', 'sell', 10, 3),
      report('b.01', '1', '48'),
    );
    const rows = await ledger.sql(
      'SELECT account, currency, day, CAST(realized_pnl AS TEXT) AS realized_pnl, CAST(commissions AS TEXT) AS commissions, reports FROM daily_realized',
    );
    expect(rows.map((r) => ({ ...r, reports: Number(r.reports) }))).toEqual([
      {
        account: 'DU1',
        currency: 'USD',
        day: '2026-11-25',
        realized_pnl: '48',
        commissions: '2',
        reports: 2,
      },
    ]);
  });
}

describe('round trips, on SQLite', () => contract(sqliteBackend()));
describePostgres('round trips, on PostgreSQL', () => contract(postgresBackend()));
