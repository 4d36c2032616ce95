// The gateway's events about our orders (openOrder, orderStatus, errors, fills, commission
// reports) applied to the order store, and waits for the gateway's next word on an order, which
// the service uses to answer with the acknowledged state. The store may answer over the network:
// events are applied one at a time, in the order IB sent them.
import type { Logger } from 'pino';
import type { CommissionRecord, ExecutionRecord } from '../domain/types.js';
import type { OpenOrderUpdate, OrderSessionEvents, OrderStatusUpdate } from '../ib/order-session.js';
import type { OrderRow, OrderStore, StatusChange } from '../store/order-store.js';
import { SerialQueue } from './serial-queue.js';

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
  private readonly queue = new SerialQueue();
  private readonly listeners = new Set<() => void>();

  constructor(private readonly options: OrderTrackerOptions) {
    this.store = options.store;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
  }

  ready(accounts: string[]): void {
    this.logger.info({ accounts }, 'order connection ready');
    // The accounts decide which stored orders are ours (on a shared PostgreSQL database).
    this.changed();
  }

  closed(reason: string): void {
    this.logger.warn({ reason }, 'order connection closed');
  }

  openOrder(update: OpenOrderUpdate): void {
    this.apply('openOrder', async () => {
      const row = await this.find(update.orderId, update.permId);
      if (row) await this.change(row, { source: 'openOrder', status: update.status, permId: update.permId });
    });
  }

  orderStatus(update: OrderStatusUpdate): void {
    this.apply('orderStatus', async () => {
      const row = await this.find(update.orderId, update.permId);
      if (!row) return;
      await this.change(row, {
        source: 'orderStatus',
        status: update.status,
        filled: update.filled,
        remaining: update.remaining,
        avgFillPrice: update.avgFillPrice,
        permId: update.permId,
      });
    });
  }

  orderError(orderId: number, code: number, message: string): void {
    this.apply('error', async () => {
      const row = await this.find(orderId, undefined);
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
      await this.change(row, { source: 'error', status, message: text });
    });
  }

  execution(execution: ExecutionRecord): void {
    this.apply('execution', async () => {
      const byId =
        execution.orderId !== undefined
          ? await this.store.byIbOrderId(this.options.clientId, execution.orderId)
          : undefined;
      const row =
        byId ?? (execution.permId !== undefined ? await this.store.byPermId(execution.permId) : undefined);
      if (!row) return;
      if (await this.store.recordFill(row.id, execution)) this.notify(row.id);
    });
  }

  commission(report: CommissionRecord): void {
    this.apply('commission', () => this.store.recordCommission(report));
  }

  notice(code: number, message: string): void {
    this.logger.debug({ code, message }, 'order connection notice');
  }

  /** Calls `listener` after every stored change of any order (the open-orders gauge). */
  onChange(listener: () => void): void {
    this.listeners.add(listener);
  }

  /** Resolves once every event received so far has been applied. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Resolves true once `done` holds for the stored order, false at the deadline. */
  waitFor(id: string, done: (row: OrderRow) => boolean, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const set = this.waiters.get(id) ?? new Set<() => void>();
      this.waiters.set(id, set);
      let finished = false;
      const finish = (result: boolean) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        set.delete(check);
        if (set.size === 0) this.waiters.delete(id);
        resolve(result);
      };
      const check = () => {
        void Promise.resolve(this.store.get(id)).then(
          (row) => {
            if (row && done(row)) finish(true);
          },
          // An unreadable store is not an answer: the deadline decides.
          (error: unknown) => this.logger.warn({ err: error, id }, 'order not readable while waiting'),
        );
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      set.add(check);
      check();
    });
  }

  /** Queues one gateway event; a store failure is logged, and the next event still applies. */
  private apply(event: string, work: () => Promise<void> | void): void {
    this.queue.run(work).catch((error: unknown) => {
      this.logger.error({ err: error, event }, 'order update from the gateway not stored');
    });
  }

  private async find(orderId: number, permId: number | undefined): Promise<OrderRow | undefined> {
    if (permId !== undefined && permId > 0) {
      const byPerm = await this.store.byPermId(permId);
      if (byPerm) return byPerm;
    }
    return this.store.byIbOrderId(this.options.clientId, orderId);
  }

  private async change(row: OrderRow, change: StatusChange): Promise<void> {
    if (await this.store.applyChange(row.id, change, this.now())) this.notify(row.id);
  }

  private notify(id: string): void {
    for (const wake of this.waiters.get(id) ?? []) wake();
    this.changed();
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}
