// The gateway's events about our orders (openOrder, orderStatus, errors, fills, commission
// reports) applied to the order store, and waits for the gateway's next word on an order, which
// the service uses to answer with the acknowledged state.
import type { Logger } from 'pino';
import type { CommissionRecord, ExecutionRecord } from '../domain/types.js';
import type { OpenOrderUpdate, OrderSessionEvents, OrderStatusUpdate } from '../ib/order-session.js';
import type { OrderRow, OrderStore, StatusChange } from '../store/order-store.js';

/** IB codes bound to an order that are not a rejection of it. */
const ORDER_NOTICES: ReadonlySet<number> = new Set([
  202, // "Order Canceled - reason:": the confirmation of our cancel
  399, // order message warnings ("will not be placed at the exchange until …")
  2109, // "Outside Regular Trading Hours" attribute ignored
  2148, // order-related informational notices
]);

export interface OrderTrackerOptions {
  store: OrderStore;
  /** The order connection's client id: IB's order ids are only unique per client id. */
  clientId: number;
  logger: Logger;
  now?: () => number;
}

export class OrderTracker implements OrderSessionEvents {
  private readonly store: OrderStore;
  private readonly now: () => number;
  private readonly logger: Logger;
  /** Waiters for the gateway's next word on an order (its id in our table). */
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(private readonly options: OrderTrackerOptions) {
    this.store = options.store;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
  }

  ready(accounts: string[]): void {
    this.logger.info({ accounts }, 'order connection ready');
  }

  closed(reason: string): void {
    this.logger.warn({ reason }, 'order connection closed');
  }

  openOrder(update: OpenOrderUpdate): void {
    const row = this.find(update.orderId, update.permId);
    if (row) this.change(row, { source: 'openOrder', status: update.status, permId: update.permId });
  }

  orderStatus(update: OrderStatusUpdate): void {
    const row = this.find(update.orderId, update.permId);
    if (!row) return;
    this.change(row, {
      source: 'orderStatus',
      status: update.status,
      filled: update.filled,
      remaining: update.remaining,
      avgFillPrice: update.avgFillPrice,
      permId: update.permId,
    });
  }

  orderError(orderId: number, code: number, message: string): void {
    const row = this.find(orderId, undefined);
    if (!row) {
      this.logger.warn({ ib_order_id: orderId, code, message }, 'IB error for an unknown order id');
      return;
    }
    const text = `${code}: ${message}`;
    if (ORDER_NOTICES.has(code)) {
      this.logger.info({ id: row.id, code, message }, 'order notice');
      return;
    }
    // Before the gateway accepted it, an error is the order's rejection; later (a refused cancel,
    // say) it only annotates the order.
    const status = row.status === 'PendingSubmit' ? 'Inactive' : row.status;
    this.logger.warn({ id: row.id, ib_order_id: orderId, code, message }, 'order error from the gateway');
    this.change(row, { source: 'error', status, message: text });
  }

  execution(execution: ExecutionRecord): void {
    const byId =
      execution.orderId !== undefined
        ? this.store.byIbOrderId(this.options.clientId, execution.orderId)
        : undefined;
    const row = byId ?? (execution.permId !== undefined ? this.store.byPermId(execution.permId) : undefined);
    if (!row) return;
    if (this.store.recordFill(row.id, execution)) this.notify(row.id);
  }

  commission(report: CommissionRecord): void {
    this.store.recordCommission(report);
  }

  notice(code: number, message: string): void {
    this.logger.debug({ code, message }, 'order connection notice');
  }

  /** Resolves true once `done` holds for the stored order, false at the deadline. */
  waitFor(id: string, done: (row: OrderRow) => boolean, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const set = this.waiters.get(id) ?? new Set<() => void>();
      this.waiters.set(id, set);
      const finish = (result: boolean) => {
        clearTimeout(timer);
        set.delete(check);
        if (set.size === 0) this.waiters.delete(id);
        resolve(result);
      };
      const check = () => {
        const row = this.store.get(id);
        if (row && done(row)) finish(true);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      set.add(check);
      check();
    });
  }

  private find(orderId: number, permId: number | undefined): OrderRow | undefined {
    if (permId !== undefined && permId > 0) {
      const byPerm = this.store.byPermId(permId);
      if (byPerm) return byPerm;
    }
    return this.store.byIbOrderId(this.options.clientId, orderId);
  }

  private change(row: OrderRow, change: StatusChange): void {
    if (this.store.applyChange(row.id, change, this.now())) this.notify(row.id);
  }

  private notify(id: string): void {
    for (const wake of this.waiters.get(id) ?? []) wake();
  }
}
