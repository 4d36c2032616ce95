// The basis of a realized PnL sum. IB's commission reports realize PnL on the average cost of the
// position; a Flex statement's fifoPnlRealized realizes it FIFO by tax lot. A sum keeps count of
// how many of its reports came from each, so a correction or an API report replacing a Flex one
// moves the basis back exactly, and nothing ever converts one basis into the other.
import type { MoneyTotals, PnlSource, RealizedBasis } from './types.js';

/** The basis of a sum of joined fills; undefined while it holds no report (its PnL is unknown). */
export function basisOf(totals: Pick<MoneyTotals, 'reports' | 'flexReports'>): RealizedBasis | undefined {
  if (totals.reports <= 0) return undefined;
  const flex = totals.flexReports ?? 0;
  if (flex <= 0) return 'api';
  return flex >= totals.reports ? 'flex' : 'mixed';
}

/** The basis of several sums together (a position over its report currencies, an account). */
export function combineBases(bases: ReadonlyArray<RealizedBasis | undefined>): RealizedBasis | undefined {
  let seen: RealizedBasis | undefined;
  for (const basis of bases) {
    if (basis === undefined) continue;
    if (seen === undefined) seen = basis;
    else if (seen !== basis) return 'mixed';
  }
  return seen;
}

export const sourceOf = (row: { source?: PnlSource }): PnlSource => row.source ?? 'api';
