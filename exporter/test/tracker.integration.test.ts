// The IBKR PnL Tracker's API against this exporter: its README's calls verbatim (with the bearer
// token this exporter requires), each endpoint of its table, and the /ws/updates feed, with the real
// @stoqey/ib client against the simulator. Values are checked against the SQLite ledger itself.
import { readFileSync } from 'node:fs';
import Big from 'big.js';
import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import type { Exporter } from '../src/exporter.js';
import { BASIC, useRig, waitSynced } from './support/exporter.js';
import { ACCOUNT, call, placeOrders, startOrdersRig } from './support/orders.js';

const rig = useRig();
const AAPL = 265598;
const TSLA = 76792991;

/** Buys back scenarios/basic.json's TSLA short (20 sold at 250, marked at 240): its round trip closes. */
const closeTsla = {
  execId: '0000e0d5.6554f3e5.01.01',
  account: ACCOUNT,
  conId: TSLA,
  side: 'BOT' as const,
  shares: 20,
  price: 240,
  commission: { commission: 1, currency: 'USD', realizedPnl: 198 },
};
type Row = Record<string, unknown>;

/** The fields the tracker's table names for each list; the answers may carry more. */
const FIELDS = {
  positions: ['id', 'symbol', 'qty', 'avg_cost', 'realized_pnl', 'unrealized_pnl', 'total_pnl', 'open_time'],
  history: ['id', 'symbol', 'open_time', 'close_time', 'realized_pnl'],
  tripTrades: ['trade_time', 'side', 'qty', 'price', 'commission', 'realized_pnl'],
  trades: [
    'symbol',
    'exchange',
    'currency',
    'side',
    'qty',
    'price',
    'commission',
    'realized_pnl',
    'trade_time',
    'perm_id',
  ],
};
const hasFields = (rows: Row[], fields: string[]) => {
  for (const row of rows) expect(Object.keys(row)).toEqual(expect.arrayContaining(fields));
};

/** An exporter as a tracker user runs it: orders on, restarts on in flag-file (compose) mode. */
async function start(db: string, options: { serverVersion?: number } = {}) {
  const flagFile = `${rig.dir}/${db}.restart`;
  const started = await startOrdersRig(rig, db, {
    env: { IBKR_GATEWAY_RESTART_ENABLED: 'true', IBKR_GATEWAY_RESTART_FILE: flagFile },
    scenario: options.serverVersion === undefined ? {} : { serverVersion: options.serverVersion },
  });
  return { ...started, flagFile, db: `${rig.dir}/${db}` };
}

/** The ledger as SQLite holds it: per con_id the sum of IB's realized PnL over joined reports. */
function ledgerRealized(path: string): Map<number, { value: Big; reports: number }> {
  const db = new Database(path, { readonly: true });
  try {
    const rows = db
      .prepare(
        `SELECT e.con_id, r.realized_pnl FROM executions e JOIN commission_reports r USING (base_exec_id)`,
      )
      .all() as Array<{ con_id: number; realized_pnl: string | null }>;
    const out = new Map<number, { value: Big; reports: number }>();
    for (const row of rows) {
      const entry = out.get(row.con_id) ?? { value: new Big(0), reports: 0 };
      entry.value = entry.value.plus(row.realized_pnl ?? '0');
      entry.reports += 1;
      out.set(row.con_id, entry);
    }
    return out;
  } finally {
    db.close();
  }
}

function executions(path: string): Row[] {
  const db = new Database(path, { readonly: true });
  try {
    return db
      .prepare(
        `SELECT e.exec_id, e.side, e.shares, e.price, e.time_ms, e.perm_id, e.venue, c.symbol, c.currency,
                r.commission, r.realized_pnl
           FROM executions e JOIN contracts c USING (con_id) LEFT JOIN commission_reports r USING (base_exec_id)
          ORDER BY e.time_ms DESC, e.base_exec_id`,
      )
      .all() as Row[];
  } finally {
    db.close();
  }
}

