// What a Flex statement brings to the ledger, once parsed (flex/) and planned: fills with their
// commission and FIFO realized PnL, and cancellations of trades reported earlier. Pure types shared
// by the parser, the stores (importFlex) and the Flex Web Service schedule, so each can be built
// and tested on its own. Every record keeps the statement line it came from, for error messages.
import type { CommissionRecord, ExecutionRecord } from './types.js';

/** One trade of the statement as a ledger fill; both records carry source `flex`. */
export interface FlexFill {
  /** 1-based line of the <Trade> element in the statement. */
  line: number;
  execution: ExecutionRecord;
  report: CommissionRecord;
}

/** A trade the statement reports as cancelled (IB code `Ca`): the ledger forgets the fill. */
export interface FlexCancellation {
  line: number;
  account: string;
  /** IB's tradeID of the trade it cancels (Flex `origTradeID`, else the row's own tradeID). */
  tradeId: string;
  /**
   * The base execId of the trade it cancels, when the statement knows it: a cancellation row
   * itself writes no ibExecID, so this is set only when the original trade is in the same
   * statement. It lets the ledger find the original among fills the API stored, which carry no
   * tradeId.
   */
  baseExecId?: string;
}

/**
 * A row IB booked without an execution (an option expiry, assignment or exercise, an automatic
 * currency conversion): not a fill, since the TWS API never reports it as an execution and the
 * ledger is one record of executions. Listed so the import can say what it left out and why.
 */
export interface FlexIgnoredRow {
  line: number;
  account: string;
  /** E.g. "option expiry booked by IB (Ep), not an execution". */
  reason: string;
}

/** A validated statement, ready to import in one transaction. */
export interface FlexBatch {
  /** The accounts the statement covers; every fill and cancellation is in one of them. */
  accounts: string[];
  fills: FlexFill[];
  cancellations: FlexCancellation[];
  /** Rows left out on purpose (booked by IB, not executions); absent = none. */
  ignored?: FlexIgnoredRow[];
}

/**
 * What importing did to one fill: `add` a fill the ledger did not have; `merge` completes a fill
 * the API left half-known (an execution without its commission report, or the reverse); `skip` a
 * fill already stored (the API's version wins, and a statement imported again changes nothing);
 * `cancel` forgets a stored fill the statement cancels.
 */
export type FlexOutcome = 'add' | 'merge' | 'skip' | 'cancel';

export interface FlexAccountSummary {
  account: string;
  add: number;
  merge: number;
  skip: number;
  cancel: number;
}

export interface FlexImportSummary {
  dryRun: boolean;
  accounts: FlexAccountSummary[];
  /** Rows of the statement that are not fills (booked by IB), so a user sees what was left out. */
  ignored?: FlexIgnoredRow[];
}

/** Input that is not an importable Flex statement; the message names the line or the trade. */
export class FlexInputError extends Error {
  override readonly name = 'FlexInputError';
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
  }
}
