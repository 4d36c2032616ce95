// Pure rules for the execution ledger: which version of a fill wins, what a fill joined with its
// commission report adds to the position's totals, and how the running totals move. No I/O: every
// store applies these inside its transactions, so the rules are tested here without a database
// and each backend gets the same arithmetic.
import { sourceOf } from './basis.js';
import { addSigned } from './money.js';
import type {
  CommissionRecord,
  ContractInfo,
  LedgerContribution,
  LedgerTotals,
  MoneyTotals,
  PnlSource,
} from './types.js';

/** What the ledger needs to know of a fill to credit its commission report to a position. */
export interface FillOwner {
  account: string;
  contract: Pick<ContractInfo, 'conId' | 'currency'>;
}

export type Decision = 'insert' | 'replace' | 'ignore';

/**
 * A fill is stored once per base execId. IB re-sends fills (backfill after reconnect, replays),
 * and sends corrections with a higher revision: only a higher revision replaces what is stored.
 */
export function decideRevision(
  existing: { revision: number } | undefined,
  incoming: { revision: number },
): Decision {
  if (!existing) return 'insert';
  return incoming.revision > existing.revision ? 'replace' : 'ignore';
}

/**
 * decideRevision between two versions of one fill (or report) that may come from different
 * sources. The API's version wins: a Flex version never replaces what the API stored, and an API
 * version replaces a Flex one whatever the revisions (the statement was written from IB's books
 * after the fact; the API is what the gateway reported live, with IB's average-cost PnL).
 */
export function decideVersion(
  existing: { revision: number; source?: PnlSource } | undefined,
  incoming: { revision: number; source?: PnlSource },
): Decision {
  if (!existing) return 'insert';
  const [was, is] = [sourceOf(existing), sourceOf(incoming)];
  if (was !== is) return is === 'api' ? 'replace' : 'ignore';
  return decideRevision(existing, incoming);
}

/**
 * What a joined fill adds to its position's ledger. Both halves are needed: the report has no
 * account or conId, the execution has no commission. Totals are kept per currency of the report.
 */
export function contribution(execution: FillOwner, report: CommissionRecord): LedgerContribution {
  return {
    account: execution.account,
    conId: execution.contract.conId,
    currency: report.currency ?? execution.contract.currency,
    commission: report.commission ?? '0',
    realizedPnl: report.realizedPnl,
    // Absent for the API, as on every record: a ledger without Flex looks as it always did.
    ...(report.source === 'flex' ? { source: 'flex' as const } : {}),
  };
}

/**
 * What a fill's part in a round trip adds to that trip. The opening part of a flipping fill joins
 * its report with nothing of its money (that went to the trip the fill closed), so the new trip's
 * realized PnL is known to be 0, not unknown.
 */
export function tripContribution(money: boolean, c: LedgerContribution): LedgerContribution {
  return money ? c : { ...c, commission: '0', realizedPnl: undefined };
}

/** The identity of a ledger row: one position in one report currency. */
export function ledgerKey(row: Pick<LedgerTotals, 'account' | 'conId' | 'currency'>): string {
  return `${row.account}|${row.conId}|${row.currency}`;
}

/**
 * The running totals after adding (sign +1) or taking back (sign -1) one joined fill. A
 * correction takes back the old version's contribution and adds the new one. An opening fill
 * (no realized PnL) leaves the realized total as it is but still counts as a report, so that
 * `reports` says how many fills the total is made of.
 */
export function applyContribution(
  current: LedgerTotals | undefined,
  c: LedgerContribution,
  sign: 1 | -1,
): LedgerTotals {
  const base = current ?? {
    account: c.account,
    conId: c.conId,
    currency: c.currency,
    realizedPnl: '0',
    commissions: '0',
    reports: 0,
  };
  return addContribution(base, c, sign);
}

/**
 * The same arithmetic for any sums of joined fills (a position's, a round trip's, a day's). A
 * report from a Flex statement also counts in `flexReports`, so the sum knows its basis
 * (domain/basis.ts) and a Flex report taken back (replaced by the API's) moves the basis back.
 */
export function addContribution<T extends MoneyTotals>(current: T, c: LedgerContribution, sign: 1 | -1): T {
  const next: T = {
    ...current,
    realizedPnl:
      c.realizedPnl === undefined ? current.realizedPnl : addSigned(current.realizedPnl, c.realizedPnl, sign),
    commissions: addSigned(current.commissions, c.commission, sign),
    reports: current.reports + sign,
  };
  return withFlexReports(next, (current.flexReports ?? 0) + (sourceOf(c) === 'flex' ? sign : 0));
}

/** Totals with this many Flex reports; 0 leaves the field absent, as on a ledger without Flex. */
export function withFlexReports<T extends MoneyTotals>(totals: T, flexReports: number): T {
  const { flexReports: _old, ...rest } = totals;
  return (flexReports === 0 ? rest : { ...rest, flexReports }) as T;
}

/** Two sums of joined fills added (a stored total and the delta a group moved it by). */
export function addTotals<T extends MoneyTotals>(a: T, b: MoneyTotals): T {
  return withFlexReports(
    {
      ...a,
      realizedPnl: addSigned(a.realizedPnl, b.realizedPnl, 1),
      commissions: addSigned(a.commissions, b.commissions, 1),
      reports: a.reports + b.reports,
    },
    (a.flexReports ?? 0) + (b.flexReports ?? 0),
  );
}
