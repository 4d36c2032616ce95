// Pure rules for the execution ledger: which version of a fill wins, and what a fill joined with
// its commission report adds to the position's totals. No I/O: the store applies these inside
// its transactions, so the rules are tested here without a database.
import type { CommissionRecord, ContractInfo, LedgerContribution } from './types.js';

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
  };
}
