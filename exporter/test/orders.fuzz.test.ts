// Property: whatever invalid body POST /orders gets, the answer is a 4xx JSON error, never a
// 5xx, and nothing reaches the gateway (no placeOrder, not even a contract lookup). The exporter
// runs in-process against the simulator with its real order connection.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { orderRequestSchema, parseOrderRequest, sessionRouting } from '../src/orders/order-schema.js';
import { useRig } from './support/exporter.js';
import { ACCOUNT, call, placeOrders, startOrdersRig } from './support/orders.js';

const rig = useRig();
const MAX_QUANTITY = 1000;
const VALID = { symbol: 'AAPL', qty: 10, side: 'BUY', order_type: 'LMT', price: 150 };
const FIELDS = Object.keys(orderRequestSchema.shape);
/** The simulator's default API server version: too old for includeOvernight. */
const SERVER_VERSION = 176;

/** A valid order in this exporter's or the IBKR PnL Tracker's spellings. */
const spelled = fc
  .record(
    {
      side: fc.constantFrom('BUY', 'buy', 'Sell', 'SELL', 'sell'),
      order_type: fc.constantFrom('LMT', 'lmt', 'limit', 'LIMIT', 'Limit'),
      trading_session: fc.constantFrom('RTH', 'rth', 'EXTENDED', 'extended', 'OVERNIGHT', 'overnight'),
      outside_rth: fc.boolean(),
      idempotency_key: fc.stringMatching(/^[a-z0-9-]{1,20}$/),
    },
    { requiredKeys: ['side', 'order_type'] },
  )
  .map((fields) => ({ ...VALID, ...fields }));

/** Bodies a client could send; the property only keeps those the API must refuse. */
const anyValue = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }),
);
const badNumber = fc.oneof(
  fc.double({ max: 0, noNaN: true }),
  fc.constantFrom(0, -1, 1e10, -0, Number.MAX_SAFE_INTEGER),
);
const body = fc.oneof(
  // Any JSON at all: arrays, strings, numbers, objects of anything.
  fc.jsonValue({ maxDepth: 3 }),
  // One field with a value of the wrong type or out of range, in either spelling.
  fc
    .tuple(spelled, fc.constantFrom(...FIELDS), fc.oneof(anyValue, badNumber))
    .map(([valid, field, value]) => ({ ...valid, [field]: value })),
  // The tracker's words, misspelled, or sessions that contradict outside_rth.
  fc
    .tuple(
      spelled,
      fc.constantFrom('side', 'order_type', 'trading_session'),
      fc.constantFrom('b', 'MKTT', 'ETH'),
    )
    .map(([valid, field, value]) => ({ ...valid, [field]: value })),
  // A required field left out.
  fc.constantFrom('symbol', 'qty', 'side').map((field) => {
    const copy: Record<string, unknown> = { ...VALID };
    delete copy[field];
    return copy;
  }),
  // A field the API does not know.
  fc
    .tuple(fc.string({ minLength: 1, maxLength: 12 }), anyValue)
    .filter(([key]) => !FIELDS.includes(key) && key !== '__proto__')
    .map(([key, value]) => ({ ...VALID, [key]: value })),
  // Combinations that are each valid alone: price with MKT, option fields on a stock, …
  fc
    .record(
      {
        order_type: fc.constantFrom('MKT', 'LMT'),
        price: fc.option(fc.double({ min: 0.01, max: 500, noNaN: true }), { nil: undefined }),
        sec_type: fc.constantFrom('STK', 'OPT', 'FUT'),
        expiry: fc.option(fc.constantFrom('202612', '20261218', '2026-12'), { nil: undefined }),
        strike: fc.option(fc.constantFrom(200, -5), { nil: undefined }),
        right: fc.option(fc.constantFrom('C', 'P', 'X'), { nil: undefined }),
        qty: fc.constantFrom(1, 2.5, 1001),
      },
      { requiredKeys: ['order_type', 'sec_type', 'qty'] },
    )
    .map((fields) => ({ symbol: 'AAPL', side: 'SELL', ...fields })),
  // Well-formed, but an account the gateway does not manage, or above IBKR_MAX_ORDER_QUANTITY.
  fc.stringMatching(/^[A-Z]{2}\d{7}$/).map((account) => ({ ...VALID, account })),
  fc.integer({ min: MAX_QUANTITY + 1, max: 1e9 }).map((qty) => ({ ...VALID, qty })),
);

/** True for a body the API would accept (and then send a contract lookup for). */
function acceptable(value: unknown, headerKey: string | undefined): boolean {
  const parsed = parseOrderRequest(value);
  if (!parsed.success) return false;
  const { data } = parsed;
  const bodyKey = data.idempotency_key;
  if (headerKey !== undefined && bodyKey !== undefined && bodyKey !== headerKey) return false;
  if ('field' in sessionRouting(data, SERVER_VERSION)) return false;
  return data.qty <= MAX_QUANTITY && (data.account ?? ACCOUNT) === ACCOUNT;
}

const request = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(body, fc.option(fc.stringMatching(/^[a-z0-9-]{1,20}$/), { nil: undefined }))
      .map(([b, key]) => ({ raw: JSON.stringify(b), type: 'application/json', value: b as unknown, key })),
  },
  // Not JSON, or not declared as JSON.
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.string({ maxLength: 60 }),
        fc.constantFrom('application/json', 'text/plain', 'application/xml'),
      )
      .map(([raw, type]) => ({ raw, type, value: undefined as unknown, key: undefined })),
  },
  {
    weight: 1,
    arbitrary: body.map((b) => ({
      raw: JSON.stringify(b),
      type: 'text/plain',
      value: undefined as unknown,
      key: undefined,
    })),
  },
);

describe('POST /orders with generated invalid bodies', () => {
  it('answers every one with a 4xx JSON error and sends nothing to the gateway', async () => {
    const { sim, exporter } = await startOrdersRig(rig, 'fuzz.db', {
      env: { IBKR_MAX_ORDER_QUANTITY: String(MAX_QUANTITY) },
    });
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, async ({ raw, type, value, key }) => {
        fc.pre(!(type === 'application/json' && acceptable(safeJson(raw) ?? value, key)));
        const headers: Record<string, string> = { 'content-type': type };
        if (key !== undefined) headers['idempotency-key'] = key;
        const reply = await call(exporter, 'POST', '/orders', { raw, headers });
        statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
        expect(reply.status).toBeGreaterThanOrEqual(400);
        expect(reply.status).toBeLessThan(500);
        expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
        expect(typeof reply.body.error).toBe('string');
      }),
      { numRuns: 1000 },
    );
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1000);
    // The generators reach every kind of refusal.
    expect([...statuses.keys()].sort()).toEqual([400, 415, 422]);
    expect(placeOrders(sim)).toEqual([]);
    expect(sim.requests.filter((r) => r.name === 'reqContractDetails')).toEqual([]);
    expect((await call(exporter, 'GET', '/orders')).body.orders).toEqual([]);
    // A thousand HTTP round trips: well within this alone, slower on a shared CI machine.
  }, 90_000);
});

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