/** The ledger's round trips, newest closed first, with their totals (one report currency here). */
function roundTrips(path: string): Row[] {
  const db = new Database(path, { readonly: true });
  try {
    return db
      .prepare(
        `SELECT t.id, c.symbol, t.open_time_ms, t.close_time_ms, s.realized_pnl, s.commissions
           FROM round_trips t JOIN contracts c USING (con_id)
           LEFT JOIN round_trip_totals s ON s.round_trip_id = t.id AND s.reports > 0
          WHERE t.close_time_ms IS NOT NULL ORDER BY t.close_time_ms DESC, t.id DESC`,
      )
      .all() as Row[];
  } finally {
    db.close();
  }
}

/** The fills of one round trip as the ledger holds them, oldest first. */
function tripFills(path: string, id: number): Row[] {
  const db = new Database(path, { readonly: true });
  try {
    return db
      .prepare(
        `SELECT e.side, f.quantity, e.price, e.time_ms, f.money, r.commission, r.realized_pnl
           FROM round_trip_fills f JOIN executions e USING (base_exec_id)
           LEFT JOIN commission_reports r USING (base_exec_id)
          WHERE f.round_trip_id = ? ORDER BY e.time_ms, e.base_exec_id`,
      )
      .all(id) as Row[];
  } finally {
    db.close();
  }
}

/** Ledger decimal text as the JSON number the tracker's clients read; unknown stays null. */
const num = (text: unknown) => (text === null || text === undefined ? null : Number(text));

const get = async (exporter: Exporter, path: string) =>
  (await call(exporter, 'GET', path, { token: null })).body;
/** A list endpoint's answer: a bare JSON array, as the tracker's clients iterate it. */
const list = async (exporter: Exporter, path: string): Promise<Row[]> => {
  const body: unknown = await get(exporter, path);
  expect(Array.isArray(body), path).toBe(true);
  return body as Row[];
};

