// Placing, tracking and cancelling orders. Every rejection happens before anything is sent to
// the gateway; the row is written and placeOrder sent in the same synchronous step, so neither a
// concurrent retry nor a crash can place an idempotency key's order twice.
import { randomUUID } from 'node:crypto';
import Big from 'big.js';
import type { Logger } from 'pino';
import type { CommissionRecord, ExecutionRecord } from '../domain/types.js';
import { HttpError } from '../http/http-error.js';
import type {
  ContractMatch,
  OpenOrderUpdate,
  OrderGateway,
  OrderSessionEvents,
  OrderStatusUpdate,
} from '../ib/order-session.js';
import { GatewayNotLiveError, LookupTimeoutError } from '../ib/order-session.js';
import { isTerminalStatus } from '../domain/order-status.js';
import { DuplicateKeyError } from '../store/order-store.js';
import type { OrderRow, OrderStore, StatusChange } from '../store/order-store.js';
import type { FieldProblem, OrderRequest } from './order-schema.js';
import { bodyHash, fieldProblems, idempotencyKeySchema, orderRequestSchema } from './order-schema.js';
import { orderView } from './order-view.js';

export type SubmitResult = 'placed' | 'rejected' | 'failed';

/** IB codes bound to an order that are not a rejection of it. */
const ORDER_NOTICES: ReadonlySet<number> = new Set([
  202, // "Order Canceled - reason:": the confirmation of our cancel
  399, // order message warnings ("will not be placed at the exchange until …")
  2109, // "Outside Regular Trading Hours" attribute ignored
  2148, // order-related informational notices
]);

export interface OrderServiceOptions {
  store: OrderStore;
  readonly: boolean;
  limits: { maxQuantity?: number; maxNotional?: number };
  /** Whether the gateway is live for orders (the sync connection's health as well as ours). */
  isLive: () => boolean;
  logger: Logger;
  now?: () => number;
  /** How long POST waits for the gateway to acknowledge an order or a cancel. */
  ackTimeoutMs?: number;
  lookupTimeoutMs?: number;
}

export interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

interface Placement {
  hash: string;
  promise: Promise<Answer>;
}

type SubmittedKey = `${'BUY' | 'SELL'}|${'MKT' | 'LMT'}|${SubmitResult}`;

export class OrderService implements OrderSessionEvents {
  private readonly store: OrderStore;
  private readonly now: () => number;
  private readonly audit: Logger;
  private readonly ackTimeoutMs: number;
  private readonly lookupTimeoutMs: number;
  /** Submissions under way, by idempotency key: a concurrent retry waits for the first. */
  private readonly inflight = new Map<string, Placement>();
  /** Waiters for the gateway's next word on an order (its id in our table). */
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly submittedCounts = new Map<SubmittedKey, number>();
  /** Absent when the order connection is not opened (read-only, or no gateway sync). */
  private gateway?: OrderGateway;

  constructor(private readonly options: OrderServiceOptions) {
    this.store = options.store;
    this.now = options.now ?? Date.now;
    this.audit = options.logger.child({ audit: 'order' });
    this.ackTimeoutMs = options.ackTimeoutMs ?? 5000;
    this.lookupTimeoutMs = options.lookupTimeoutMs ?? 10_000;
  }

  attach(gateway: OrderGateway): void {
    this.gateway = gateway;
  }

  /** Counts by side, order type and result, for ibkr_orders_submitted_total. */
  submitted(): ReadonlyMap<SubmittedKey, number> {
    return this.submittedCounts;
  }

  openByAccount(): Map<string, number> {
    return this.store.openByAccount();
  }

  // ---- POST /orders ---------------------------------------------------------------------------

  async submit(body: unknown, headerKey: string | undefined): Promise<Answer> {
    const side = pick(body, 'side', ['BUY', 'SELL'] as const);
    // order_type defaults to MKT only when it is left out; a wrong one is not an order type.
    const type =
      isObject(body) && body.order_type === undefined
        ? 'MKT'
        : pick(body, 'order_type', ['MKT', 'LMT'] as const);
    const refuse = (error: HttpError): never => {
      this.count(side, type, 'rejected');
      this.audit.info(
        {
          outcome: 'rejected',
          status: error.status,
          reason: error.message,
          details: error.details,
          order: summary(body),
        },
        'order rejected',
      );
      throw error;
    };
    if (this.options.readonly) refuse(new HttpError(403, 'orders are disabled: IBKR_READONLY=true'));
    const parsed = orderRequestSchema.safeParse(body);
    if (!parsed.success) refuse(new HttpError(422, 'invalid order', fieldProblems(parsed.error)));
    const request = (parsed as { data: OrderRequest }).data;
    if (headerKey !== undefined) {
      const key = idempotencyKeySchema.safeParse(headerKey);
      if (!key.success)
        refuse(new HttpError(422, 'invalid order', fieldProblems(key.error, 'Idempotency-Key')));
    }
    const key = headerKey ?? request.client_order_id;
    const hash = bodyHash(request);
    if (key === undefined) return this.place(request, undefined, hash);

    const running = this.inflight.get(key);
    if (running) {
      if (running.hash !== hash) refuse(conflict());
      const answer = await running.promise;
      this.audit.info(
        { outcome: 'replayed', idempotency_key: key, status: answer.status },
        'order retry answered',
      );
      return answer;
    }
    const existing = this.store.byKey(key);
    if (existing) return this.replay(existing, hash, refuse);
    const promise = this.place(request, key, hash);
    this.inflight.set(key, { hash, promise });
    try {
      return await promise;
    } finally {
      this.inflight.delete(key);
    }
  }

