// The order service against a small fake gateway (the OrderGateway seam) and a real in-memory
// SQLite order store: what it sends, what it stores and which reason it rejects with. The
// end-to-end suites run the same service over the real client against the simulator.
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ContractMatch, ContractQuery, OrderGateway, OrderTicket } from '../ib/order-session.js';
import { LookupTimeoutError } from '../ib/order-session.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { OrderError } from './order-error.js';
import type { OrderErrorReason } from './order-error.js';
import { OrderService } from './order-service.js';
import type { OrderServiceOptions } from './order-service.js';
import { OrderTracker } from './order-tracker.js';

const AAPL: ContractMatch = { conId: 265598, symbol: 'AAPL', secType: 'STK', currency: 'USD', multiplier: 1 };
const CLIENT_ID = 2;

/** What the service sees of the order connection; answers as the test tells it to. */
class FakeGateway implements OrderGateway {
  readonly clientId = CLIENT_ID;
  live = true;
  accounts: string[] = ['DU1'];
  serverVersion: number | undefined = 176;
  matches: ContractMatch[] = [AAPL];
  lookupError: Error | undefined;
  /** What the gateway does after placeOrder: acknowledge, reject (IB error 201) or stay silent. */
  onPlace: 'ack' | 'reject' | 'silent' = 'ack';
  readonly lookups: ContractQuery[] = [];
  readonly placed: Array<{ orderId: number; ticket: OrderTicket }> = [];
  readonly cancels: number[] = [];
  private nextId = 100;

  constructor(private readonly tracker: OrderTracker) {}

  async resolveContract(query: ContractQuery): Promise<ContractMatch[]> {
    this.lookups.push(query);
    if (this.lookupError) throw this.lookupError;
    return this.matches;
  }

  reserveOrderId(): number {
    return this.nextId++;
  }

  placeOrder(orderId: number, ticket: OrderTicket): void {
    this.placed.push({ orderId, ticket });
    // The gateway answers on a later turn of the event loop, as over a socket.
    if (this.onPlace === 'ack') {
      setImmediate(() =>
        this.tracker.orderStatus({
          orderId,
          status: 'Submitted',
          filled: 0,
          remaining: ticket.quantity,
          permId: 9000 + orderId,
        }),
      );
    } else if (this.onPlace === 'reject') {
      setImmediate(() => this.tracker.orderError(orderId, 201, 'Order rejected - reason: margin'));
    }
  }

  cancelOrder(orderId: number): void {
    this.cancels.push(orderId);
    setImmediate(() => this.tracker.orderStatus({ orderId, status: 'Cancelled', filled: 0, remaining: 0 }));
  }
}

const lmt = { symbol: 'AAPL', qty: 10, side: 'BUY', order_type: 'LMT', price: 150.25 };

