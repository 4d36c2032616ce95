// How a planned Flex statement (domain/flex.ts) enters the ledger, as pure rules every store
// applies inside the statement's one transaction: its fills become the same execution and
// commission events the live path records (so the group planner in fill-group.ts decides them,
// the API's version winning), each fill's two decisions say its outcome, and fills older than a
// position's stored history shrink what the position held before that history (its carry).
import Big from 'big.js';
import type { FillEvent } from './fill-group.js';
import type { Decision } from './ledger.js';
import type { FlexAccountSummary, FlexBatch, FlexFill, FlexImportSummary, FlexOutcome } from './flex.js';
import { compareFills } from './round-trips.js';
import type { TripFill } from './round-trips.js';
import type { Decimal } from './types.js';

/** The statement's fills as fill events, each execution followed by its report, all source flex. */
export function flexFillEvents(fills: readonly FlexFill[]): FillEvent[] {
  return fills.flatMap((fill): FillEvent[] => [
    { kind: 'execution', execution: { ...fill.execution, source: 'flex' } },
    { kind: 'commission', report: { ...fill.report, source: 'flex' } },
  ]);
}

/**
 * A fill's outcome from the decisions on its two halves: both new (or both newer revisions of an
 * earlier statement's) is an add, both already stored a skip, and one stored (by the API, which
 * wins, or by an earlier statement) while the statement supplies the other a merge.
 */
export function flexOutcome(execution: Decision, report: Decision): Exclude<FlexOutcome, 'cancel'> {
  const kept = [execution, report].filter((d) => d === 'ignore').length;
  return kept === 2 ? 'skip' : kept === 0 ? 'add' : 'merge';
}

/** Counts per account, every account of the statement listed (in its order) even with nothing to do. */
export function summarizeFlex(
  batch: Pick<FlexBatch, 'accounts'>,
  outcomes: ReadonlyArray<{ account: string; outcome: FlexOutcome }>,
  dryRun: boolean,
): FlexImportSummary {
  const accounts = new Map<string, FlexAccountSummary>();
  const of = (account: string) => {
    let summary = accounts.get(account);
    if (!summary) {
      summary = { account, add: 0, merge: 0, skip: 0, cancel: 0 };
      accounts.set(account, summary);
    }
    return summary;
  };
  for (const account of batch.accounts) of(account);
  for (const { account, outcome } of outcomes) of(account)[outcome] += 1;
  return { dryRun, accounts: [...accounts.values()] };
}

/**
 * What a position held before its stored history, once a statement adds fills to it. The carry
 * was IB's position minus every stored fill; a fill older than the first stored one was part of
 * that carry, so it now moves out of it (a carry explained by old fills shrinks to 0 and the
 * trip it stood for becomes the fills' own). A fill inside the stored history was missing from
 * the history, not from the carry, and leaves the carry alone. `first` is the position's first
 * stored fill before the statement; undefined when it had none (then every imported fill is
 * older: the carry was learned when the exporter began, and the API reported what came after).
 * Undefined when the carry stays as it is.
 */
export function carryAfterImport(
  carry: Decimal,
  first: Pick<TripFill, 'time' | 'baseExecId'> | undefined,
  added: ReadonlyArray<Pick<TripFill, 'time' | 'baseExecId' | 'side' | 'shares'>>,
): Decimal | undefined {
  let held = new Big(carry);
  for (const fill of added) {
    if (first !== undefined && compareFills(fill, first) >= 0) continue;
    held = fill.side === 'buy' ? held.minus(fill.shares) : held.plus(fill.shares);
  }
  return held.eq(carry) ? undefined : held.toString();
}
