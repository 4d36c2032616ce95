// What both stores' importFlex gather while they apply a statement: each fill's outcome from the
// planner's decisions on its two halves, and every ledger row, execution count and current round
// trip the statement changed, as they are at its end (the last word on a row wins).
import { flexOutcome, summarizeFlex } from '../domain/flex-ledger.js';
import type { FlexBatch, FlexFill, FlexOutcome } from '../domain/flex.js';
import { ledgerKey } from '../domain/ledger.js';
import type { CurrentTrip } from '../domain/round-trips.js';
import type { LedgerTotals } from '../domain/types.js';
import type { FlexImportResult, RecordResult } from './store.js';

export class FlexChanges {
  private readonly ledger = new Map<string, LedgerTotals>();
  private readonly counts = new Map<string, number>();
  private readonly trips = new Map<string, CurrentTrip>();
  private readonly outcomes: Array<{ account: string; outcome: FlexOutcome }> = [];

  /** The planner's results of the statement's fill events (two per fill, as flexFillEvents made them). */
  recorded(fills: readonly FlexFill[], results: readonly RecordResult[]): void {
    fills.forEach((fill, i) => {
      const outcome = flexOutcome(results[2 * i]!.decision, results[2 * i + 1]!.decision);
      this.outcome(fill.execution.account, outcome);
    });
    for (const result of results) {
      for (const row of result.ledger) this.totals(row);
      for (const c of result.executionCounts) this.count(c.account, c.executions);
      for (const trip of result.roundTrips ?? []) this.trip(trip);
    }
  }

  outcome(account: string, outcome: FlexOutcome): void {
    this.outcomes.push({ account, outcome });
  }

  totals(row: LedgerTotals): void {
    this.ledger.set(ledgerKey(row), row);
  }

  count(account: string, executions: number): void {
    this.counts.set(account, executions);
  }

  trip(trip: CurrentTrip): void {
    this.trips.set(`${trip.account}|${trip.conId}`, trip);
  }

  result(batch: FlexBatch, dryRun: boolean): FlexImportResult {
    return {
      summary: summarizeFlex(batch, this.outcomes, dryRun),
      ledger: [...this.ledger.values()],
      executionCounts: [...this.counts].map(([account, executions]) => ({ account, executions })),
      roundTrips: [...this.trips.values()],
    };
  }
}

/** The positions a statement's fills touch, each once. */
export function flexPositions(fills: readonly FlexFill[]): Array<{ account: string; conId: number }> {
  const seen = new Map<string, { account: string; conId: number }>();
  for (const { execution } of fills)
    seen.set(`${execution.account}|${execution.contract.conId}`, {
      account: execution.account,
      conId: execution.contract.conId,
    });
  return [...seen.values()];
}
