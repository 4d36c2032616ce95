// The store seam: the only way the rest of the exporter reaches durable state.
import type { FillEvent, FillResult } from '../domain/fill-group.js';
import type { CurrentTrip, RoundTrip } from '../domain/round-trips.js';
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
  PnlSource,
  PositionPnl,
  PositionRecord,
  Stream,
} from '../domain/types.js';

export type { FillEvent } from '../domain/fill-group.js';
/** A decided fill or report; the SQLite store also says which positions' round trips changed. */
export type RecordResult = FillResult & {
  /** The current round trip of every position whose round trips changed. */
  roundTrips?: CurrentTrip[];
};

/**
 * SQLite answers synchronously and PostgreSQL over the network: a method returns its value or a
 * promise of it, and the caller (sync/) keeps IB's order either way without slowing SQLite down.
 */
export type Awaitable<T> = T | Promise<T>;

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
  /** The current round trip of every position that has one. */
  roundTrips: CurrentTrip[];
}

export interface HistoryQuery {
  account?: string;
  symbol?: string;
  /** Round trips closed at or after this time. */
  sinceMs?: number;
  limit: number;
  offset: number;
}

export interface RoundTripRow extends RoundTrip {
  contract: ContractInfo;
}

/** One fill (or the part of a flipping fill) that belongs to a round trip. */
export interface RoundTripFill {
  execId: string;
  side: 'buy' | 'sell';
  /** The part of the fill in this round trip; the whole fill unless it flipped the position. */
  quantity: Decimal;
  shares: number;
  price: number;
  time: number;
  /** False for the opening part of a flipping fill: its commission and PnL belong to the trip it closed. */
  money: boolean;
  commission?: Decimal;
  commissionCurrency?: string;
  realizedPnl?: Decimal;
  /** 'flex' for a fill imported from a Flex statement; absent for the API's. */
  source?: PnlSource;
  /** The basis of realizedPnl: 'flex' when its report came from a statement; absent for the API's (or none). */
  reportSource?: PnlSource;
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
  /** Where it executed (IB's execution exchange), when IB said. */
  venue?: string;
  orderId?: number;
  permId?: number;
  commission?: Decimal;
  commissionCurrency?: string;
  realizedPnl?: Decimal;
  /** 'flex' for a fill imported from a Flex statement; absent for the API's. */
  source?: PnlSource;
  /** The basis of realizedPnl: 'flex' when its report came from a statement; absent for the API's (or none). */
  reportSource?: PnlSource;
  /** IB's trade id, when a Flex statement said it. */
  tradeId?: string;
}

export interface Store {
  readonly backend: 'sqlite' | 'postgres';
  /** What to name in messages: the file path, or the URL with its password redacted. */
  readonly location: string;
  /** The schema version the ledger is at (the newest migration applied). */
  schemaVersion(): number;
  /**
   * Group commit: the fills and commission reports of one socket read (or a short batch) in one
   * transaction, decided in order; resolves once it is committed. A failure keeps none of them.
   */
  recordFills(events: FillEvent[]): Awaitable<RecordResult[]>;
  recordExecution(execution: ExecutionRecord): Awaitable<RecordResult>;
  recordCommission(report: CommissionRecord): Awaitable<RecordResult>;
  savePosition(position: PositionRecord, snapshot: SnapshotReason | undefined, now: number): Awaitable<void>;
  savePositionPnl(
    account: string,
    conId: number,
    pnl: PositionPnl | undefined,
    snapshot: SnapshotReason | undefined,
    now: number,
  ): Awaitable<void>;
  deletePositions(keys: Array<{ account: string; conId: number }>): Awaitable<void>;
  saveAccountValue(value: AccountValue): Awaitable<void>;
  saveAccountPnl(pnl: AccountPnl): Awaitable<void>;
  saveStreamUpdate(stream: Stream, at: number): Awaitable<void>;
  /** The stored state; only these accounts' when given (several exporters share a database). */
  load(accounts?: string[]): Awaitable<PersistedState>;
  /**
   * When the last completed execution backfill of these accounts was requested; undefined before
   * the first one. (SQLite holds one exporter's ledger and keeps a single watermark.)
   */
  backfillWatermark(accounts: string[]): Awaitable<number | undefined>;
  /** A backfill requested at `requestedAt` has completed: every fill made before it is stored. */
  saveBackfillWatermark(accounts: string[], requestedAt: number): Awaitable<void>;
  trades(query: TradeQuery): Awaitable<TradeRow[]>;
  /** The orders placed through the API, in the same database as the ledger. */
  orders(): OrderStore;
  /**
   * Positions as IB reports them once a sync has caught up: a position seen for the first time
   * learns what it held before the ledger began. Returns the current trips that changed.
   */
  reconcileRoundTrips(
    positions: Array<{ account: string; conId: number; quantity: number }>,
  ): Awaitable<CurrentTrip[]>;
  /** Closed round trips, newest first. */
  roundTripHistory(query: HistoryQuery): Awaitable<RoundTripRow[]>;
  roundTrip(id: number): Awaitable<RoundTripRow | undefined>;
  /** The fills of a round trip, oldest first. */
  roundTripFills(id: number): Awaitable<RoundTripFill[]>;
  /** Resolves once the database answers and accepts writes; rejects while it does not. */
  ping(): Awaitable<void>;
  /** Whether the store is usable: false once closed (an unreachable PostgreSQL is Health.storeUp). */
  isOpen(): boolean;
  close(): Awaitable<void>;
}
