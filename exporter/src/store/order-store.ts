// The orders seam: what the order service needs of durable order state, whatever the backend.
// SqliteOrderStore implements it in the ledger's SQLite file.
import type { CommissionRecord, ExecutionRecord } from '../domain/types.js';

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
  insert(order: NewOrder): OrderRow;
  get(id: string): OrderRow | undefined;
  byKey(key: string): OrderRow | undefined;
  /** The newest order with this IB order id on this client id (a gateway reset may reuse ids). */
  byIbOrderId(clientId: number, ibOrderId: number): OrderRow | undefined;
  byPermId(permId: number): OrderRow | undefined;
  /**
   * Applies a reported change. History gets a row only when something changed (IB repeats
   * orderStatus messages); returns the order as it is now, or undefined when nothing changed.
   */
  applyChange(id: string, change: StatusChange, at: number): OrderRow | undefined;
  history(id: string): HistoryRow[];
  /**
   * Stores a fill of the order once per execId; a correction (higher revision) replaces it.
   * Returns whether anything was stored.
   */
  recordFill(orderId: string, execution: ExecutionRecord): boolean;
  /** Joins a commission report to its fill, or keeps it until the fill arrives. */
  recordCommission(report: CommissionRecord): void;
  fills(id: string): FillRow[];
  list(query: OrderQuery): OrderRow[];
  /** Orders not in a terminal state, by account. */
  openByAccount(): Map<string, number>;
}