  private replay(existing: OrderRow, hash: string, refuse: (error: HttpError) => never): Answer {
    if (existing.bodyHash !== hash) refuse(conflict());
    this.audit.info(
      { outcome: 'replayed', id: existing.id, idempotency_key: existing.idempotencyKey },
      'order retry answered',
    );
    return { status: 200, body: this.view(existing), headers: { 'Idempotent-Replayed': 'true' } };
  }

  private async place(request: OrderRequest, key: string | undefined, hash: string): Promise<Answer> {
    const { maxQuantity, maxNotional } = this.options.limits;
    const fail = (status: number, message: string, details?: FieldProblem[]): never => {
      const error = new HttpError(status, message, details);
      this.count(request.side, request.order_type, 'rejected');
      this.audit.info(
        {
          outcome: 'rejected',
          status,
          reason: message,
          details,
          idempotency_key: key,
          order: summary(request),
        },
        'order rejected',
      );
      throw error;
    };
    if (maxQuantity !== undefined && request.qty > maxQuantity) {
      fail(422, 'order above the limits', [
        { field: 'qty', message: `must be at most ${maxQuantity} (IBKR_MAX_ORDER_QUANTITY)` },
      ]);
    }
    if (maxNotional !== undefined && request.order_type === 'MKT') {
      fail(422, 'order above the limits', [
        {
          field: 'order_type',
          message: 'a MKT order has no price to check against IBKR_MAX_ORDER_NOTIONAL; send a LMT order',
        },
      ]);
    }
    // Checked before the lookup when the multiplier is known (stocks: 1), so a plain order above
    // the limit sends nothing at all; and again with the contract's own multiplier.
    const checkNotional = (multiplier: number | undefined) => {
      if (maxNotional === undefined || request.price === undefined || multiplier === undefined) return;
      const notional = new Big(String(request.qty)).times(String(request.price)).times(String(multiplier));
      if (notional.gt(String(maxNotional))) {
        fail(422, 'order above the limits', [
          {
            field: 'price',
            message: `qty × price × multiplier = ${notional.toFixed()} is above ${maxNotional} (IBKR_MAX_ORDER_NOTIONAL)`,
          },
        ]);
      }
    };
    checkNotional(request.sec_type === 'STK' ? 1 : request.multiplier);
    const gateway = this.gateway;
    const notLive = () => fail(503, 'gateway not live: orders need a connected, logged-in gateway');
    if (!gateway || !gateway.live || !this.options.isLive()) notLive();
    const live = gateway as OrderGateway;
    const account = this.account(request, live.accounts, fail);

    let matches: ContractMatch[] = [];
    try {
      matches = await live.resolveContract(
        {
          symbol: request.symbol,
          secType: request.sec_type,
          exchange: request.exchange,
          currency: request.currency,
          lastTradeDateOrContractMonth: request.expiry,
          strike: request.strike,
          right: request.right,
          multiplier: request.multiplier,
        },
        this.lookupTimeoutMs,
      );
    } catch (error) {
      if (error instanceof LookupTimeoutError || error instanceof GatewayNotLiveError)
        fail(503, error.message);
      fail(503, `contract lookup failed: ${(error as Error).message}`);
    }
    const described = `${request.sec_type} ${request.symbol} on ${request.exchange} in ${request.currency}`;
    if (matches.length === 0) {
      fail(422, 'unknown contract', [{ field: 'symbol', message: `no contract found for ${described}` }]);
    }
    if (matches.length > 1) {
      const ids = matches
        .slice(0, 5)
        .map((m) => `${m.conId}${m.primaryExchange ? ` (${m.primaryExchange})` : ''}`);
      fail(422, 'ambiguous contract', [
        {
          field: 'symbol',
          message: `${matches.length} contracts match ${described}: ${ids.join(', ')}; narrow it with exchange, expiry, strike, right or multiplier`,
        },
      ]);
    }
    const contract = matches[0]!;
    checkNotional(contract.multiplier);
    // The lookup took time: the connection may have gone meanwhile.
    if (!live.live || !this.options.isLive()) notLive();

    const id = randomUUID();
    const ibOrderId = live.reserveOrderId();
    try {
      // Written, then sent, in one synchronous step: no await between them.
      this.store.insert({
        id,
        idempotencyKey: key,
        bodyHash: hash,
        request: JSON.stringify(request),
        account,
        conId: contract.conId,
        symbol: contract.symbol,
        secType: contract.secType,
        side: request.side,
        orderType: request.order_type,
        quantity: new Big(String(request.qty)).toFixed(),
        limitPrice: request.price === undefined ? undefined : new Big(String(request.price)).toFixed(),
        clientId: live.clientId,
        ibOrderId,
        status: 'PendingSubmit',
        createdAt: this.now(),
      });
      live.placeOrder(ibOrderId, {
        conId: contract.conId,
        exchange: request.exchange,
        action: request.side,
        quantity: request.qty,
        orderType: request.order_type,
        limitPrice: request.price,
        tif: request.tif,
        account,
        outsideRth: request.outside_rth,
        orderRef: request.client_order_id ?? id,
      });
    } catch (error) {
      if (error instanceof DuplicateKeyError) {
        // Another writer of the same database placed it first.
        return this.replay(this.store.byKey(error.key)!, hash, (e) => {
          throw e;
        });
      }
      if (!this.store.get(id)) throw error;
      // Stored but not sent: the row must not pass for a working order.
      const message = `not sent: ${(error as Error).message}`;
      this.store.applyChange(id, { source: 'error', status: 'Inactive', message }, this.now());
      this.count(request.side, request.order_type, 'failed');
      this.audit.info({ outcome: 'failed', id, idempotency_key: key, reason: message }, 'order failed');
      throw new HttpError(503, 'gateway not live: the order was not sent', undefined, { cause: error });
    }

    const acked = await this.waitFor(id, (o) => o.status !== 'PendingSubmit', this.ackTimeoutMs);
    const now = this.store.get(id)!;
    const result: SubmitResult = now.status === 'Inactive' ? 'failed' : 'placed';
    this.count(request.side, request.order_type, result);
    this.audit.info(
      {
        outcome: result,
        id,
        idempotency_key: key,
        ib_order_id: now.ibOrderId,
        perm_id: now.permId,
        status: now.status,
        error: now.lastError,
        order: summary(request),
        account,
        con_id: contract.conId,
      },
      result === 'placed' ? 'order placed' : 'order failed at the gateway',
    );
    if (result === 'failed') {
      return {
        status: 422,
        body: { error: `rejected by the gateway: ${now.lastError ?? now.status}`, order: this.view(now) },
      };
    }
    return { status: acked ? 201 : 202, body: this.view(now) };
  }

