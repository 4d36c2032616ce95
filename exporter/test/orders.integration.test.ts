// The orders API end to end: the exporter's order connection (IBKR_ORDER_CLIENT_ID) and its sync
// connection, both the real @stoqey/ib client, against the simulator. Numbers come from
// scenarios/basic.json: TSLA is short 20 at avgCost 249.95 and marked at 240 (-4800 / -20).
// The part that depends on the order store (idempotency, a fill, two exporters on one database)
// runs on PostgreSQL too.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startExporter } from '../src/exporter.js';
import { GatewaySimulator } from '../src/sim/server.js';
import { BASIC, scrape, testConfig, useRig, valueOf, waitSynced } from './support/exporter.js';
import {
  ACCOUNT,
  TOKEN,
  basicScenario,
  call,
  placeOrders,
  startOrdersExporter,
  startOrdersRig,
} from './support/orders.js';
import { captureLogs } from './support/log-capture.js';
import { describePostgres, startPostgres } from './support/postgres.js';
import type { PostgresCluster } from './support/postgres.js';

const rig = useRig();
const TSLA = 76792991;
const AAPL = 265598;

async function orderOf(exporter: Parameters<typeof call>[0], id: unknown, status: string) {
  let body: Record<string, unknown> = {};
  await vi.waitFor(
    async () => {
      body = (await call(exporter, 'GET', `/orders/${String(id)}`)).body;
      expect(body.status).toBe(status);
    },
    { timeout: 5000, interval: 20 },
  );
  return body;
}

