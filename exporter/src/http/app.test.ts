import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Health } from '../domain/health.js';
import { Portfolio } from '../domain/portfolio.js';
import type { ContractInfo } from '../domain/types.js';
import type { Collector } from '../metrics/collector.js';
import { createMetricsEndpoint } from '../metrics/collector.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { disabledRestarter } from '../restart/restarter.js';
import { createApp } from './app.js';
import type { AppDeps } from './app.js';
import { requireBearer } from './auth.js';

const AAPL: ContractInfo = { conId: 265598, symbol: 'AAPL', secType: 'STK', currency: 'USD', multiplier: 1 };

describe('HTTP API', () => {
  let dir: string;
  let store: SqliteStore;
  let server: Server;
  let base: string;
  let health: Health;
  const failing: Collector = {
    name: 'broken',
    update() {
      throw new Error('boom');
    },
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'http-test-'));
    store = new SqliteStore({ path: join(dir, 'http.db') });
    store.recordExecution({
      execId: 'a.01',
      baseExecId: 'a',
      revision: 1,
      account: 'DU1',
      contract: AAPL,
      side: 'buy',
      shares: 10,
      price: 150,
      time: Date.UTC(2026, 10, 25, 14, 30),
    });
    store.recordCommission({
      execId: 'a.01',
      baseExecId: 'a',
      revision: 1,
      commission: '1',
      currency: 'USD',
    });
    const portfolio = new Portfolio(store.load());
    portfolio.setPosition({ account: 'DU1', contract: AAPL, quantity: 10, avgCost: 150.1, updatedAt: 0 });
    portfolio.setPositionPnl('DU1', AAPL.conId, { unrealizedPnl: 12.5, updatedAt: 0 });
    health = new Health(Date.UTC(2026, 10, 25, 9), [
      { stream: 'positions', updatedAt: Date.UTC(2026, 10, 25, 10) },
    ]);
    const registry = new Registry();
    const app = createApp({
      metrics: createMetricsEndpoint(registry, [failing], () => undefined),
      health,
      portfolio,
      store,
      restarter: disabledRestarter,
      logger: pino({ level: 'silent' }),
      baseCurrency: 'USD',
      vncUrl: 'http://vnc.example:6080',
      sync: { running: true, startedAt: Date.UTC(2026, 10, 25, 9) },
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = async (path: string) => {
    const response = await fetch(`${base}${path}`);
    return {
      status: response.status,
      type: response.headers.get('content-type'),
      body: await response.text(),
    };
  };

  it('completes a scrape when a collector fails, and says so', async () => {
    const { status, body } = await get('/metrics');
    expect(status).toBe(200);
    expect(body).toContain('ibkr_exporter_collector_success{collector="broken"} 0');
  });

  it('answers /healthz and /readyz while the database is open, and not ready once it is closed', async () => {
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/readyz')).status).toBe(200);
    store.close();
    expect(await get('/readyz')).toMatchObject({
      status: 503,
      body: '{"status":"not ready","error":"database is closed"}',
    });
  });

  it('reports sync health with the seed fields, the session state and the gateway details', async () => {
    const at = Date.UTC(2026, 10, 25, 9, 30);
    health.transition('connecting', at - 10);
    health.connected(at, ['DU1']);
    health.transition('handshaken', at);
    health.transition('caught_up', at + 500);
    health.heartbeat(at + 1000, 12);
    health.farm('usfarm', true);
    health.farm('ushmds', false);
    const body = JSON.parse((await get('/sync/health')).body);
    expect(body).toEqual({
      running: true,
      connected: true,
      ibkr_connected: true,
      started_at: '2026-11-25T09:00:00.000Z',
      last_connected_at: '2026-11-25T09:30:00.000Z',
      last_disconnected_at: null,
      last_update: '2026-11-25T10:00:00.000Z',
      error: null,
      vnc_url: 'http://vnc.example:6080',
      accounts: ['DU1'],
      state: 'live',
      state_since: '2026-11-25T09:30:00.500Z',
      competing_session: false,
      farms: { usfarm: true, ushmds: false },
      heartbeat: { last_at: '2026-11-25T09:30:01.000Z', rtt_seconds: 0.012 },
      reconnect_attempts: 0,
      handshake_timeouts: 0,
      heartbeat_timeouts: 0,
      gateway_restart: {
        enabled: false,
        state: 'idle',
        mode: null,
        started_at: null,
        finished_at: null,
        message: null,
      },
      streams: { positions: '2026-11-25T10:00:00.000Z' },
      store: { backend: 'sqlite', database: store.location, up: true, schema_version: null, error: null },
    });
  });

  it('lists positions with their PnL and ledger, unset values as null', async () => {
    const body = JSON.parse((await get('/positions')).body);
    // A bare array, as the tracker answered: its clients iterate the answer itself.
    expect(body).toEqual([
      expect.objectContaining({
        symbol: 'AAPL',
        quantity: 10,
        average_cost: 150.1,
        unrealized_pnl: 12.5,
        daily_pnl: null,
        ledger: [{ currency: 'USD', realized_pnl: '0', commissions: '1', basis: 'api' }],
        // The tracker's names: money as numbers, the total only when both parts are known.
        qty: 10,
        avg_cost: 150.1,
        realized_pnl: 0,
        realized_pnl_basis: 'api',
        total_pnl: 12.5,
      }),
    ]);
    expect(JSON.parse((await get('/positions?account=DU1')).body)).toHaveLength(1);
    expect(await get('/positions?account=DU9')).toMatchObject({
      status: 404,
      body: '{"error":"no account DU9"}',
    });
  });

  it('lists trades and filters them', async () => {
    const all = JSON.parse((await get('/trades')).body);
    expect(all).toEqual([
      expect.objectContaining({
        exec_id: 'a.01',
        side: 'buy',
        shares: 10,
        qty: 10,
        trade_time: '2026-11-25T14:30:00.000Z',
        exchange: null,
        commission: 1,
        realized_pnl: null,
        source: 'api',
        pnl_source: null, // an opening fill has no realized PnL, so no source of one
      }),
    ]);
    expect(JSON.parse((await get('/trades?symbol=MSFT')).body)).toEqual([]);
    expect(JSON.parse((await get('/trades?since=2026-11-26T00:00:00Z')).body)).toEqual([]);
  });

  it.each([
    ['/trades?since=yesterday', 'since', 'must be an ISO-8601 time or Unix seconds'],
    ['/trades?limit=0', 'limit', 'Too small: expected number to be >=1'],
    ['/trades?colour=red', '(query)', 'Unrecognized key: "colour"'],
  ])('rejects %s with a 400 naming the field', async (path, field, message) => {
    const { status, type, body } = await get(path);
    expect(status).toBe(400);
    expect(type).toMatch(/application\/json/);
    expect(JSON.parse(body)).toEqual({ error: 'invalid query', details: [{ field, message }] });
  });

  it('answers unknown routes with JSON', async () => {
    expect(await get('/nope')).toMatchObject({ status: 404, body: '{"error":"no route for GET /nope"}' });
  });

  it("summarises PnL per account, the only account in the tracker's fields, unknowns null", async () => {
    const body = JSON.parse((await get('/pnl/summary')).body);
    expect(body).toMatchObject({
      account_id: 'DU1',
      base_currency: 'USD',
      realized_pnl: 0,
      realized_pnl_basis: 'api',
      unrealized_pnl: null,
      total_pnl: null,
      as_of: null,
    });
    expect(body.accounts).toEqual([
      {
        account: 'DU1',
        currency: 'USD',
        daily_pnl: null,
        unrealized_pnl: null,
        realized_pnl: null,
        values: [],
        ledger: [{ currency: 'USD', realized_pnl: '0', commissions: '1', basis: 'api' }],
        executions: 1,
      },
    ]);
  });
});

describe('CORS (IBKR_CORS_ORIGINS)', () => {
  const running: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const stop of running.splice(0)) await stop();
  });

  /** An app with one mutating route behind the token, on an ephemeral port. */
  async function serve(corsOrigins: string[] | undefined): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'cors-test-'));
    const store = new SqliteStore({ path: join(dir, 'cors.db') });
    const router = express.Router();
    router.post('/mutate', requireBearer('cors-test-token-0123456789'), (_req, res) => {
      res.json({ done: true });
    });
    const deps: AppDeps = {
      metrics: createMetricsEndpoint(new Registry(), [], () => undefined),
      health: new Health(0),
      portfolio: new Portfolio(),
      store,
      restarter: disabledRestarter,
      logger: pino({ level: 'silent' }),
      baseCurrency: 'USD',
      sync: { running: false },
      corsOrigins,
      routers: [router],
    };
    const server = await new Promise<Server>((resolve) => {
      const s = createApp(deps).listen(0, '127.0.0.1', () => resolve(s));
    });
    running.push(async () => {
      await new Promise((resolve) => server.close(resolve));
      store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  const preflight = (base: string, origin: string) =>
    fetch(`${base}/mutate`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });

  it('sends no CORS headers at all by default', async () => {
    const base = await serve(undefined);
    const answer = await preflight(base, 'https://ui.example');
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    const get = await fetch(`${base}/healthz`, { headers: { origin: 'https://ui.example' } });
    expect(get.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers the preflight of a listed origin, and still wants the token on the call that follows', async () => {
    const base = await serve(['https://ui.example', 'http://localhost:3000']);
    const answer = await preflight(base, 'https://ui.example');
    expect(answer.status).toBe(204);
    expect(answer.headers.get('access-control-allow-origin')).toBe('https://ui.example');
    expect(answer.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    expect(answer.headers.get('access-control-allow-methods')).toMatch(/POST/);

    const anonymous = await fetch(`${base}/mutate`, {
      method: 'POST',
      headers: { origin: 'https://ui.example' },
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('access-control-allow-origin')).toBe('https://ui.example');
    const authorised = await fetch(`${base}/mutate`, {
      method: 'POST',
      headers: { origin: 'https://ui.example', authorization: 'Bearer cors-test-token-0123456789' },
    });
    expect(authorised.status).toBe(200);
  });

  it('gives an origin that is not listed no CORS headers, so the browser blocks it', async () => {
    const base = await serve(['https://ui.example']);
    const answer = await preflight(base, 'https://evil.example');
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    const any = await serve(['*']);
    expect((await preflight(any, 'https://evil.example')).headers.get('access-control-allow-origin')).toBe(
      '*',
    );
  });
});