  private account(
    request: OrderRequest,
    managed: readonly string[],
    fail: (s: number, m: string, d?: FieldProblem[]) => never,
  ): string {
    if (request.account !== undefined) {
      if (!managed.includes(request.account)) {
        fail(422, 'invalid order', [
          { field: 'account', message: `is not managed by this gateway (managed: ${managed.join(', ')})` },
        ]);
      }
      return request.account;
    }
    if (managed.length === 1) return managed[0]!;
    return fail(422, 'invalid order', [
      {
        field: 'account',
        message: `is required: the gateway manages ${managed.length} accounts (${managed.join(', ')})`,
      },
    ]);
  }

  // ---- GET /orders, GET /orders/:id, POST /orders/:id/cancel ------------------------------------

  list(query: { status?: string; limit: number }): unknown[] {
    const open = query.status === 'open';
    return this.store
      .list({ status: open ? undefined : query.status, open, limit: query.limit })
      .map((row) => orderView(row));
  }

  get(id: string): unknown {
    const row = this.store.get(id);
    if (!row) throw new HttpError(404, `no order ${id}`);
    return this.view(row);
  }

  async cancel(id: string): Promise<Answer> {
    const reject = (status: number, message: string): never => {
      this.audit.info({ outcome: 'cancel_rejected', id, status, reason: message }, 'order cancel rejected');
      throw new HttpError(status, message);
    };
    if (this.options.readonly) reject(403, 'orders are disabled: IBKR_READONLY=true');
    const row = this.store.get(id) ?? reject(404, `no order ${id}`);
    if (isTerminalStatus(row.status)) reject(409, `order is ${row.status}: nothing to cancel`);
    const gateway = this.gateway;
    if (!gateway || !gateway.live || !this.options.isLive()) {
      reject(503, 'gateway not live: orders need a connected, logged-in gateway');
    }
    if (row.clientId !== gateway!.clientId) {
      reject(409, `order was placed with client id ${row.clientId}; only that client id can cancel it`);
    }
    const at = this.now();
    this.store.applyChange(id, { source: 'cancel', status: row.status, message: 'cancel requested' }, at);
    gateway!.cancelOrder(row.ibOrderId);
    const errorsBefore = row.lastError;
    await this.waitFor(
      id,
      (o) => isTerminalStatus(o.status) || o.lastError !== errorsBefore,
      this.ackTimeoutMs,
    );
    const now = this.store.get(id)!;
    this.audit.info(
      { outcome: 'cancel', id, ib_order_id: now.ibOrderId, status: now.status },
      'order cancel sent',
    );
    if (!isTerminalStatus(now.status) && now.lastError !== errorsBefore && now.lastError !== undefined) {
      return {
        status: 409,
        body: { error: `the gateway refused the cancel: ${now.lastError}`, order: this.view(now) },
      };
    }
    return {
      status: now.status === 'Cancelled' || now.status === 'ApiCancelled' ? 200 : 202,
      body: this.view(now),
    };
  }