describe('OrderService', () => {
  let sqlite: SqliteStore;
  let tracker: OrderTracker;
  let gateway: FakeGateway;

  function service(options: Partial<OrderServiceOptions> = {}, attach = true): OrderService {
    const logger = pino({ level: 'silent' });
    const made = new OrderService({
      store: sqlite.orders(),
      tracker,
      readonly: false,
      limits: {},
      isLive: () => true,
      logger,
      ackTimeoutMs: 2000,
      ...options,
    });
    if (attach) made.attach(gateway);
    return made;
  }

  async function rejection(work: Promise<unknown>): Promise<{ reason: OrderErrorReason; fields: string[] }> {
    const error = await work.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(error instanceof OrderError)) throw new Error(`expected an OrderError, got ${String(error)}`);
    return { reason: error.reason, fields: (error.details ?? []).map((d) => d.field) };
  }

  beforeEach(() => {
    sqlite = new SqliteStore({ path: ':memory:' });
    tracker = new OrderTracker({
      store: sqlite.orders(),
      clientId: CLIENT_ID,
      logger: pino({ level: 'silent' }),
    });
    gateway = new FakeGateway(tracker);
  });
  afterEach(() => sqlite.close());

  it("takes the tracker's spellings and routes OVERNIGHT with includeOvernight from server version 189", async () => {
    const orders = service();
    const overnight = { ...lmt, side: 'buy', order_type: 'limit', trading_session: 'overnight' };
    expect(await rejection(orders.submit(overnight, undefined))).toEqual({
      reason: 'invalid',
      fields: ['trading_session'],
    });
    expect(gateway.lookups).toEqual([]);
    expect(orders.submitted().get('BUY|LMT|rejected')).toBe(1);
    gateway.serverVersion = 189;
    expect((await orders.submit(overnight, undefined)).kind).toBe('placed');
    expect(gateway.placed[0]!.ticket).toMatchObject({
      action: 'BUY',
      outsideRth: true,
      includeOvernight: true,
    });
  });

  it('refuses an idempotency_key that differs from the header, naming both, before any lookup', async () => {
    const orders = service();
    expect(await rejection(orders.submit({ ...lmt, idempotency_key: 'a-1' }, 'b-1'))).toEqual({
      reason: 'invalid',
      fields: ['Idempotency-Key', 'idempotency_key'],
    });
    expect(gateway.lookups).toEqual([]);
  });

  it('places an order once, stores it and answers with the acknowledged state', async () => {
    const orders = service();
    const outcome = await orders.submit(lmt, undefined);
    expect(outcome.kind).toBe('placed');
    expect(outcome).toMatchObject({
      acknowledged: true,
      order: { status: 'Submitted', price: '150.25', qty: '10' },
    });
    expect(gateway.placed).toHaveLength(1);
    expect(gateway.placed[0]!.ticket).toMatchObject({
      conId: AAPL.conId,
      action: 'BUY',
      orderType: 'LMT',
      limitPrice: 150.25,
      account: 'DU1',
      tif: 'DAY',
    });
    expect((await orders.list({ limit: 10 })).map((o) => o.status)).toEqual(['Submitted']);
    expect(orders.submitted().get('BUY|LMT|placed')).toBe(1);
  });

  it('answers placed but not acknowledged when the gateway stays silent', async () => {
    gateway.onPlace = 'silent';
    const outcome = await service({ ackTimeoutMs: 50 }).submit(lmt, undefined);
    expect(outcome).toMatchObject({
      kind: 'placed',
      acknowledged: false,
      order: { status: 'PendingSubmit' },
    });
  });

  it('replays an idempotency key with the same body and sends nothing more', async () => {
    const orders = service();
    const first = await orders.submit(lmt, 'key-1');
    const again = await orders.submit(lmt, 'key-1');
    expect(again).toEqual({ kind: 'replayed', order: first.order });
    expect(gateway.placed).toHaveLength(1);
  });

  it('places one order for two concurrent submits of one key', async () => {
    const orders = service();
    const [a, b] = await Promise.all([orders.submit(lmt, 'key-2'), orders.submit(lmt, 'key-2')]);
    expect(a.order.id).toBe(b.order.id);
    expect(gateway.placed).toHaveLength(1);
  });

  it('refuses the key with another body as a key conflict', async () => {
    const orders = service();
    await orders.submit(lmt, 'key-3');
    expect(await rejection(orders.submit({ ...lmt, price: 151 }, 'key-3'))).toEqual({
      reason: 'key_conflict',
      fields: [],
    });
    expect(gateway.placed).toHaveLength(1);
  });

  it('rejects before sending anything, with the reason of each refusal', async () => {
    const cases: Array<[string, () => Promise<unknown>, OrderErrorReason, string[]]> = [
      ['read-only', () => service({ readonly: true }).submit(lmt, undefined), 'disabled', []],
      ['an invalid body', () => service().submit({ ...lmt, qty: 0 }, undefined), 'invalid', ['qty']],
      [
        'an invalid Idempotency-Key',
        () => service().submit(lmt, 'two words'),
        'invalid',
        ['Idempotency-Key'],
      ],
      [
        'above the quantity limit',
        () => service({ limits: { maxQuantity: 5 } }).submit(lmt, undefined),
        'limits',
        ['qty'],
      ],
      ['no order connection', () => service({}, false).submit(lmt, undefined), 'not_live', []],
      [
        'the sync connection down',
        () => service({ isLive: () => false }).submit(lmt, undefined),
        'not_live',
        [],
      ],
    ];
    for (const [name, work, reason, fields] of cases) {
      expect({ name, ...(await rejection(work())) }).toEqual({ name, reason, fields });
    }
    expect(gateway.lookups).toEqual([]);
    expect(gateway.placed).toEqual([]);
  });

  it('sends IB order ids in increasing order when a slow store write holds the first order', async () => {
    const store = sqlite.orders();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let writes = 0;
    const slowFirst = Object.assign(Object.create(store) as typeof store, {
      insert: async (order: Parameters<typeof store.insert>[0]) => {
        if (writes++ === 0) await held;
        return store.insert(order);
      },
    });
    const orders = service({ store: slowFirst });
    const first = orders.submit(lmt, 'slow-1');
    const second = orders.submit({ ...lmt, qty: 2 }, 'fast-2');
    await new Promise((resolve) => setImmediate(resolve));
    release();
    await Promise.all([first, second]);
    const sent = gateway.placed.map((p) => p.orderId);
    expect(sent).toHaveLength(2);
    expect(sent).toEqual([...sent].sort((x, y) => x - y));
    expect(gateway.placed.map((p) => p.ticket.quantity)).toEqual([10, 2]);
  });

  it('sends nothing when the order cannot be stored (an unreachable database)', async () => {
    const store = sqlite.orders();
    const unreachable = Object.assign(Object.create(store) as typeof store, {
      insert: () =>
        Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
    });
    const orders = service({ store: unreachable });
    expect(await rejection(orders.submit(lmt, 'key-9'))).toEqual({ reason: 'store_unavailable', fields: [] });
    expect(gateway.placed).toEqual([]);
    expect(orders.submitted().get('BUY|LMT|rejected')).toBe(1);
    // The key is not used up: the retry, once the database answers, places the order.
    expect((await service().submit(lmt, 'key-9')).kind).toBe('placed');
    expect(gateway.placed).toHaveLength(1);
  });

  it('rejects what the lookup answers before placing', async () => {
    const orders = service({ limits: { maxNotional: 1000 } });
    gateway.matches = [];
    expect(await rejection(orders.submit(lmt, undefined))).toMatchObject({ reason: 'limits' });
    expect(gateway.lookups).toEqual([]);
    const small = { ...lmt, qty: 1 };
    expect(await rejection(orders.submit(small, undefined))).toEqual({
      reason: 'unknown_contract',
      fields: ['symbol'],
    });
    gateway.matches = [AAPL, { ...AAPL, conId: 1 }];
    expect(await rejection(orders.submit(small, undefined))).toEqual({
      reason: 'ambiguous_contract',
      fields: ['symbol'],
    });
    gateway.matches = [{ ...AAPL, multiplier: 100 }];
    expect(await rejection(orders.submit(small, undefined))).toEqual({ reason: 'limits', fields: ['price'] });
    gateway.lookupError = new LookupTimeoutError(10);
    expect(await rejection(orders.submit(small, undefined))).toMatchObject({ reason: 'not_live' });
    expect(gateway.placed).toEqual([]);
    expect(orders.submitted().get('BUY|LMT|rejected')).toBe(5);
  });

  it('reports a gateway rejection with the stored, inactive order', async () => {
    gateway.onPlace = 'reject';
    const orders = service();
    const error = await orders.submit(lmt, undefined).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OrderError);
    expect(error).toMatchObject({
      reason: 'gateway_rejected',
      message: 'rejected by the gateway: 201: Order rejected - reason: margin',
      order: { status: 'Inactive', error: '201: Order rejected - reason: margin' },
    });
    expect(orders.submitted().get('BUY|LMT|failed')).toBe(1);
  });

  it('cancels an open order and refuses to cancel it twice', async () => {
    const orders = service();
    const { order } = await orders.submit(lmt, undefined);
    const cancelled = await orders.cancel(order.id);
    expect(cancelled).toMatchObject({ kind: 'cancelled', order: { status: 'Cancelled' } });
    expect(gateway.cancels).toEqual([order.ib_order_id]);
    expect(await rejection(orders.cancel(order.id))).toEqual({ reason: 'finished', fields: [] });
    expect(gateway.cancels).toHaveLength(1);
  });

  it('refuses to cancel an unknown order or one placed on another client id', async () => {
    const orders = service();
    expect(await rejection(orders.cancel('nope'))).toEqual({ reason: 'not_found', fields: [] });
    const { order } = await orders.submit(lmt, undefined);
    const other = Object.assign(new FakeGateway(tracker), { clientId: CLIENT_ID + 1 });
    orders.attach(other);
    expect(await rejection(orders.cancel(order.id))).toEqual({ reason: 'wrong_client', fields: [] });
    await expect(orders.get('nope')).rejects.toThrow(OrderError);
  });
});
