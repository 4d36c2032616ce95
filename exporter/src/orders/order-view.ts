// The JSON shape of an order in the API: snake_case like the request, times as ISO-8601 UTC,
// money as decimal text, values IB has not given as null.
import { z } from 'zod';
import type { FillRow, HistoryRow, OrderRow } from '../store/order-store.js';
import { orderRequestSchema } from './order-schema.js';

const time = z.iso.datetime();

/** The order as the API returns it; the view below is type-checked against it, and /openapi.json shows it. */
export const orderViewSchema = z.object({
  id: z.string().describe('Our id of the order (a UUID)'),
  request_id: z.string().describe("The same id, under the IBKR PnL Tracker's name"),
  order_id: z.number().int().describe("IB's order id (as ib_order_id), under the tracker's name"),
  client_order_id: z.string().nullable(),
  idempotency_key: z.string().nullable(),
  status: z
    .string()
    .describe('IB order state: PendingSubmit, PreSubmitted, Submitted, Filled, Cancelled, Inactive…'),
  account: z.string(),
  symbol: z.string(),
  sec_type: z.string(),
  con_id: z.number().int().describe('IB contract id, from reqContractDetails'),
  side: z.enum(['BUY', 'SELL']),
  order_type: z.enum(['MKT', 'LMT']),
  qty: z.string().describe('Decimal text'),
  price: z.string().nullable().describe('Limit price, decimal text'),
  filled: z.number(),
  remaining: z.number().nullable(),
  avg_fill_price: z.number().nullable(),
  ib_order_id: z.number().int(),
  perm_id: z.number().int().nullable(),
  client_id: z.number().int().describe('IBKR_ORDER_CLIENT_ID at the time of placing'),
  error: z.string().nullable().describe('Last IB error about this order'),
  created_at: time,
  updated_at: time,
  request: orderRequestSchema.describe('The validated request, defaults filled in'),
  history: z
    .array(
      z.object({
        at: time,
        source: z.enum(['submit', 'openOrder', 'orderStatus', 'error', 'cancel']),
        status: z.string(),
        filled: z.number().nullable(),
        remaining: z.number().nullable(),
        avg_fill_price: z.number().nullable(),
        message: z.string().nullable(),
      }),
    )
    .optional()
    .describe('Single-order answers only'),
  fills: z
    .array(
      z.object({
        exec_id: z.string(),
        shares: z.number(),
        price: z.number(),
        time,
        commission: z.string().nullable(),
        commission_currency: z.string().nullable(),
        realized_pnl: z.string().nullable().describe("IB's realized PnL of the fill, net of commission"),
      }),
    )
    .optional()
    .describe('Single-order answers only'),
});

export type OrderView = z.input<typeof orderViewSchema>;

const iso = (ms: number) => new Date(ms).toISOString();
const orNull = <T>(value: T | undefined): T | null => (value === undefined ? null : value);

export function orderView(row: OrderRow, history?: HistoryRow[], fills?: FillRow[]): OrderView {
  const request = JSON.parse(row.request) as OrderView['request'];
  return {
    id: row.id,
    request_id: row.id,
    order_id: row.ibOrderId,
    client_order_id: orNull(request.client_order_id),
    idempotency_key: orNull(row.idempotencyKey),
    status: row.status,
    account: row.account,
    symbol: row.symbol,
    sec_type: row.secType,
    con_id: row.conId,
    side: row.side,
    order_type: row.orderType,
    qty: row.quantity,
    price: orNull(row.limitPrice),
    filled: row.filled,
    remaining: orNull(row.remaining),
    avg_fill_price: orNull(row.avgFillPrice),
    ib_order_id: row.ibOrderId,
    perm_id: orNull(row.permId),
    client_id: row.clientId,
    error: orNull(row.lastError),
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
    request,
    ...(history
      ? {
          history: history.map((h) => ({
            at: iso(h.at),
            source: h.source,
            status: h.status,
            filled: orNull(h.filled),
            remaining: orNull(h.remaining),
            avg_fill_price: orNull(h.avgFillPrice),
            message: orNull(h.message),
          })),
        }
      : {}),
    ...(fills
      ? {
          fills: fills.map((f) => ({
            exec_id: f.execId,
            shares: f.shares,
            price: f.price,
            time: iso(f.time),
            commission: orNull(f.commission),
            commission_currency: orNull(f.commissionCurrency),
            realized_pnl: orNull(f.realizedPnl),
          })),
        }
      : {}),
  };
}
