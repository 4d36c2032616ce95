// Placing and cancelling orders, with idempotency. Every rejection happens before anything is
// sent to the gateway; placeOrder is sent only once the order's row is committed, and the store's
// unique idempotency key decides between concurrent submits (of this exporter or of another on
// the same database), so neither a retry nor a crash can place a key's order twice. Rejections
// are OrderErrors with a reason; the HTTP layer decides what they look like on the wire.
import { randomUUID } from 'node:crypto';
import Big from 'big.js';
import type { Logger } from 'pino';
import { isTerminalStatus } from '../domain/order-status.js';
import type { ContractMatch, OrderGateway } from '../ib/order-session.js';
import { GatewayNotLiveError, LookupTimeoutError } from '../ib/order-session.js';
import { DuplicateKeyError } from '../store/order-store.js';
import type { OrderRow, OrderStore } from '../store/order-store.js';
import {
  checkLimits,
  checkNotional,
  chooseAccount,
  knownMultiplier,
  singleContract,
} from './order-checks.js';
import type { OrderLimits } from './order-checks.js';
import { OrderError } from './order-error.js';
import type { FieldProblem, OrderRequest } from './order-schema.js';
import {
  ORDER_TYPE_ALIASES,
  bodyHash,
  fieldProblems,
  idempotencyKeyOf,
  idempotencyKeySchema,
  parseOrderRequest,
  sessionRouting,
} from './order-schema.js';
import type { OrderTracker } from './order-tracker.js';
import { SerialQueue } from './serial-queue.js';
import { orderView } from './order-view.js';
import type { OrderView } from './order-view.js';

export type SubmitResult = 'placed' | 'rejected' | 'failed';

export interface OrderServiceOptions {
  store: OrderStore;
  /** Applies the gateway's events to the store; the service waits on it for acknowledgements. */
  tracker: OrderTracker;
  readonly: boolean;
  limits: OrderLimits;
  /** Whether the gateway is live for orders (the sync connection's health as well as ours). */
  isLive: () => boolean;
  logger: Logger;
  now?: () => number;
  /** How long submit and cancel wait for the gateway to acknowledge an order or a cancel. */
  ackTimeoutMs?: number;
  lookupTimeoutMs?: number;
}

/** What submit did: placed (acknowledged by the gateway within the wait, or not yet), or replayed. */
export type SubmitOutcome =
  { kind: 'placed'; acknowledged: boolean; order: OrderView } | { kind: 'replayed'; order: OrderView };

/** What cancel did: IB reported the order cancelled, or not yet. */
export interface CancelOutcome {
  kind: 'cancelled' | 'pending';
  order: OrderView;
}

interface Placement {
  hash: string;
  promise: Promise<SubmitOutcome>;
}

type SubmittedKey = `${'BUY' | 'SELL'}|${'MKT' | 'LMT'}|${SubmitResult}`;

export class OrderService {
  private readonly store: OrderStore;
  private readonly tracker: OrderTracker;
  private readonly now: () => number;
  private readonly audit: Logger;
  private readonly ackTimeoutMs: number;
  private readonly lookupTimeoutMs: number;
  /** Submissions under way, by idempotency key: a concurrent retry waits for the first. */
  private readonly inflight = new Map<string, Placement>();
  private readonly submittedCounts = new Map<SubmittedKey, number>();
  /** Reserve an id, write the row, send: one order at a time, so IB sees its ids in order. */
  private readonly sending = new SerialQueue();
  /** Open orders by account as last read from the store, for the gauge filled at scrape time. */
  private openCounts = new Map<string, number>();
  private refreshing?: Promise<void>;
  /** A read to start once the running one is done: it may have begun before the latest change. */
  private queued?: Promise<void>;
  /** Absent when the order connection is not opened (read-only, or no gateway sync). */
  private gateway?: OrderGateway;

  constructor(private readonly options: OrderServiceOptions) {
    this.store = options.store;
    this.tracker = options.tracker;
    this.now = options.now ?? Date.now;
    this.audit = options.logger.child({ audit: 'order' });
    this.ackTimeoutMs = options.ackTimeoutMs ?? 5000;
    this.lookupTimeoutMs = options.lookupTimeoutMs ?? 10_000;
    this.tracker.onChange(() => void this.refreshOpen());
    void this.refreshOpen();
  }

