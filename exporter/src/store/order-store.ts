// The orders seam: what the order service needs of durable order state, whatever the backend.
// SqliteOrderStore implements it in the ledger's SQLite file and answers synchronously;
// PostgresOrderStore in the shared database, over the network. Callers await every answer.
import type { CommissionRecord, ExecutionRecord } from '../domain/types.js';
import type { Awaitable } from './store.js';

export interface NewOrder {
  id: string;
  idempotencyKey?: string;
  bodyHash: string;
  /** The validated request, as JSON. */
  request: string;
  account: string;
  conId: number;
  symbol: string;
  secType: string;
  side: 'BUY' | 'SELL';
  orderType: 'MKT' | 'LMT';
  /** Decimal text. */
  quantity: string;
  limitPrice?: string;
  clientId: number;
  ibOrderId: number;
  status: string;
  createdAt: number;
}

export interface OrderRow extends NewOrder {
  permId?: number;
  filled: number;
  remaining?: number;
  avgFillPrice?: number;
  lastError?: string;
  updatedAt: number;
}

export interface StatusChange {
  source: 'submit' | 'openOrder' | 'orderStatus' | 'error' | 'cancel';
  status: string;
  filled?: number;
  remaining?: number;
  avgFillPrice?: number;
  permId?: number;
  message?: string;
}

export interface HistoryRow extends Omit<StatusChange, 'permId'> {
  at: number;
}

export interface FillRow {
  execId: string;
  shares: number;
  price: number;
  time: number;
  commission?: string;
  commissionCurrency?: string;
  realizedPnl?: string;
}

export interface OrderQuery {
  status?: string;
  /** Only orders not in a terminal state. */
  open?: boolean;
  limit: number;
}

/** Thrown by insert when the idempotency key is already taken (another writer got there first). */
export class DuplicateKeyError extends Error {
  constructor(readonly key: string) {
    super('idempotency key already used');
    this.name = 'DuplicateKeyError';
  }
}

export interface OrderStore {
  /** Stores a new order with its first history entry; throws DuplicateKeyError for a taken key. */
  insert(order: NewOrder): Awaitable<OrderRow>;
  get(id: string): Awaitable<OrderRow | undefined>;
  byKey(key: string): Awaitable<OrderRow | undefined>;
  /** The newest order with this IB order id on this client id (a gateway reset may reuse ids). */
  byIbOrderId(clientId: number, ibOrderId: number): Awaitable<OrderRow | undefined>;
  byPermId(permId: number): Awaitable<OrderRow | undefined>;
  /**
   * Applies a reported change. History gets a row only when something changed (IB repeats
   * orderStatus messages); returns the order as it is now, or undefined when nothing changed.
   */
  applyChange(id: string, change: StatusChange, at: number): Awaitable<OrderRow | undefined>;
  history(id: string): Awaitable<HistoryRow[]>;
  /**
   * Stores a fill of the order once per execId; a correction (higher revision) replaces it.
   * Returns whether anything was stored.
   */
  recordFill(orderId: string, execution: ExecutionRecord): Awaitable<boolean>;
  /** Joins a commission report to its fill, or keeps it until the fill arrives. */
  recordCommission(report: CommissionRecord): Awaitable<void>;
  fills(id: string): Awaitable<FillRow[]>;
  list(query: OrderQuery): Awaitable<OrderRow[]>;
  /** Orders not in a terminal state, by account. */
  openByAccount(): Awaitable<Map<string, number>>;
}

/**
 * The order after a reported change, or undefined when nothing changed: IB repeats orderStatus
 * messages, and history gets a row only for a change. An error or a cancel request is always one.
 */
export function changedOrder(before: OrderRow, change: StatusChange, at: number): OrderRow | undefined {
  const after: OrderRow = {
    ...before,
    status: change.status,
    filled: change.filled ?? before.filled,
    remaining: change.remaining ?? before.remaining,
    avgFillPrice: change.avgFillPrice ?? before.avgFillPrice,
    permId: change.permId ?? before.permId,
    lastError: change.source === 'error' ? change.message : before.lastError,
    updatedAt: at,
  };
  const changed =
    after.status !== before.status ||
    after.filled !== before.filled ||
    after.remaining !== before.remaining ||
    after.avgFillPrice !== before.avgFillPrice ||
    after.permId !== before.permId ||
    change.source === 'error' ||
    change.source === 'cancel';
  return changed ? after : undefined;
}

/**
 * Commission reports that arrived before their order's fill (IB sends the two in either order),
 * kept in memory until the fill comes: IB sends both again on the next sync after a restart.
 */
export class EarlyReports {
  private readonly reports = new Map<string, CommissionRecord>();

  /** Reports of fills that are not ours never get a fill: the oldest go beyond this many. */
  constructor(private readonly max = 1000) {}

  keep(report: CommissionRecord): void {
    if (this.reports.size >= this.max) this.reports.delete(this.reports.keys().next().value!);
    this.reports.set(report.baseExecId, report);
  }

  /** The report waiting for this fill, removed from the waiting ones. */
  take(baseExecId: string): CommissionRecord | undefined {
    const report = this.reports.get(baseExecId);
    this.reports.delete(baseExecId);
    return report;
  }
}
