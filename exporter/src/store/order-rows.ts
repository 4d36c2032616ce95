// Order rows as both backends store them (the same columns in SQLite's 002_orders.sql and its
// PostgreSQL mirror): NULL is absent.
import { TERMINAL_ORDER_STATUSES } from '../domain/order-status.js';
import type { FillRow, HistoryRow, OrderRow, StatusChange } from './order-store.js';
import { opt } from './rows.js';
import type { Row } from './rows.js';

/** The terminal states as an SQL list; constants, so no injection. */
export const TERMINAL_SQL = TERMINAL_ORDER_STATUSES.map((status) => `'${status}'`).join(', ');

export function orderFromRow(row: Row): OrderRow {
  return {
    id: row.id as string,
    idempotencyKey: opt(row.idempotency_key as string | null),
    bodyHash: row.body_hash as string,
    request: row.request as string,
    account: row.account as string,
    conId: row.con_id as number,
    symbol: row.symbol as string,
    secType: row.sec_type as string,
    side: row.side as 'BUY' | 'SELL',
    orderType: row.order_type as 'MKT' | 'LMT',
    quantity: row.quantity as string,
    limitPrice: opt(row.limit_price as string | null),
    clientId: row.client_id as number,
    ibOrderId: row.ib_order_id as number,
    permId: opt(row.perm_id as number | null),
    status: row.status as string,
    filled: row.filled as number,
    remaining: opt(row.remaining as number | null),
    avgFillPrice: opt(row.avg_fill_price as number | null),
    lastError: opt(row.last_error as string | null),
    createdAt: row.created_at as number,
    updatedAt: row.updated_at as number,
  };
}

export function historyFromRow(r: Row): HistoryRow {
  return {
    at: r.at as number,
    source: r.source as StatusChange['source'],
    status: r.status as string,
    filled: opt(r.filled as number | null),
    remaining: opt(r.remaining as number | null),
    avgFillPrice: opt(r.avg_fill_price as number | null),
    message: opt(r.message as string | null),
  };
}

export function fillFromRow(r: Row): FillRow {
  return {
    execId: r.exec_id as string,
    shares: r.shares as number,
    price: r.price as number,
    time: r.time_ms as number,
    commission: opt(r.commission as string | null),
    commissionCurrency: opt(r.commission_currency as string | null),
    realizedPnl: opt(r.realized_pnl as string | null),
  };
}