describe('orders against the simulator', () => {
  it('fills a market order: the fill comes back as an execution and commission and moves positions, PnL and /metrics', async () => {
    const { sim, exporter } = await startOrdersRig(rig, 'fill.db');
    const placed = await call(exporter, 'POST', '/orders', {
      body: { symbol: 'TSLA', qty: 20, side: 'BUY', order_type: 'MKT' },
    });
    expect(placed.status).toBe(201);
    const order = await orderOf(exporter, placed.body.id, 'Filled');
    expect(order).toMatchObject({
      account: ACCOUNT,
      con_id: TSLA,
      qty: '20',
      filled: 20,
      avg_fill_price: 240,
    });
    // Closing the short: 20 × (249.95 − 240) = 199 gross, less the simulator's $1 commission.
    expect(order.fills).toEqual([
      expect.objectContaining({ shares: 20, price: 240, commission: '1', realized_pnl: '198' }),
    ]);
    const [sent] = placeOrders(sim);
    expect(sent).toMatchObject({
      clientId: 2,
      contract: { conId: TSLA },
      order: { action: 'BUY', totalQuantity: 20 },
    });

    // The sync connection (the master client) stores the same fill in the ledger.
    await vi.waitFor(() => expect(exporter.portfolio.position(ACCOUNT, TSLA)?.position.quantity).toBe(0), {
      timeout: 5000,
      interval: 20,
    });
    const samples = await scrape(exporter);
    const tsla = { account: ACCOUNT, symbol: 'TSLA' };
    expect(valueOf(samples, 'ibkr_position_quantity', tsla)).toBe(0);
    expect(valueOf(samples, 'ibkr_position_realized_pnl', tsla)).toBe(198);
    expect(valueOf(samples, 'ibkr_account_ledger_realized_pnl', { account: ACCOUNT })).toBeCloseTo(
      277.35,
      10,
    );
    expect(valueOf(samples, 'ibkr_executions_total', { account: ACCOUNT })).toBe(4);
    expect(
      valueOf(samples, 'ibkr_orders_submitted_total', { side: 'buy', order_type: 'MKT', result: 'placed' }),
    ).toBe(1);
    expect(valueOf(samples, 'ibkr_orders_open', { account: ACCOUNT })).toBe(0);
    await vi.waitFor(
      async () =>
        expect(valueOf(await scrape(exporter), 'ibkr_account_realized_pnl', { account: ACCOUNT })).toBe(
          277.35,
        ),
      { timeout: 5000, interval: 20 },
    );
    const trades = (await call(exporter, 'GET', '/trades?symbol=TSLA')).body as unknown as Array<
      Record<string, unknown>
    >;
    expect(trades[0]).toMatchObject({ side: 'buy', shares: 20, price: 240, realized_pnl: 198 });
  });

  it('keeps a limit order open until cancelled, and refuses to cancel it twice', async () => {
    const { sim, exporter } = await startOrdersRig(rig, 'cancel.db');
    const placed = await call(exporter, 'POST', '/orders', {
      body: {
        symbol: 'AAPL',
        qty: 5,
        side: 'BUY',
        order_type: 'LMT',
        price: 100.5,
        client_order_id: 'lmt-1',
      },
    });
    expect(placed.status).toBe(201);
    expect(placed.body).toMatchObject({ status: 'Submitted', price: '100.5', client_order_id: 'lmt-1' });
    const open = (await call(exporter, 'GET', '/orders?status=open')).body.orders as Array<{ id: string }>;
    expect(open.map((o) => o.id)).toEqual([placed.body.id]);
    expect(valueOf(await scrape(exporter), 'ibkr_orders_open', { account: ACCOUNT })).toBe(1);

    const cancelled = await call(exporter, 'POST', `/orders/${String(placed.body.id)}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('Cancelled');
    expect(sim.requests.filter((r) => r.name === 'cancelOrder').map((r) => r.orderId)).toEqual([
      placed.body.ib_order_id,
    ]);
    expect(valueOf(await scrape(exporter), 'ibkr_orders_open', { account: ACCOUNT })).toBe(0);
    const history = (await call(exporter, 'GET', `/orders/${String(placed.body.id)}`)).body.history as Array<{
      source: string;
      status: string;
    }>;
    expect(history.map((h) => `${h.source}:${h.status}`)).toEqual([
      'submit:PendingSubmit',
      'openOrder:Submitted',
      'orderStatus:Submitted',
      'cancel:Submitted',
      'openOrder:Cancelled',
    ]);
    const again = await call(exporter, 'POST', `/orders/${String(placed.body.id)}/cancel`);
    expect(again.status).toBe(409);
    expect(sim.requests.filter((r) => r.name === 'cancelOrder')).toHaveLength(1);
    expect(sim.orders.open()).toEqual([]);
  });

  it('sends nothing to the gateway on any rejection', async () => {
    const { sim, exporter } = await startOrdersRig(rig, 'reject.db', {
      env: { IBKR_MAX_ORDER_QUANTITY: '1000', IBKR_MAX_ORDER_NOTIONAL: '100000' },
      scenario: {
        contracts: [
          { conId: 5001, symbol: 'ACME', secType: 'STK', primaryExchange: 'NYSE', currency: 'USD' },
          { conId: 5002, symbol: 'ACME', secType: 'STK', primaryExchange: 'ARCA', currency: 'USD' },
        ],
      },
    });
    const order = { symbol: 'AAPL', qty: 10, side: 'BUY', order_type: 'LMT', price: 150 };
    const cases: Array<[string, Parameters<typeof call>[3], number, string?]> = [
      ['no token', { body: order, token: null }, 401],
      ['a wrong token', { body: order, token: 'not-the-token-0123456789' }, 401],
      ['invalid JSON', { raw: '{"symbol": "AAPL",', headers: { 'content-type': 'application/json' } }, 400],
      [
        'a form body',
        { raw: 'symbol=AAPL', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
        415,
      ],
      ['a body above the size limit', { body: { ...order, symbol: 'A'.repeat(20_000) } }, 413],
      ['qty 0', { body: { ...order, qty: 0 } }, 422, 'qty'],
      ['LMT without price', { body: { ...order, price: undefined } }, 422, 'price'],
      ['MKT with a price', { body: { ...order, order_type: 'MKT' } }, 422, 'price'],
      [
        'an option without strike',
        { body: { ...order, sec_type: 'OPT', expiry: '202612', right: 'C' } },
        422,
        'strike',
      ],
      ['an unknown field', { body: { ...order, qtty: 1 } }, 422, 'qtty'],
      ['an account not managed here', { body: { ...order, account: 'DU9999999' } }, 422, 'account'],
      ['qty above IBKR_MAX_ORDER_QUANTITY', { body: { ...order, qty: 1001 } }, 422, 'qty'],
      ['notional above IBKR_MAX_ORDER_NOTIONAL', { body: { ...order, qty: 1000 } }, 422, 'price'],
      [
        'MKT with a notional limit',
        { body: { ...order, order_type: 'MKT', price: undefined } },
        422,
        'order_type',
      ],
      ['an unknown contract', { body: { ...order, symbol: 'NOSUCH' } }, 422, 'symbol'],
      ['an ambiguous contract', { body: { ...order, symbol: 'ACME' } }, 422, 'symbol'],
    ];
    for (const [name, options, status, field] of cases) {
      const reply = await call(exporter, 'POST', '/orders', options);
      expect({ name, status: reply.status }).toEqual({ name, status });
      expect(reply.headers.get('content-type'), name).toMatch(/^application\/json/);
      expect(typeof reply.body.error, name).toBe('string');
      if (field) expect(reply.body.details, name).toContainEqual(expect.objectContaining({ field }));
    }
    // The gateway loses IB's servers: not live, 503, until it is back.
    sim.sendError(1100, 'Connectivity between IB and Trader Workstation has been lost.');
    await vi.waitFor(
      async () => expect((await call(exporter, 'POST', '/orders', { body: order })).status).toBe(503),
      {
        timeout: 5000,
        interval: 20,
      },
    );
    expect(placeOrders(sim)).toEqual([]);
    // Only the contract lookups of the unknown and ambiguous orders reached the gateway.
    expect(
      sim.requests.filter((r) => r.name === 'reqContractDetails').map((r) => r.contract?.symbol),
    ).toEqual(['NOSUCH', 'ACME']);
    const rejected = valueOf(await scrape(exporter), 'ibkr_orders_submitted_total', {
      side: 'buy',
      order_type: 'LMT',
      result: 'rejected',
    });
    expect(rejected).toBeGreaterThanOrEqual(10);
  });

  it('answers 403 when read-only and opens no order connection', async () => {
    const { sim } = await startOrdersRig(rig, 'ro-first.db');
    const exporter = await startOrdersExporter(rig, sim, 'readonly.db', {
      IBKR_READONLY: 'true',
      IBKR_CLIENT_ID: '11',
      IBKR_ORDER_CLIENT_ID: '12',
    });
    const reply = await call(exporter, 'POST', '/orders', { body: { symbol: 'AAPL', qty: 1, side: 'BUY' } });
    expect(reply.status).toBe(403);
    expect(reply.body.error).toBe('orders are disabled: IBKR_READONLY=true');
    expect((await call(exporter, 'POST', '/orders/x/cancel')).status).toBe(403);
    expect(sim.requests.filter((r) => r.clientId === 12)).toEqual([]);
    expect(placeOrders(sim)).toEqual([]);
  });
});

/**
 * The idempotency scenario on one backend: `ledger` gives the environment of a fresh ledger
 * (nothing for SQLite, IBKR_DATABASE_URL for PostgreSQL), the same for every exporter of a test.
 */
function idempotency(ledger: () => Promise<Record<string, string>>): void {
  it('places one order for a concurrent double submit, 409s another body, and replays after a restart', async () => {
    const env = await ledger();
    const { sim, exporter } = await startOrdersRig(rig, 'idem.db', { env });
    const body = { symbol: 'AAPL', qty: 3, side: 'BUY', order_type: 'LMT', price: 120 };
    const headers = { 'idempotency-key': 'retry-me-1' };
    const [a, b] = await Promise.all([
      call(exporter, 'POST', '/orders', { body, headers }),
      call(exporter, 'POST', '/orders', { body, headers }),
    ]);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.body.id).toBe(a.body.id);
    expect(placeOrders(sim)).toHaveLength(1);

    const other = await call(exporter, 'POST', '/orders', { body: { ...body, qty: 4 }, headers });
    expect(other.status).toBe(409);
    // client_order_id is the key when no header is sent.
    const byClientId = { ...body, client_order_id: 'mine-7' };
    const first = await call(exporter, 'POST', '/orders', { body: byClientId });
    const retry = await call(exporter, 'POST', '/orders', { body: { ...byClientId } });
    expect(retry.status).toBe(200);
    expect(retry.body.id).toBe(first.body.id);
    expect(placeOrders(sim)).toHaveLength(2);
    expect(valueOf(await scrape(exporter), 'ibkr_orders_open', { account: ACCOUNT })).toBe(2);

    await exporter.stop();
    const restarted = await startOrdersExporter(rig, sim, 'idem.db', env);
    const replay = await call(restarted, 'POST', '/orders', { body, headers });
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toMatchObject({
      id: a.body.id,
      ib_order_id: a.body.ib_order_id,
      status: 'Submitted',
    });
    expect(
      (await call(restarted, 'POST', '/orders', { body: { ...body, price: 121 }, headers })).status,
    ).toBe(409);
    expect(placeOrders(sim)).toHaveLength(2);
    // A new order after the restart gets a fresh IB order id from nextValidId.
    const fresh = await call(restarted, 'POST', '/orders', {
      body: { ...body, client_order_id: 'after-restart' },
    });
    expect(fresh.status).toBe(201);
    expect(new Set(placeOrders(sim).map((r) => r.orderId)).size).toBe(3);
    expect(sim.orders.all().map((o) => o.conId)).toEqual([AAPL, AAPL, AAPL]);
    // Read from the ledger again after the start (a scrape never waits on the database).
    await vi.waitFor(
      async () => expect(valueOf(await scrape(restarted), 'ibkr_orders_open', { account: ACCOUNT })).toBe(3),
      { timeout: 5000, interval: 20 },
    );
  });
}

describe('idempotency on SQLite', () => idempotency(async () => ({})));

// The orders in PostgreSQL (IBKR_DATABASE_URL): the scenario above, a filled order, and two
// exporters of one gateway sharing the database. No SQLite file is created for orders.
describePostgres('orders on PostgreSQL', () => {
  let cluster: PostgresCluster;
  beforeAll(async () => {
    cluster = await startPostgres();
  });
  afterAll(async () => {
    await cluster?.destroy();
  });
  const database = async () => {
    const url = await cluster.createDatabase();
    const sql = async (query: string) =>
      (await cluster.query(query, new URL(url).pathname.slice(1))).rows as Array<Record<string, unknown>>;
    return { url, sql };
  };

  describe('idempotency', () => idempotency(async () => ({ IBKR_DATABASE_URL: (await database()).url })));

  it('fills a market order with its commission joined, in PostgreSQL and no SQLite file', async () => {
    const { url, sql } = await database();
    const { sim, exporter } = await startOrdersRig(rig, 'unused.db', { env: { IBKR_DATABASE_URL: url } });
    const placed = await call(exporter, 'POST', '/orders', {
      body: { symbol: 'TSLA', qty: 20, side: 'BUY', order_type: 'MKT' },
    });
    expect(placed.status).toBe(201);
    // IB reports Filled (openOrder), the filled quantity (orderStatus), the fill and its commission
    // one message after another; each is stored in turn.
    await vi.waitFor(
      async () =>
        expect((await call(exporter, 'GET', `/orders/${String(placed.body.id)}`)).body).toMatchObject({
          status: 'Filled',
          filled: 20,
          account: ACCOUNT,
          // Closing the short: 20 × (249.95 − 240) = 199 gross, less the simulator's $1 commission.
          fills: [expect.objectContaining({ shares: 20, price: 240, commission: '1', realized_pnl: '198' })],
        }),
      { timeout: 5000, interval: 20 },
    );
    expect(placeOrders(sim)).toHaveLength(1);
    expect(await sql('SELECT id, account, gateway, status FROM orders')).toEqual([
      { id: placed.body.id, account: ACCOUNT, gateway: ACCOUNT, status: 'Filled' },
    ]);
    expect(valueOf(await scrape(exporter), 'ibkr_orders_open', { account: ACCOUNT })).toBe(0);
    expect(existsSync(`${rig.dir}/unused.db`)).toBe(false);
  });

  it('places one order when two exporters of one gateway get the same key at once', async () => {
    const { url, sql } = await database();
    const env = { IBKR_DATABASE_URL: url };
    const { sim, exporter } = await startOrdersRig(rig, 'one.db', { env });
    // A rolling update: the next exporter runs beside the old one, on its own client ids.
    const twin = await startOrdersExporter(rig, sim, 'two.db', {
      ...env,
      IBKR_CLIENT_ID: '21',
      IBKR_ORDER_CLIENT_ID: '22',
    });
    const body = {
      symbol: 'AAPL',
      qty: 3,
      side: 'BUY',
      order_type: 'LMT',
      price: 120,
      client_order_id: 'raced',
    };
    const [one, two] = await Promise.all([
      call(exporter, 'POST', '/orders', { body }),
      call(twin, 'POST', '/orders', { body }),
    ]);
    expect([one.status, two.status].sort()).toEqual([200, 201]);
    expect(two.body.id).toBe(one.body.id);
    expect(placeOrders(sim)).toHaveLength(1);
    expect(await sql('SELECT count(*)::int AS n FROM orders')).toEqual([{ n: 1 }]);
    // Same gateway, same accounts: each sees the order the other placed.
    expect((await call(twin, 'GET', `/orders/${String(one.body.id)}`)).status).toBe(200);
    expect((await call(exporter, 'GET', `/orders/${String(one.body.id)}`)).status).toBe(200);
  });
});

describe('the API token', () => {
  it('never appears in logs, metrics or error bodies', async () => {
    const sim = rig.track(await GatewaySimulator.start({ scenario: await basicScenario() }));
    const { logger, lines: logs } = captureLogs();
    const config = testConfig(sim.port, `${rig.dir}/token.db`, {
      IBKR_READONLY: 'false',
      IBKR_API_TOKEN: TOKEN,
    });
    const exporter = rig.track(await startExporter(config, { logger }));
    await waitSynced(exporter, BASIC);
    await sim.waitForRequest('reqOpenOrders', (r) => r.clientId === config.ib.orderClientId);
    const wrong = `${TOKEN.slice(0, -1)}X`;
    const replies = [
      await call(exporter, 'POST', '/orders', { body: { symbol: 'AAPL', qty: 1, side: 'BUY' } }),
      await call(exporter, 'POST', '/orders', {
        body: { symbol: 'AAPL', qty: 1, side: 'BUY' },
        token: wrong,
      }),
      await call(exporter, 'POST', '/orders', { body: { symbol: 'AAPL', qty: -1, side: 'BUY' } }),
      await call(exporter, 'POST', '/orders', {
        raw: `{"token": "${TOKEN}"`,
        headers: { 'content-type': 'application/json' },
      }),
      await call(exporter, 'POST', '/orders/nope/cancel', { token: wrong }),
      await call(exporter, 'POST', '/orders/nope/cancel'),
      await call(exporter, 'POST', '/gateway/restart', { token: wrong }),
      await call(exporter, 'GET', '/sync/health'),
      await call(exporter, 'GET', '/openapi.json'),
      await call(exporter, 'GET', '/metrics'),
    ];
    expect(replies.map((r) => r.status)).toEqual([201, 401, 422, 400, 401, 404, 401, 200, 200, 200]);
    // The logs are not empty: the audit lines and the request errors are there, without the token.
    const text = logs.join('');
    expect(text).toMatch(/"audit":"order".*"outcome":"placed"/);
    expect(text).toMatch(/"outcome":"rejected"/);
    for (const secret of [TOKEN, wrong]) {
      expect(text).not.toContain(secret);
      for (const reply of replies) expect(reply.text).not.toContain(secret);
    }
  });
});