describe("the IBKR PnL Tracker's API", () => {
  it("answers the tracker README's three calls verbatim, with the bearer token added", async () => {
    const { sim, exporter, flagFile } = await start('readme.db');

    // curl http://localhost:8000/sync/health
    const health = await call(exporter, 'GET', '/sync/health', { token: null });
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ running: true, connected: true, ibkr_connected: true, error: null });

    // curl -X POST http://localhost:8000/orders -H "Content-Type: application/json" \
    //   -d '{"symbol":"AAPL","qty":1,"side":"buy","order_type":"MKT"}'
    const order = await call(exporter, 'POST', '/orders', {
      raw: '{"symbol":"AAPL","qty":1,"side":"buy","order_type":"MKT"}',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(order.status).toBe(201);
    const [sent] = placeOrders(sim);
    expect(sent?.order).toMatchObject({ action: 'BUY', totalQuantity: 1, orderType: 'MKT' });
    expect(order.body).toMatchObject({ request_id: order.body.id, order_id: sent?.orderId, side: 'BUY' });
    expect(typeof order.body.status).toBe('string');
    // Without the token, the same call is refused: the one deliberate change.
    const anonymous = await call(exporter, 'POST', '/orders', {
      raw: '{"symbol":"AAPL","qty":1,"side":"buy","order_type":"MKT"}',
      headers: { 'Content-Type': 'application/json' },
      token: null,
    });
    expect(anonymous.status).toBe(401);

    // curl -X POST http://localhost:8000/gateway/restart
    const restart = await call(exporter, 'POST', '/gateway/restart');
    expect(restart.status).toBe(202);
    expect(restart.body).toMatchObject({ enabled: true, mode: 'cold', state: 'succeeded' });
    expect(Number.isNaN(Date.parse(readFileSync(flagFile, 'utf8').trim()))).toBe(false);
  });

  it('answers /health and /sync/status with the tracker fields', async () => {
    const { exporter } = await start('status.db');
    const health = await get(exporter, '/health');
    expect(health.status).toBe('ok');
    expect(Date.parse(String(health.time))).toBeGreaterThan(0);
    const status = await get(exporter, '/sync/status');
    expect(Object.keys(status).sort()).toEqual(
      [
        'connected',
        'error',
        'last_connected_at',
        'last_disconnected_at',
        'last_update',
        'running',
        'started_at',
      ].sort(),
    );
    expect(status).toMatchObject({
      running: true,
      connected: true,
      last_connected_at: new Date(exporter.health.lastConnectedAt!).toISOString(),
      last_disconnected_at: null,
      error: null,
    });
  });

  it('lists positions with the tracker fields, realized PnL from the ledger and unknowns null', async () => {
    const { exporter, db } = await start('positions.db');
    const positions = await list(exporter, '/positions');
    const ledger = ledgerRealized(db);
    expect(positions).toHaveLength(3);
    hasFields(positions, FIELDS.positions);
    for (const p of positions) {
      const view = exporter.portfolio.position(ACCOUNT, p.con_id as number)!;
      const realized = ledger.get(p.con_id as number);
      expect(p).toMatchObject({
        symbol: view.position.contract.symbol,
        qty: view.position.quantity,
        avg_cost: view.position.avgCost,
        unrealized_pnl: view.pnl?.unrealizedPnl,
        realized_pnl: realized ? Number(realized.value) : null,
      });
      const unrealized = view.pnl?.unrealizedPnl;
      expect(p.total_pnl).toBe(
        realized && unrealized !== undefined ? Number(realized.value.plus(unrealized)) : null,
      );
    }
    // From scenarios/basic.json: the call's closing fill realized 79.35; AAPL's opening fill nothing.
    const option = positions.find((p) => p.sec_type === 'OPT')!;
    expect(option).toMatchObject({ qty: 1, avg_cost: 520, realized_pnl: 79.35, unrealized_pnl: 90 });
    expect(option.total_pnl).toBe(169.35);
    expect(await list(exporter, `/positions?account=${ACCOUNT}`)).toHaveLength(3);
    expect((await call(exporter, 'GET', '/positions?account=DU9', { token: null })).status).toBe(404);
  });

  it('lists trades newest first with the tracker fields, as the ledger holds them', async () => {
    const { exporter, db } = await start('trades.db');
    const trades = await list(exporter, '/trades');
    hasFields(trades, FIELDS.trades);
    const rows = executions(db);
    expect(trades.map((t) => t.exec_id)).toEqual(rows.map((r) => r.exec_id));
    for (const [i, t] of trades.entries()) {
      const r = rows[i]!;
      expect(t).toMatchObject({
        symbol: r.symbol,
        currency: r.currency,
        exchange: r.venue,
        side: r.side,
        qty: r.shares,
        price: r.price,
        commission: r.commission === null ? null : Number(r.commission),
        realized_pnl: r.realized_pnl === null ? null : Number(r.realized_pnl),
        trade_time: new Date(r.time_ms as number).toISOString(),
        perm_id: r.perm_id,
      });
      expect(['buy', 'sell']).toContain(t.side);
    }
    expect(trades.map((t) => Date.parse(String(t.trade_time)))).toEqual(
      [...trades.map((t) => Date.parse(String(t.trade_time)))].sort((a, b) => b - a),
    );
  });

  it('summarises PnL with the tracker fields: the ledger realized, IB unrealized, their exact total', async () => {
    const { exporter, db } = await start('summary.db');
    const summary = await get(exporter, '/pnl/summary');
    const realized = [...ledgerRealized(db).values()].reduce((sum, e) => sum.plus(e.value), new Big(0));
    const pnl = exporter.portfolio.accountPnl.get(ACCOUNT)!;
    expect(summary).toMatchObject({
      account_id: ACCOUNT,
      base_currency: 'USD',
      realized_pnl: Number(realized),
      unrealized_pnl: pnl.unrealizedPnl,
      total_pnl: Number(realized.plus(pnl.unrealizedPnl!)),
      as_of: new Date(pnl.updatedAt).toISOString(),
    });
    expect(summary).toMatchObject({ realized_pnl: 79.35, unrealized_pnl: 788, total_pnl: 867.35 });
    expect((summary.accounts as Row[]).map((a) => a.account)).toEqual([ACCOUNT]);
  });

  it('lists closed positions newest first and the trades of one, with the tracker fields', async () => {
    const { sim, exporter, db } = await start('history.db');
    expect(await list(exporter, '/positions/history')).toEqual([]);
    const open = (await list(exporter, '/positions')).find((p) => p.con_id === TSLA)!;
    expect(typeof open.id).toBe('number');
    expect(Date.parse(String(open.open_time))).toBeGreaterThan(0);

    sim.addExecution(closeTsla);
    let history: Row[] = [];
    await vi.waitFor(
      async () => {
        history = await list(exporter, '/positions/history');
        expect(history).toHaveLength(1);
      },
      { timeout: 5000, interval: 20 },
    );
    const [trip] = history;
    hasFields(history, FIELDS.history);
    expect(trip).toMatchObject({ id: open.id, symbol: 'TSLA', open_time: open.open_time });
    expect(Date.parse(String(trip!.close_time))).toBeGreaterThanOrEqual(Date.parse(String(trip!.open_time)));
    // Every field the tracker reads, against the ledger's own rows; money as JSON numbers.
    expect(
      history.map((t) => [t.id, t.symbol, t.open_time, t.close_time, t.realized_pnl, t.commissions]),
    ).toEqual(
      roundTrips(db).map((r) => [
        r.id,
        r.symbol,
        new Date(r.open_time_ms as number).toISOString(),
        new Date(r.close_time_ms as number).toISOString(),
        num(r.realized_pnl),
        num(r.commissions),
      ]),
    );
    // IB's realized PnL of the buy-back (net of commission); 1 commission on each of the two fills.
    expect(trip).toMatchObject({ realized_pnl: 198, commissions: 2 });

    const trades = await list(exporter, `/positions/${String(trip!.id)}/trades`);
    hasFields(trades, FIELDS.tripTrades);
    expect(trades.map((t) => [t.trade_time, t.side, t.qty, t.price, t.commission, t.realized_pnl])).toEqual(
      tripFills(db, trip!.id as number).map((f) => [
        new Date(f.time_ms as number).toISOString(),
        f.side,
        Number(f.quantity),
        f.price,
        f.money ? num(f.commission) : 0,
        f.money ? num(f.realized_pnl) : null,
      ]),
    );
    expect(trades.map((t) => [t.side, t.qty, t.price, t.realized_pnl])).toEqual([
      ['sell', 20, 250, null],
      ['buy', 20, 240, 198],
    ]);
    expect((await call(exporter, 'GET', '/positions/999999/trades', { token: null })).status).toBe(404);
  });

  it('stops syncing and resumes on POST /sync/stop and /sync/start, with the token, serving stored state meanwhile', async () => {
    const { sim, exporter } = await start('stop.db');
    expect((await call(exporter, 'POST', '/sync/stop', { token: null })).status).toBe(401);
    const stopped = await call(exporter, 'POST', '/sync/stop');
    expect(stopped.status).toBe(200);
    expect(stopped.body).toMatchObject({ running: false, connected: false });
    expect(exporter.health.gatewayUp).toBe(false);
    // Only the order connection is left on the simulator.
    await vi.waitFor(() => expect(sim.connectedClients()).toBe(1), { timeout: 5000 });
    expect(await list(exporter, '/positions')).toHaveLength(3);
    expect((await call(exporter, 'POST', '/sync/stop')).body).toMatchObject({ running: false });

    const resumed = await call(exporter, 'POST', '/sync/start');
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ running: true });
    await waitSynced(exporter, BASIC);
    expect(await get(exporter, '/sync/status')).toMatchObject({ running: true, connected: true });
    expect(sim.requests.filter((r) => r.name === 'reqPositions' && r.clientId === 1)).toHaveLength(2);
  });

  it('sends /ws/updates on connect and a simulator fill within 2 s', async () => {
    const { sim, exporter } = await start('ws.db');
    const socket = new WebSocket(`${exporter.url.replace('http', 'ws')}/ws/updates`);
    const messages: Row[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data)) as Row));
    try {
      await vi.waitFor(() => expect(messages.length).toBeGreaterThan(0), { timeout: 5000 });
      const first = messages[0]!;
      expect(Object.keys(first).sort()).toEqual(['history', 'positions', 'summary']);
      expect(first.history).toEqual([]);
      expect(first.positions).toEqual(await list(exporter, '/positions'));
      expect(first.summary).toMatchObject({ account_id: ACCOUNT, realized_pnl: 79.35 });
      const aaplQty = (m: Row) => (m.positions as Row[]).find((p) => p.con_id === AAPL)?.qty;
      expect(aaplQty(first)).toBe(100);

      sim.addExecution({
        execId: '0000e0d5.6554f3d4.01.01',
        account: ACCOUNT,
        conId: AAPL,
        side: 'SLD',
        shares: 40,
        price: 170,
        commission: { commission: 1, currency: 'USD', realizedPnl: 798.6 },
      });
      await vi.waitFor(
        () => {
          const last = messages[messages.length - 1]!;
          expect(aaplQty(last)).toBe(60);
          expect(last.summary).toMatchObject({ realized_pnl: 877.95 }); // 79.35 + 798.6
        },
        { timeout: 2000, interval: 10 },
      );
      // A position closing puts its round trip into history, as /positions/history has it.
      sim.addExecution(closeTsla);
      await vi.waitFor(
        () =>
          expect((messages[messages.length - 1]!.history as Row[]).map((t) => t.symbol)).toEqual(['TSLA']),
        { timeout: 2000, interval: 10 },
      );
      const last = messages[messages.length - 1]!;
      expect(last.history).toEqual(await list(exporter, '/positions/history'));
      // Money as JSON numbers there too: the round trip's realized PnL and the fills' commissions.
      expect((last.history as Row[])[0]).toMatchObject({ symbol: 'TSLA', realized_pnl: 198 });
    } finally {
      socket.terminate();
    }
  });

  it('routes an OVERNIGHT order with includeOvernight from server version 189, and refuses it below with nothing sent', async () => {
    const body = {
      symbol: 'AAPL',
      qty: 1,
      side: 'buy',
      order_type: 'limit',
      price: 150,
      trading_session: 'overnight',
    };
    const old = await start('overnight-176.db');
    const refused = await call(old.exporter, 'POST', '/orders', { body });
    expect(refused.status).toBe(422);
    expect(refused.body.details).toEqual([
      expect.objectContaining({ field: 'trading_session', message: expect.stringContaining('189') }),
    ]);
    expect(old.sim.requests.filter((r) => r.name === 'reqContractDetails')).toEqual([]);
    // IB's overnight venue itself needs no flag, so any version takes it.
    const venue = await call(old.exporter, 'POST', '/orders', { body: { ...body, exchange: 'OVERNIGHT' } });
    expect(venue.status).toBe(201);
    expect(placeOrders(old.sim).map((r) => [r.contract?.exchange, r.order?.includeOvernight])).toEqual([
      ['OVERNIGHT', false],
    ]);

    const recent = await start('overnight-190.db', { serverVersion: 190 });
    const placed = await call(recent.exporter, 'POST', '/orders', { body });
    expect(placed.status).toBe(201);
    expect(placeOrders(recent.sim)[0]?.order).toMatchObject({ includeOvernight: true, outsideRth: true });
    expect(placed.body.request).toMatchObject({
      trading_session: 'OVERNIGHT',
      outside_rth: true,
      side: 'BUY',
    });
  });

  it('takes idempotency_key in the body as the header, and refuses the two when they differ', async () => {
    const { sim, exporter } = await start('idempotency.db');
    const body = {
      symbol: 'AAPL',
      qty: 1,
      side: 'sell',
      order_type: 'LMT',
      price: 500,
      idempotency_key: 'k-1',
    };
    const first = await call(exporter, 'POST', '/orders', { body });
    expect(first.status).toBe(201);
    const again = await call(exporter, 'POST', '/orders', { body, headers: { 'Idempotency-Key': 'k-1' } });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const differing = await call(exporter, 'POST', '/orders', {
      body,
      headers: { 'Idempotency-Key': 'k-2' },
    });
    expect(differing.status).toBe(422);
    expect((differing.body.details as Row[]).map((d) => d.field)).toEqual([
      'Idempotency-Key',
      'idempotency_key',
    ]);
    expect(placeOrders(sim)).toHaveLength(1);
  });
});