  attach(gateway: OrderGateway): void {
    this.gateway = gateway;
  }

  /** Counts by side, order type and result, for ibkr_orders_submitted_total. */
  submitted(): ReadonlyMap<SubmittedKey, number> {
    return this.submittedCounts;
  }

  /**
   * Open orders by account, for ibkr_orders_open. A scrape never waits on the database: SQLite
   * answers at once; PostgreSQL's answer is read after every change of one of our orders (submit
   * and cancel answer once it is read) and again on every scrape, which reports the newest read.
   */
  openByAccount(): Map<string, number> {
    void this.refreshOpen();
    return this.openCounts;
  }

  /** Resolves once a read of the open orders that started after this call has completed. */
  private refreshOpen(): Promise<void> {
    if (!this.refreshing) return this.readOpen();
    this.queued ??= this.refreshing.then(() => {
      this.queued = undefined;
      return this.readOpen();
    });
    return this.queued;
  }

  private readOpen(): Promise<void> {
    const unreadable = (error: unknown) =>
      this.options.logger.warn({ err: error }, 'open orders not readable');
    let counts: Map<string, number> | Promise<Map<string, number>>;
    try {
      counts = this.store.openByAccount();
    } catch (error) {
      unreadable(error);
      return Promise.resolve();
    }
    if (!(counts instanceof Promise)) {
      this.openCounts = counts;
      return Promise.resolve();
    }
    const reading: Promise<void> = counts
      .then((read) => {
        this.openCounts = read;
      }, unreadable)
      .finally(() => {
        if (this.refreshing === reading) this.refreshing = undefined;
      });
    this.refreshing = reading;
    return reading;
  }

  // ---- submit ---------------------------------------------------------------------------------

  /** Validates and places an order; `headerKey` is the Idempotency-Key, if the caller sent one. */
  async submit(body: unknown, headerKey: string | undefined): Promise<SubmitOutcome> {
    const side = pick(body, 'side', ['BUY', 'SELL'] as const);
    // order_type defaults to MKT only when it is left out; a wrong one is not an order type.
    const type =
      isObject(body) && body.order_type === undefined
        ? 'MKT'
        : pick(body, 'order_type', ['MKT', 'LMT'] as const);
    const refuse = (error: OrderError): never => {
      this.count(side, type, 'rejected');
      this.audit.info(
        {
          outcome: 'rejected',
          rejection: error.reason,
          reason: error.message,
          details: error.details,
          order: summary(body),
        },
        'order rejected',
      );
      throw error;
    };
    if (this.options.readonly) refuse(new OrderError('disabled', 'orders are disabled: IBKR_READONLY=true'));
    const parsed = parseOrderRequest(body);
    if (!parsed.success) {
      refuse(new OrderError('invalid', 'invalid order', { details: fieldProblems(parsed.error) }));
    }
    const request = (parsed as { data: OrderRequest }).data;
    if (headerKey !== undefined) {
      const key = idempotencyKeySchema.safeParse(headerKey);
      if (!key.success) {
        refuse(
          new OrderError('invalid', 'invalid order', {
            details: fieldProblems(key.error, 'Idempotency-Key'),
          }),
        );
      }
    }
    const keyed = idempotencyKeyOf(request, headerKey);
    if (Array.isArray(keyed)) {
      refuse(new OrderError('invalid', 'two different idempotency keys', { details: keyed }));
    }
    const { key } = keyed as { key: string | undefined };
    const hash = bodyHash(request);
    if (key === undefined) return this.place(request, undefined, hash);

    const running = this.inflight.get(key);
    if (running) {
      if (running.hash !== hash) refuse(conflict());
      try {
        const outcome = await running.promise;
        this.audit.info(
          { outcome: 'replayed', idempotency_key: key, result: outcome.kind },
          'order retry answered',
        );
        return outcome;
      } catch (error) {
        if (error instanceof OrderError) {
          this.audit.info(
            { outcome: 'replayed', idempotency_key: key, rejection: error.reason },
            'order retry answered',
          );
        }
        throw error;
      }
    }
    // In flight from here on, before the store is asked: a retry arriving while it answers waits.
    const promise = (async () => {
      const existing = await this.store.byKey(key);
      if (existing) return this.replay(existing, hash, refuse);
      return this.place(request, key, hash);
    })();
    this.inflight.set(key, { hash, promise });
    try {
      return await promise;
    } finally {
      this.inflight.delete(key);
    }
  }

