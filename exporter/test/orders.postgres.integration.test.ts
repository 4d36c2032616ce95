// The orders API with its orders in PostgreSQL (IBKR_DATABASE_URL): the real client against the
// simulator, a real server. The part of orders.integration.test.ts that depends on the store: an
// order filled with its commission joined, one order for a concurrent double submit (of one
// exporter and of two sharing the database), and the key replayed after a restart. No SQLite
// file is created for orders.
import { existsSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { GatewaySimulator } from '../src/sim/server.js';
import { scrape, useRig, valueOf } from './support/exporter.js';
import { ACCOUNT, basicScenario, call, placeOrders, startOrdersExporter } from './support/orders.js';
import { describePostgres, startPostgres } from './support/postgres.js';
import type { PostgresCluster } from './support/postgres.js';

describePostgres('orders on PostgreSQL', () => {
  const rig = useRig();
  let cluster: PostgresCluster;
  beforeAll(async () => {
    cluster = await startPostgres();
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  const rows = async (url: string, sql: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(sql)).rows as Array<Record<string, unknown>>;
    } finally {
      await client.end();
    }
  };

  async function start(url: string, db: string, env: Record<string, string> = {}) {
    const sim = rig.track(await GatewaySimulator.start({ scenario: await basicScenario() }));
    const exporter = await startOrdersExporter(rig, sim, db, { IBKR_DATABASE_URL: url, ...env });
    return { sim, exporter };
  }

  it('fills a market order with its commission joined, stores it in PostgreSQL and no SQLite file', async () => {
    const url = await cluster.createDatabase();
    const { sim, exporter } = await start(url, 'unused.db');
    const placed = await call(exporter, 'POST', '/orders', {
      body: { symbol: 'TSLA', qty: 20, side: 'BUY', order_type: 'MKT' },
    });
    expect(placed.status).toBe(201);
    await vi.waitFor(
      async () => {
        const order = (await call(exporter, 'GET', `/orders/${String(placed.body.id)}`)).body;
        expect(order).toMatchObject({ status: 'Filled', filled: 20, account: ACCOUNT });
        // 20 × (249.95 − 240) = 199 gross, less the simulator's $1 commission.
        expect(order.fills).toEqual([
          expect.objectContaining({ shares: 20, price: 240, commission: '1', realized_pnl: '198' }),
        ]);
      },
      { timeout: 5000, interval: 20 },
    );
    expect(placeOrders(sim)).toHaveLength(1);
    expect(await rows(url, 'SELECT id, account, gateway, status FROM orders')).toEqual([
      { id: placed.body.id, account: ACCOUNT, gateway: ACCOUNT, status: 'Filled' },
    ]);
    const history = await rows(url, 'SELECT source, status FROM order_status_history ORDER BY id');
    expect(history[0]).toEqual({ source: 'submit', status: 'PendingSubmit' });
    expect(history.at(-1)).toMatchObject({ status: 'Filled' });
    await vi.waitFor(
      async () => expect(valueOf(await scrape(exporter), 'ibkr_orders_open', { account: ACCOUNT })).toBe(0),
      { timeout: 5000, interval: 20 },
    );
    expect(existsSync(`${rig.dir}/unused.db`)).toBe(false);
  });

  it('places one order for a concurrent double submit, on one exporter and across two, and replays the key after a restart', async () => {
    const url = await cluster.createDatabase();
    const { sim, exporter } = await start(url, 'first.db');
    const body = { symbol: 'AAPL', qty: 3, side: 'BUY', order_type: 'LMT', price: 120 };
    const headers = { 'idempotency-key': 'retry-me-1' };
    const [a, b] = await Promise.all([
      call(exporter, 'POST', '/orders', { body, headers }),
      call(exporter, 'POST', '/orders', { body, headers }),
    ]);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.body.id).toBe(a.body.id);
    expect(placeOrders(sim)).toHaveLength(1);
    expect(valueOf(await scrape(exporter), 'ibkr_orders_open', { account: ACCOUNT })).toBe(1);

    // A second exporter on the same gateway and database (a rolling update): the unique key lets
    // one of the two racing submits store the order, and the other answers with it.
    const twin = await startOrdersExporter(rig, sim, 'twin.db', {
      IBKR_DATABASE_URL: url,
      IBKR_CLIENT_ID: '21',
      IBKR_ORDER_CLIENT_ID: '22',
    });
    const raced = { ...body, client_order_id: 'raced-1' };
    const [one, two] = await Promise.all([
      call(exporter, 'POST', '/orders', { body: raced }),
      call(twin, 'POST', '/orders', { body: raced }),
    ]);
    expect([one.status, two.status].sort()).toEqual([200, 201]);
    expect(two.body.id).toBe(one.body.id);
    expect(placeOrders(sim)).toHaveLength(2);
    expect(await rows(url, `SELECT count(*)::int AS n FROM orders`)).toEqual([{ n: 2 }]);
    // The twin sees the first exporter's order: same gateway, same accounts.
    expect((await call(twin, 'GET', `/orders/${String(a.body.id)}`)).status).toBe(200);
    await twin.stop();

    await exporter.stop();
    const restarted = await startOrdersExporter(rig, sim, 'first.db', { IBKR_DATABASE_URL: url });
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
    // Read from the database after the start (a scrape reports the newest read, never waits on it).
    await vi.waitFor(
      async () => expect(valueOf(await scrape(restarted), 'ibkr_orders_open', { account: ACCOUNT })).toBe(2),
      { timeout: 5000, interval: 20 },
    );
  });
});
