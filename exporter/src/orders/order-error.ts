// The one error the order service throws. It carries a reason, never a transport status:
// http/orders-routes.ts maps each reason to an HTTP status in one table.
import type { FieldProblem } from './order-schema.js';
import type { OrderView } from './order-view.js';

export type OrderErrorReason =
  /** IBKR_READONLY=true: the exporter places and cancels nothing. */
  | 'disabled'
  /** The request (body, Idempotency-Key, account) is not a valid order. */
  | 'invalid'
  /** Above IBKR_MAX_ORDER_QUANTITY or IBKR_MAX_ORDER_NOTIONAL, or a MKT order under a notional limit. */
  | 'limits'
  | 'unknown_contract'
  | 'ambiguous_contract'
  /** The idempotency key was used with a different body. */
  | 'key_conflict'
  /** No live order connection (or sync connection); the order was not sent. */
  | 'not_live'
  /** The order's row could not be written (the database is unreachable); nothing was sent. */
  | 'store_unavailable'
  /** Sent, and refused by the gateway: the order exists, Inactive. */
  | 'gateway_rejected'
  | 'not_found'
  /** Cancel of an order already Filled, Cancelled or Inactive. */
  | 'finished'
  /** Cancel of an order placed on another client id, which IB does not allow. */
  | 'wrong_client'
  /** The gateway refused the cancel. */
  | 'cancel_refused';

export class OrderError extends Error {
  /** Which fields are wrong, for 'invalid', 'limits' and the contract reasons. */
  readonly details: FieldProblem[] | undefined;
  /** The order as it stands, when there is one (gateway_rejected, cancel_refused). */
  readonly order: OrderView | undefined;

  constructor(
    readonly reason: OrderErrorReason,
    message: string,
    options: { details?: FieldProblem[]; order?: OrderView; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'OrderError';
    this.details = options.details;
    this.order = options.order;
  }
}