  private async replay(
    existing: OrderRow,
    hash: string,
    refuse: (error: OrderError) => never,
  ): Promise<SubmitOutcome> {
    if (existing.bodyHash !== hash) refuse(conflict());
    this.audit.info(
      { outcome: 'replayed', id: existing.id, idempotency_key: existing.idempotencyKey },
      'order retry answered',
    );
    return { kind: 'replayed', order: await this.view(existing) };
  }

  private async place(request: OrderRequest, key: string | undefined, hash: string): Promise<SubmitOutcome> {
    const fail = (error: OrderError): never => {
      this.count(request.side, request.order_type, 'rejected');
      this.audit.info(
        {
          outcome: 'rejected',
          rejection: error.reason,
          reason: error.message,
          details: error.details,
          idempotency_key: key,
          order: summary(request),
        },
        'order rejected',
      );
      throw error;
    };
    /** Runs a check; its OrderError is audited and counted as a rejection. */
    const checked = <T>(check: () => T): T => {
      try {
        return check();
      } catch (error) {
        if (error instanceof OrderError) fail(error);
        throw error;
      }
    };
    const { maxNotional } = this.options.limits;
    checked(() => checkLimits(request, this.options.limits));
    // Checked before the lookup when the multiplier is known (stocks: 1), so a plain order above
    // the limit sends nothing at all; and again with the contract's own multiplier.
    checked(() => checkNotional(request, maxNotional, knownMultiplier(request)));
    const gateway = this.gateway;
    const notLive = () =>
      fail(new OrderError('not_live', 'gateway not live: orders need a connected, logged-in gateway'));
    if (!gateway || !gateway.live || !this.options.isLive()) notLive();
    const live = gateway as OrderGateway;
    const account = checked(() => chooseAccount(request.account, live.accounts));
    const routing = sessionRouting(request, live.serverVersion);
    if ('field' in routing) fail(new OrderError('invalid', 'invalid order', { details: [routing] }));
    const { outsideRth, includeOvernight } = routing as Exclude<typeof routing, FieldProblem>;

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
        fail(new OrderError('not_live', error.message, { cause: error }));
      fail(
        new OrderError('not_live', `contract lookup failed: ${(error as Error).message}`, { cause: error }),
      );
    }
    const contract = checked(() => singleContract(request, matches));
    checked(() => checkNotional(request, maxNotional, contract.multiplier));
    // The lookup took time: the connection may have gone meanwhile.
    if (!live.live || !this.options.isLive()) notLive();

    const id = randomUUID();
    const replayed = await this.sending.run(async (): Promise<SubmitOutcome | undefined> => {
      // The connection may have gone while earlier orders were being sent.
      if (!live.live || !this.options.isLive()) notLive();
      const ibOrderId = live.reserveOrderId();
      try {
        // Committed before placeOrder is sent: a crash in between leaves a stored order that was
        // never sent (its key replays it), never an order at IB that the ledger does not know.
        await this.store.insert({
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
      } catch (error) {
        if (!(error instanceof DuplicateKeyError)) {
          fail(
            new OrderError('store_unavailable', 'the order could not be stored, so it was not sent', {
              cause: error,
            }),
          );
        }
        // Another writer of the same database placed it first.
        const winner = await this.store.byKey((error as DuplicateKeyError).key);
        if (!winner) {
          fail(
            new OrderError('key_conflict', 'idempotency key already used by an order of another gateway', {
              cause: error,
            }),
          );
        }
        return this.replay(winner!, hash, (e) => {
          throw e;
        });
      }
      try {
        live.placeOrder(ibOrderId, {
          conId: contract.conId,
          exchange: request.exchange,
          action: request.side,
          quantity: request.qty,
          orderType: request.order_type,
          limitPrice: request.price,
          tif: request.tif,
          account,
          outsideRth,
          includeOvernight,
          orderRef: request.client_order_id ?? id,
        });
        return undefined;
      } catch (error) {
        // Stored but not sent: the row must not pass for a working order.
        const message = `not sent: ${(error as Error).message}`;
        await this.store.applyChange(id, { source: 'error', status: 'Inactive', message }, this.now());
        await this.refreshOpen();
        this.count(request.side, request.order_type, 'failed');
        this.audit.info({ outcome: 'failed', id, idempotency_key: key, reason: message }, 'order failed');
        throw new OrderError('not_live', 'gateway not live: the order was not sent', { cause: error });
      }
    });
    if (replayed) return replayed;

    const acked = await this.tracker.waitFor(id, (o) => o.status !== 'PendingSubmit', this.ackTimeoutMs);
    const [now] = await Promise.all([
      Promise.resolve(this.store.get(id)).then((row) => row!),
      this.refreshOpen(),
    ]);
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
      throw new OrderError('gateway_rejected', `rejected by the gateway: ${now.lastError ?? now.status}`, {
        order: await this.view(now),
      });
    }
    return { kind: 'placed', acknowledged: acked, order: await this.view(now) };
  }