  private view(row: OrderRow): unknown {
    return orderView(row, this.store.history(row.id), this.store.fills(row.id));
  }

  // ---- gateway events (OrderSessionEvents) ----------------------------------------------------

  ready(accounts: string[]): void {
    this.options.logger.info({ accounts }, 'order connection ready');
  }

  closed(reason: string): void {
    this.options.logger.warn({ reason }, 'order connection closed');
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
      this.options.logger.warn({ ib_order_id: orderId, code, message }, 'IB error for an unknown order id');
      return;
    }
    const text = `${code}: ${message}`;
    if (ORDER_NOTICES.has(code)) {
      this.options.logger.info({ id: row.id, code, message }, 'order notice');
      return;
    }
    // Before the gateway accepted it, an error is the order's rejection; later (a refused cancel,
    // say) it only annotates the order.
    const status = row.status === 'PendingSubmit' ? 'Inactive' : row.status;
    this.options.logger.warn(
      { id: row.id, ib_order_id: orderId, code, message },
      'order error from the gateway',
    );
    this.change(row, { source: 'error', status, message: text });
  }

  execution(execution: ExecutionRecord): void {
    const gateway = this.gateway;
    const byId =
      execution.orderId !== undefined && gateway
        ? this.store.byIbOrderId(gateway.clientId, execution.orderId)
        : undefined;
    const row = byId ?? (execution.permId !== undefined ? this.store.byPermId(execution.permId) : undefined);
    if (!row) return;
    if (this.store.recordFill(row.id, execution)) this.notify(row.id);
  }

  commission(report: CommissionRecord): void {
    this.store.recordCommission(report);
  }

  notice(code: number, message: string): void {
    this.options.logger.debug({ code, message }, 'order connection notice');
  }

  private find(orderId: number, permId: number | undefined): OrderRow | undefined {
    if (permId !== undefined && permId > 0) {
      const byPerm = this.store.byPermId(permId);
      if (byPerm) return byPerm;
    }
    const gateway = this.gateway;
    return gateway ? this.store.byIbOrderId(gateway.clientId, orderId) : undefined;
  }

  private change(row: OrderRow, change: StatusChange): void {
    if (this.store.applyChange(row.id, change, this.now())) this.notify(row.id);
  }

  // ---- waiting for the gateway ------------------------------------------------------------------

  private notify(id: string): void {
    for (const wake of this.waiters.get(id) ?? []) wake();
  }

  /** Resolves true once `done` holds for the stored order, false at the deadline. */
  private waitFor(id: string, done: (row: OrderRow) => boolean, timeoutMs: number): Promise<boolean> {
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

  private count(
    side: 'BUY' | 'SELL' | undefined,
    type: 'MKT' | 'LMT' | undefined,
    result: SubmitResult,
  ): void {
    // A body without a valid side or type is not an order: it is audited, not counted.
    if (!side || !type) return;
    const key: SubmittedKey = `${side}|${type}|${result}`;
    this.submittedCounts.set(key, (this.submittedCounts.get(key) ?? 0) + 1);
  }
}

function conflict(): HttpError {
  return new HttpError(409, 'idempotency key already used with a different body');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pick<T extends string>(body: unknown, field: string, allowed: readonly T[]): T | undefined {
  const value = isObject(body) ? body[field] : undefined;
  return allowed.includes(value as T) ? (value as T) : undefined;
}

/** What the audit line says about an order: bounded, and never anything but order fields. */
function summary(body: unknown): Record<string, unknown> | undefined {
  if (!isObject(body)) return undefined;
  const out: Record<string, unknown> = {};
  for (const field of [
    'symbol',
    'sec_type',
    'side',
    'qty',
    'order_type',
    'price',
    'account',
    'client_order_id',
  ]) {
    const value = body[field];
    if (typeof value === 'number' || typeof value === 'boolean') out[field] = value;
    else if (typeof value === 'string') out[field] = value.slice(0, 64);
  }
  return out;
}
