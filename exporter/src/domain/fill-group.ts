// A group of fills and commission reports, decided all at once against what the ledger already
// holds: a backend reads the stored rows of the group's execIds (and the totals they touch) in one
// query each, this plans every decision in IB's order, and the backend writes the final rows in
// one statement per table. A 100,000-fill backfill is then a few round trips per group instead of
// several per fill. Pure: no I/O, same arithmetic for every backend.
import { applyContribution, contribution, decideVersion, ledgerKey } from './ledger.js';
import type { Decision, FillOwner } from './ledger.js';
import type {
  CommissionRecord,
  ExecutionRecord,
  LedgerContribution,
  LedgerTotals,
  PnlSource,
} from './types.js';

export type FillEvent =
  { kind: 'execution'; execution: ExecutionRecord } | { kind: 'commission'; report: CommissionRecord };

/** What the ledger holds of an execution: enough to decide a correction and credit a report. */
export interface StoredFill extends FillOwner {
  revision: number;
  /** When the fill was made (epoch ms), where the backend keeps daily totals from the credits. */
  time?: number;
  /** Who stored it (absent: the API): the API's version wins over a Flex statement's. */
  source?: PnlSource;
  /** IB's trade id, when a Flex statement said it: kept when the API's version replaces it. */
  tradeId?: string;
}

/** One joined fill added to (+1) or taken back from (-1) the totals, in the order they happened. */
export interface Credit {
  contribution: LedgerContribution;
  /** The fill's time, when the stored fill said it. */
  time?: number;
  sign: 1 | -1;
}

export interface FillResult {
  decision: Decision;
  /** Ledger rows whose totals changed, as they are after this event. */
  ledger: LedgerTotals[];
  /** Accounts whose execution count changed, with the count after this event. */
  executionCounts: Array<{ account: string; executions: number }>;
}

export interface FillPlan {
  results: FillResult[];
  /** The executions to write, one per base execId (the last version wins). */
  executions: ExecutionRecord[];
  /** The commission reports to write, one per base execId. */
  reports: CommissionRecord[];
  /** The ledger rows to write, as they are after the whole group. */
  totals: LedgerTotals[];
  /** Executions newly stored per account, to add to the stored counts. */
  newExecutions: Map<string, number>;
  /** Every contribution added or taken back, in order: what daily or other sums move by. */
  credits: Credit[];
}

const baseId = (event: FillEvent): string =>
  event.kind === 'execution' ? event.execution.baseExecId : event.report.baseExecId;

/** The base execIds a group touches: what a backend reads before planning. */
export function groupExecIds(events: readonly FillEvent[]): string[] {
  return [...new Set(events.map(baseId))];
}

/**
 * The ledger rows a group can touch, given the stored fills of its execIds: a backend reads these
 * totals before planning. A superset is fine; a missing one would start from zero.
 */
export function groupTotalsKeys(
  events: readonly FillEvent[],
  stored: ReadonlyMap<string, StoredFill>,
  storedReports: ReadonlyMap<string, CommissionRecord>,
): Array<Pick<LedgerTotals, 'account' | 'conId' | 'currency'>> {
  const owners = new Map<string, FillOwner[]>();
  const currencies = new Map<string, Array<string | undefined>>();
  for (const event of events) {
    if (event.kind === 'execution') {
      const id = event.execution.baseExecId;
      owners.set(id, [...(owners.get(id) ?? []), event.execution]);
    } else {
      const id = event.report.baseExecId;
      currencies.set(id, [...(currencies.get(id) ?? []), event.report.currency]);
    }
  }
  const keys = new Map<string, Pick<LedgerTotals, 'account' | 'conId' | 'currency'>>();
  for (const id of groupExecIds(events)) {
    const fillOwners = [...(owners.get(id) ?? [])];
    const existing = stored.get(id);
    if (existing) fillOwners.push(existing);
    const reportCurrencies = new Set([...(currencies.get(id) ?? []), storedReports.get(id)?.currency]);
    for (const owner of fillOwners) {
      for (const currency of reportCurrencies) {
        const key = {
          account: owner.account,
          conId: owner.contract.conId,
          currency: currency ?? owner.contract.currency,
        };
        keys.set(ledgerKey(key), key);
      }
    }
  }
  return [...keys.values()];
}