  // ---- list, get, cancel ------------------------------------------------------------------------

  /** Orders, newest first; status 'open' means every order not in a terminal state. */
  async list(query: { status?: string; limit: number }): Promise<OrderView[]> {
    const open = query.status === 'open';
    const rows = await this.store.list({ status: open ? undefined : query.status, open, limit: query.limit });
    return rows.map((row) => orderView(row));
  }

  async get(id: string): Promise<OrderView> {
    const row = await this.store.get(id);
    if (!row) throw new OrderError('not_found', `no order ${id}`);
    return this.view(row);
  }

  async cancel(id: string): Promise<CancelOutcome> {
    const reject = (error: OrderError): never => {
      this.audit.info(
        { outcome: 'cancel_rejected', id, rejection: error.reason, reason: error.message },
        'order cancel rejected',
      );
      throw error;
    };
    if (this.options.readonly) reject(new OrderError('disabled', 'orders are disabled: IBKR_READONLY=true'));
    const row = (await this.store.get(id)) ?? reject(new OrderError('not_found', `no order ${id}`));
    if (isTerminalStatus(row.status)) {
      reject(new OrderError('finished', `order is ${row.status}: nothing to cancel`));
    }
    const gateway = this.gateway;
    if (!gateway || !gateway.live || !this.options.isLive()) {
      reject(new OrderError('not_live', 'gateway not live: orders need a connected, logged-in gateway'));
    }
    if (row.clientId !== gateway!.clientId) {
      reject(
        new OrderError(
          'wrong_client',
          `order was placed with client id ${row.clientId}; only that client id can cancel it`,
        ),
      );
    }
    const at = this.now();
    await this.store.applyChange(
      id,
      { source: 'cancel', status: row.status, message: 'cancel requested' },
      at,
    );
    gateway!.cancelOrder(row.ibOrderId);
    const errorsBefore = row.lastError;
    await this.tracker.waitFor(
      id,
      (o) => isTerminalStatus(o.status) || o.lastError !== errorsBefore,
      this.ackTimeoutMs,
    );
    const [now] = await Promise.all([
      Promise.resolve(this.store.get(id)).then((row) => row!),
      this.refreshOpen(),
    ]);
    this.audit.info(
      { outcome: 'cancel', id, ib_order_id: now.ibOrderId, status: now.status },
      'order cancel sent',
    );
    if (!isTerminalStatus(now.status) && now.lastError !== errorsBefore && now.lastError !== undefined) {
      throw new OrderError('cancel_refused', `the gateway refused the cancel: ${now.lastError}`, {
        order: await this.view(now),
      });
    }
    return {
      kind: now.status === 'Cancelled' || now.status === 'ApiCancelled' ? 'cancelled' : 'pending',
      order: await this.view(now),
    };
  }

  private async view(row: OrderRow): Promise<OrderView> {
    const [history, fills] = await Promise.all([this.store.history(row.id), this.store.fills(row.id)]);
    return orderView(row, history, fills);
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

function conflict(): OrderError {
  return new OrderError('key_conflict', 'idempotency key already used with a different body');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pick<T extends string>(body: unknown, field: string, allowed: readonly T[]): T | undefined {
  const raw = isObject(body) ? body[field] : undefined;
  // Spelled as the tracker did (`buy`, `market`): counted like BUY and MKT.
  const value = typeof raw === 'string' ? (ORDER_TYPE_ALIASES[raw.toUpperCase()] ?? raw.toUpperCase()) : raw;
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
