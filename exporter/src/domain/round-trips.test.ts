import { describe, expect, it } from 'vitest';
import { CARRIED, carriedQuantity, deriveRoundTrips, stepRoundTrip } from './round-trips.js';
import type { TripFill, TripShape } from './round-trips.js';

const T = (minute: number) => Date.UTC(2026, 10, 25, 14, minute);
const buy = (id: string, shares: string, minute: number): TripFill => ({
  baseExecId: id,
  side: 'buy',
  shares,
  time: T(minute),
});
const sell = (id: string, shares: string, minute: number): TripFill => ({
  ...buy(id, shares, minute),
  side: 'sell',
});

describe('deriveRoundTrips', () => {
  it('opens from flat and closes back to flat across partial fills', () => {
    // +30 +70 = 100 long, then -60 -40 = flat: one round trip of four fills.
    const { trips, parts } = deriveRoundTrips('0', [
      buy('a', '30', 0),
      buy('b', '70', 1),
      sell('c', '60', 5),
      sell('d', '40', 9),
    ]);
    expect(trips).toEqual([
      { openKey: 'a', openedBeforeLedger: false, openTime: T(0), closeTime: T(9), quantity: '0', fills: 4 },
    ]);
    expect(parts.map((p) => [p.openKey, p.baseExecId, p.quantity, p.money])).toEqual([
      ['a', 'a', '30', true],
      ['a', 'b', '70', true],
      ['a', 'c', '60', true],
      ['a', 'd', '40', true],
    ]);
  });

  it('keeps a partly closed position open with what is left', () => {
    const { trips } = deriveRoundTrips('0', [buy('a', '100', 0), sell('b', '35.5', 3)]);
    expect(trips).toEqual([
      { openKey: 'a', openedBeforeLedger: false, openTime: T(0), quantity: '64.5', fills: 2 },
    ]);
  });

  it('closes one round trip and opens the next with a fill that flips the position', () => {
    // Long 100, sell 150: 100 close the long, 50 open a short; buying 50 closes the short.
    const { trips, parts } = deriveRoundTrips('0', [
      buy('a', '100', 0),
      sell('b', '150', 2),
      buy('c', '50', 4),
    ]);
    expect(trips).toEqual([
      { openKey: 'a', openedBeforeLedger: false, openTime: T(0), closeTime: T(2), quantity: '0', fills: 2 },
      { openKey: 'b', openedBeforeLedger: false, openTime: T(2), closeTime: T(4), quantity: '0', fills: 2 },
    ]);
    // The commission and realized PnL of the flipping fill go with the part that closes.
    expect(parts.map((p) => [p.openKey, p.baseExecId, p.quantity, p.money])).toEqual([
      ['a', 'a', '100', true],
      ['a', 'b', '100', true],
      ['b', 'b', '50', false],
      ['b', 'c', '50', true],
    ]);
  });

  it('starts a new round trip after the position was flat', () => {
    const { trips } = deriveRoundTrips('0', [buy('a', '10', 0), sell('b', '10', 1), sell('c', '5', 2)]);
    expect(trips.map((t) => [t.openKey, t.quantity, t.closeTime])).toEqual([
      ['a', '0', T(1)],
      ['c', '-5', undefined],
    ]);
    expect(trips[1]!.openTime).toBe(T(2));
  });

  it('does not invent an opening time for a position held before the ledger began', () => {
    // IB reports 100 long; the ledger only holds today's two sells of 40 and 60.
    const fills = [sell('a', '40', 1), sell('b', '60', 6)];
    const carried = carriedQuantity('0', fills);
    expect(carried).toBe('100');
    const { trips } = deriveRoundTrips(carried, fills);
    expect(trips).toEqual([
      { openKey: CARRIED, openedBeforeLedger: true, closeTime: T(6), quantity: '0', fills: 2 },
    ]);
    expect(trips[0]!.openTime).toBeUndefined();
  });

  it('keeps a held position without any stored fill as one open round trip', () => {
    expect(deriveRoundTrips('-20', []).trips).toEqual([
      { openKey: CARRIED, openedBeforeLedger: true, quantity: '-20', fills: 0 },
    ]);
    expect(deriveRoundTrips('0', []).trips).toEqual([]);
  });

  it('orders fills by time whatever order they arrived in (a backfill after a reconnect)', () => {
    const inOrder = [buy('a', '100', 0), sell('b', '100', 2), buy('c', '10', 3), sell('d', '10', 7)];
    const shuffled = [inOrder[3]!, inOrder[1]!, inOrder[2]!, inOrder[0]!];
    const derived = deriveRoundTrips('0', shuffled);
    expect(derived).toEqual(deriveRoundTrips('0', inOrder));
    expect(derived.trips.map((t) => [t.openKey, t.openTime, t.closeTime])).toEqual([
      ['a', T(0), T(2)],
      ['c', T(3), T(7)],
    ]);
  });

  it('breaks ties of the same time by execId, so the result does not depend on arrival', () => {
    const a = deriveRoundTrips('0', [sell('y', '5', 1), buy('x', '5', 1)]);
    const b = deriveRoundTrips('0', [buy('x', '5', 1), sell('y', '5', 1)]);
    expect(a).toEqual(b);
    expect(a.trips).toHaveLength(1);
  });

  it('follows a correction of a fill: the replaced fill changes what is still open', () => {
    // Sold 100 (closing), then IB corrects that fill (same base execId) to 60 sold: 40 stay open.
    const before = deriveRoundTrips('0', [buy('a', '100', 0), sell('b', '100', 5)]);
    expect(before.trips[0]!.closeTime).toBe(T(5));
    const after = deriveRoundTrips('0', [buy('a', '100', 0), sell('b', '60', 5)]);
    expect(after.trips).toEqual([
      { openKey: 'a', openedBeforeLedger: false, openTime: T(0), quantity: '40', fills: 2 },
    ]);
  });

  it('is exact with fractional shares', () => {
    const { trips } = deriveRoundTrips('0', [buy('a', '0.1', 0), buy('b', '0.2', 1), sell('c', '0.3', 2)]);
    expect(trips[0]).toMatchObject({ quantity: '0', closeTime: T(2) });
  });
});

describe('stepRoundTrip', () => {
  it('gives, fill by fill, what deriving the whole position gives', () => {
    const fills = [
      buy('a', '30', 0),
      buy('b', '70', 1),
      sell('c', '150', 2),
      buy('d', '20', 3),
      buy('e', '30', 4),
    ];
    const trips: TripShape[] = [];
    let open: TripShape | undefined;
    for (const fill of fills) {
      const step = stepRoundTrip(open, fill);
      if (step.updated) trips[trips.length - 1] = step.updated;
      if (step.opened) trips.push(step.opened);
      open = trips.at(-1)?.closeTime === undefined ? trips.at(-1) : undefined;
    }
    expect(trips).toEqual(deriveRoundTrips('0', fills).trips);
    expect(trips.map((t) => [t.openKey, t.quantity])).toEqual([
      ['a', '0'],
      ['c', '0'],
    ]);
  });
});

describe('carriedQuantity', () => {
  it('is what IB reports minus every stored fill', () => {
    expect(carriedQuantity('100', [buy('a', '50', 0)])).toBe('50');
    expect(carriedQuantity('-20', [sell('a', '20', 0)])).toBe('0');
    expect(carriedQuantity('1', [sell('a', '1', 0)])).toBe('2');
  });
});