/**
 * Decides every event of the group in order, as if each were written alone: a duplicate is
 * ignored, a correction replaces (and takes back what the old version added), a report joins its
 * fill whichever arrives first. Between sources the API's version wins (decideVersion): a Flex
 * event never replaces an API row, an API event replaces a Flex row and takes back its credit.
 */
export function planFillGroup(
  events: readonly FillEvent[],
  stored: {
    fills: ReadonlyMap<string, StoredFill>;
    reports: ReadonlyMap<string, CommissionRecord>;
    totals: ReadonlyMap<string, LedgerTotals>;
    executionCounts: ReadonlyMap<string, number>;
  },
  options: { echoStored?: boolean } = {},
): FillPlan {
  const fills = new Map(stored.fills);
  const reports = new Map(stored.reports);
  const totals = new Map(stored.totals);
  const counts = new Map(stored.executionCounts);
  const executions = new Map<string, ExecutionRecord>();
  const writtenReports = new Map<string, CommissionRecord>();
  const touched = new Set<string>();
  const newExecutions = new Map<string, number>();
  const credits: Credit[] = [];

  const credit = (
    owner: FillOwner & { time?: number },
    report: CommissionRecord,
    sign: 1 | -1,
    changed: Map<string, LedgerTotals>,
  ) => {
    const c = contribution(owner, report);
    credits.push({ contribution: c, time: owner.time, sign });
    const key = ledgerKey(c);
    const next = applyContribution(totals.get(key), c, sign);
    totals.set(key, next);
    touched.add(key);
    changed.set(key, next);
  };

  // With several exporters on one database, a fill another one stored is still news to this one's
  // memory: an ignored event then reports the rows it would have touched, as they are.
  const echo = (
    owner: FillOwner | undefined,
    report: CommissionRecord | undefined,
    account?: string,
  ): FillResult => {
    const ledger =
      owner && report
        ? [totals.get(ledgerKey(contribution(owner, report)))].filter((t) => t !== undefined)
        : [];
    const count = account === undefined ? undefined : counts.get(account);
    return {
      decision: 'ignore',
      ledger: options.echoStored ? ledger : [],
      executionCounts:
        options.echoStored && count !== undefined ? [{ account: account!, executions: count }] : [],
    };
  };

  const results = events.map((event): FillResult => {
    const changed = new Map<string, LedgerTotals>();
    const executionCounts: FillResult['executionCounts'] = [];
    if (event.kind === 'execution') {
      const { execution } = event;
      const existing = fills.get(execution.baseExecId);
      const decision = decideVersion(existing, execution);
      if (decision === 'ignore') return echo(existing, reports.get(execution.baseExecId), existing?.account);
      // The trade id only a statement knows stays with the fill when the API's version replaces it.
      const written =
        execution.tradeId === undefined && existing?.tradeId !== undefined
          ? { ...execution, tradeId: existing.tradeId }
          : execution;
      const report = reports.get(execution.baseExecId);
      if (existing && report) credit(existing, report, -1, changed);
      fills.set(execution.baseExecId, written);
      executions.set(execution.baseExecId, written);
      if (decision === 'insert') {
        const count = (counts.get(execution.account) ?? 0) + 1;
        counts.set(execution.account, count);
        newExecutions.set(execution.account, (newExecutions.get(execution.account) ?? 0) + 1);
        executionCounts.push({ account: execution.account, executions: count });
      }
      if (report) credit(execution, report, +1, changed);
      return { decision, ledger: [...changed.values()], executionCounts };
    }
    const { report } = event;
    const existing = reports.get(report.baseExecId);
    const decision = decideVersion(existing, report);
    const owner = fills.get(report.baseExecId);
    if (decision === 'ignore') return echo(owner, existing);
    if (owner && existing) credit(owner, existing, -1, changed);
    reports.set(report.baseExecId, report);
    writtenReports.set(report.baseExecId, report);
    if (owner) credit(owner, report, +1, changed);
    return { decision, ledger: [...changed.values()], executionCounts };
  });

  return {
    results,
    executions: [...executions.values()],
    reports: [...writtenReports.values()],
    totals: [...touched].map((key) => totals.get(key)!),
    newExecutions,
    credits,
  };
}
