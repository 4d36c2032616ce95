// Round trips: one position's life from the fill that opens it from flat to the fill that brings
// it back to flat (the original tracker's "historical positions"). Pure and exact (big.js): the
// stores keep the result and call stepRoundTrip for a fill that comes after every stored one, and
// deriveRoundTrips for the rare fill that lands in the past (a backfill after a reconnect, a
// correction), so neither a request nor start-up rescans the history.
import Big from 'big.js';
import type { Decimal, MoneyTotals, Side } from './types.js';

/** The part of a round trip's identity that survives re-deriving it: what opened it. */
export const CARRIED = '';

export interface TripFill {
  baseExecId: string;
  side: Side;
  /** Positive; `side` says the direction. */
  shares: Decimal;
  /** Epoch milliseconds. */
  time: number;
}

export interface TripShape {
  /** The base execId of the fill that opened it, or CARRIED for a position held before the ledger began. */
  openKey: string;
  /** True when the ledger began after the position opened: then openTime is unknown. */
  openedBeforeLedger: boolean;
  openTime?: number;
  closeTime?: number;
  /** Signed quantity held now; "0" once closed. */
  quantity: Decimal;
  /** Fills (or parts of a fill) that belong to it. */
  fills: number;
}

/**
 * Where (part of) a fill goes. A fill that flips the position belongs to two round trips: the part
 * up to flat closes the old one, the rest opens the next. Its commission and IB's realized PnL go
 * with the closing part (`money`): IB realizes PnL only on what a fill closes, net of the whole
 * commission, so that is where both belong.
 */
export interface TripPart {
  openKey: string;
  baseExecId: string;
  /** Positive part of the fill's shares. */
  quantity: Decimal;
  money: boolean;
}

export interface Step {
  /** The trip the fill changed (the open one, possibly now closed), if there was one. */
  updated?: TripShape;
  /** The trip the fill opened, from flat or by flipping. */
  opened?: TripShape;
  parts: TripPart[];
}

const signed = (fill: TripFill): Big =>
  fill.side === 'buy' ? new Big(fill.shares) : new Big(fill.shares).neg();

/** The open round trip a position held before the ledger began starts with. */
export function carriedTrip(quantity: Decimal): TripShape | undefined {
  if (new Big(quantity).eq(0)) return undefined;
  return { openKey: CARRIED, openedBeforeLedger: true, quantity: new Big(quantity).toString(), fills: 0 };
}

function opening(fill: TripFill, quantity: Big): TripShape {
  return {
    openKey: fill.baseExecId,
    openedBeforeLedger: false,
    openTime: fill.time,
    quantity: quantity.toString(),
    fills: 1,
  };
}

/** Applies a fill to the position's open round trip (undefined when flat). */
export function stepRoundTrip(open: TripShape | undefined, fill: TripFill): Step {
  const delta = signed(fill);
  if (!open) {
    return {
      opened: opening(fill, delta),
      parts: [{ openKey: fill.baseExecId, baseExecId: fill.baseExecId, quantity: fill.shares, money: true }],
    };
  }
  const before = new Big(open.quantity);
  const after = before.plus(delta);
  const part = (openKey: string, quantity: Big, money: boolean): TripPart => ({
    openKey,
    baseExecId: fill.baseExecId,
    quantity: quantity.abs().toString(),
    money,
  });
  if (after.eq(0) || after.s === before.s) {
    return {
      updated: {
        ...open,
        quantity: after.toString(),
        fills: open.fills + 1,
        ...(after.eq(0) ? { closeTime: fill.time } : {}),
      },
      parts: [part(open.openKey, delta, true)],
    };
  }
  // A flip: the old trip closes at this fill, the rest of the fill opens the next one.
  return {
    updated: { ...open, quantity: '0', fills: open.fills + 1, closeTime: fill.time },
    opened: opening(fill, after),
    parts: [part(open.openKey, before, true), part(fill.baseExecId, after, false)],
  };
}

/** Fills in the order they happened; the execId breaks ties of the same second. */
export function compareFills(
  a: Pick<TripFill, 'time' | 'baseExecId'>,
  b: Pick<TripFill, 'time' | 'baseExecId'>,
): number {
  if (a.time !== b.time) return a.time - b.time;
  return a.baseExecId < b.baseExecId ? -1 : a.baseExecId > b.baseExecId ? 1 : 0;
}

/**
 * Every round trip of one position, oldest first, from the quantity held before its first stored
 * fill (`carried`, "0" unless the ledger began while it was open) and its fills in any order.
 */
export function deriveRoundTrips(
  carried: Decimal,
  fills: TripFill[],
): { trips: TripShape[]; parts: TripPart[] } {
  return stepRoundTrips(carriedTrip(carried), fills);
}

/**
 * Applies fills to a position's open round trip (undefined when flat), in time order: the trips
 * they changed or opened, oldest first, as they are after the last fill, and where each fill went.
 * For fills that all come after every stored fill of the position, this is what deriving the
 * position again would give, without reading its history: a group of fills moves the trips once.
 */
export function stepRoundTrips(
  open: TripShape | undefined,
  fills: TripFill[],
): { trips: TripShape[]; parts: TripPart[] } {
  const trips: TripShape[] = open ? [open] : [];
  const parts: TripPart[] = [];
  for (const fill of [...fills].sort(compareFills)) {
    const step = stepRoundTrip(open, fill);
    if (step.updated) trips[trips.length - 1] = step.updated;
    if (step.opened) trips.push(step.opened);
    parts.push(...step.parts);
    const last = trips.at(-1);
    open = last && last.closeTime === undefined ? last : undefined;
  }
  return { trips, parts };
}

/** What the ledger held before its first stored fill: IB's position now minus every stored fill. */
export function carriedQuantity(reported: Decimal, fills: Array<Pick<TripFill, 'side' | 'shares'>>): Decimal {
  let held = new Big(reported);
  for (const fill of fills) held = fill.side === 'buy' ? held.minus(fill.shares) : held.plus(fill.shares);
  return held.toString();
}

/** A stored round trip of one position, with its realized PnL and commissions per report currency. */
export interface RoundTrip extends TripShape {
  id: number;
  account: string;
  conId: number;
  totals: MoneyTotals[];
}

/** The round trip a position's per-position series show: the open one, else the one closed last. */
export interface CurrentTrip {
  account: string;
  conId: number;
  trip?: RoundTrip;
}
