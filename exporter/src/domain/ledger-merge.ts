// Pure rules for merging one ledger into another (`npm run ledger -- copy`). Fills and commission
// reports merge by the live path's revision rule (decideRevision in ledger.ts), state IB reports
// as "the latest" (positions, account values) by its update time, and what a position held before
// the ledger began by the rule below; everything derived from them (running totals, round trips,
// daily totals) is derived again from the merged facts, never added up from both sides, so a row
// present in both is counted once.
import Big from 'big.js';

/** What a position held before the first stored fill, as one ledger learned it. */
export interface Carry {
  quantity: string;
  /** The time of the position's first fill in that ledger; undefined when it has none. */
  firstFill?: number;
}

/**
 * Whose carry a merged position keeps. A carry is "what was held before the first stored fill",
 * so after a merge the right one is the carry of the ledger whose history of that position starts
 * earlier: a live exporter that began on an empty database learned what it held before today's
 * fills, which the copied history explains. A tie (or neither having fills) keeps the target's.
 */
export function takeIncomingCarry(existing: Carry | undefined, incoming: Carry): boolean {
  if (existing === undefined) return true;
  if (new Big(existing.quantity).eq(incoming.quantity) || incoming.firstFill === undefined) return false;
  return existing.firstFill === undefined || incoming.firstFill < existing.firstFill;
}
