// The store seam: the only way the rest of the exporter reaches durable state.
import type { Decision } from '../domain/ledger.js';
import type { SnapshotReason } from '../domain/snapshot-policy.js';
import type { OrderStore } from './order-store.js';
export type { LedgerTotals } from '../domain/types.js';
import type {
  AccountPnl,
  AccountValue,
  CommissionRecord,
  ContractInfo,
  Decimal,
  ExecutionRecord,
  LedgerTotals,
  PositionPnl,
  PositionRecord,
  Stream,
} from '../domain/types.js';

export interface RecordResult {
  decision: Decision;
  /** Ledger rows whose totals changed, as they are now. */
  ledger: LedgerTotals[];
  /** Accounts whose execution count changed, with the count now. */
  executionCounts: Array<{ account: string; executions: number }>;
}

export interface StoredPosition {
  position: PositionRecord;
  pnl?: PositionPnl;
  lastSnapshotAt?: number;
}

export interface PersistedState {
  positions: StoredPosition[];
  ledger: LedgerTotals[];
  executionCounts: Array<{ account: string; executions: number }>;
  accountValues: AccountValue[];
  accountPnl: AccountPnl[];
  streamUpdates: Array<{ stream: Stream; updatedAt: number }>;
}

export interface TradeQuery {
  account?: string;
  symbol?: string;
  sinceMs?: number;
  limit: number;
}

export interface TradeRow {
  execId: string;
  account: string;
  contract: ContractInfo;
  side: 'buy' | 'sell';
  shares: number;
  price: number;
  time: number;
  orderId?: number;
  permId?: number;
  commission?: Decimal;
  commissionCurrency?: string;
  realizedPnl?: Decimal;
}

export interface Store {
  /**
   * Group commit: until commit() (or rollback()), every write joins one transaction. A burst of
   * fills then costs one commit instead of one per fill; each write is still all-or-nothing.
   */
  begin(): void;
  commit(): void;
  /** Drops what was written since begin(); a no-op without an open group. */
  rollback(): void;
  recordExecution(execution: ExecutionRecord): RecordResult;
  recordCommission(report: CommissionRecord): RecordResult;
  savePosition(position: PositionRecord, snapshot: SnapshotReason | undefined, now: number): void;
  savePositionPnl(
    account: string,
    conId: number,
    pnl: PositionPnl | undefined,
    snapshot: SnapshotReason | undefined,
    now: number,
  ): void;
  deletePositions(keys: Array<{ account: string; conId: number }>): void;
  saveAccountValue(value: AccountValue): void;
  saveAccountPnl(pnl: AccountPnl): void;
  saveStreamUpdate(stream: Stream, at: number): void;
  load(): PersistedState;
  /** When the last completed execution backfill was requested; undefined before the first one. */
  backfillWatermark(): number | undefined;
  /** A backfill requested at `requestedAt` has completed: every fill made before it is stored. */
  saveBackfillWatermark(requestedAt: number): void;
  trades(query: TradeQuery): TradeRow[];
  /** The orders placed through the API, kept in the same database as the ledger. */
  orders(): OrderStore;
  isOpen(): boolean;
  close(): void;
}
