// Fault injection against the real client over real sockets: every way a gateway misbehaves in
// production, and what the exporter must do about it (keep the socket, reconnect, resubscribe,
// backfill) without losing or doubling a fill.
import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { STREAMS } from '../src/domain/types.js';
import type { Exporter } from '../src/exporter.js';
import { parseScenario } from '../src/sim/scenario.js';
import { GatewaySimulator } from '../src/sim/server.js';
import { fillStream, simLedger, storedLedger } from './support/ledger-check.js';
import {
  BASIC,
  scrape,
  startSim,
  startTestExporter,
  testConfig,
  useRig,
  valueOf,
  waitSynced,
} from './support/exporter.js';

const FAST = {
  IBKR_KEEPALIVE_SECONDS: '1',
  IBKR_HANDSHAKE_TIMEOUT: '1',
  IBKR_RECONNECT_MIN_DELAY: '0.1',
  IBKR_RECONNECT_MAX_DELAY: '0.5',
};

const waitState = (exporter: Exporter, state: string, timeout = 10_000) =>
  vi.waitFor(() => expect(exporter.health.state).toBe(state), { timeout, interval: 10 });

describe('fault injection', () => {
  const rig = useRig();
  const { track } = rig;

  async function start(db: string, sim?: GatewaySimulator) {
    const gateway = sim ?? track(await startSim('basic'));
    const exporter = track(await startTestExporter(testConfig(gateway.port, `${rig.dir}/${db}`, FAST)));
    return { sim: gateway, exporter };
  }

  it('recovers from a hard drop in the middle of the backfill with every fill stored once', async () => {
    const sim = track(await startSim('basic'));
    let dropped = false;
    sim.on('request', (r) => {
      // The gateway dies right as the first backfill is asked for: the answer never completes.
      if (r.name === 'reqExecutions' && !dropped) {
        dropped = true;
        sim.dropConnections();
      }
    });
    const { exporter } = await start('drop-backfill.db', sim);
    await waitSynced(exporter, BASIC);
    await waitState(exporter, 'live');
    expect(dropped).toBe(true);
    expect(exporter.health.connects).toBe(2);
    expect(sim.requests.filter((r) => r.name === 'reqExecutions').length).toBe(2);
    expect(storedLedger(`${rig.dir}/drop-backfill.db`)).toEqual(simLedger(sim));
  });

  it('declares a silent gateway dead after two unanswered keepalives and comes back live', async () => {
    const { sim, exporter } = await start('silent.db');
    await waitState(exporter, 'live');
    await vi.waitFor(() => expect(exporter.health.lastHeartbeatAt).toBeDefined(), { timeout: 5000 });
    const silentAt = Date.now();
    sim.setSilent(true);
    await vi.waitFor(() => expect(exporter.health.heartbeatTimeouts).toBe(1), { timeout: 10_000 });
    const detectedMs = Date.now() - silentAt;
    expect(exporter.health.gatewayUp).toBe(false);
    // Reconnect attempts meet the same silence: TCP is accepted, the handshake never finishes.
    await vi.waitFor(() => expect(exporter.health.handshakeTimeouts).toBeGreaterThanOrEqual(1), {
      timeout: 10_000,
    });
    sim.setSilent(false);
    await waitState(exporter, 'live');
    const m = await scrape(exporter);
    expect(valueOf(m, 'ibkr_gateway_heartbeat_timeouts_total')).toBe(1);
    expect(valueOf(m, 'ibkr_gateway_handshake_timeouts_total')).toBeGreaterThanOrEqual(1);
    expect(valueOf(m, 'ibkr_gateway_reconnect_attempts_total')).toBeGreaterThanOrEqual(2);
    expect(valueOf(m, 'ibkr_sync_state', { state: 'live' })).toBe(1);
    expect(valueOf(m, 'ibkr_gateway_heartbeat_rtt_seconds')).toBeGreaterThanOrEqual(0);
    console.info(`silent gateway detected after ${detectedMs} ms (keepalive 1 s)`);
  });

  it('keeps the socket through a 1100 → 1102 blip and backfills executions', async () => {
    const { sim, exporter } = await start('blip.db');
    await waitState(exporter, 'live');
    sim.sendError(1100, 'Connectivity between IB and Trader Workstation has been lost.');
    await waitState(exporter, 'degraded');
    let m = await scrape(exporter);
    expect(valueOf(m, 'ibkr_gateway_server_connected')).toBe(0);
    expect(valueOf(m, 'ibkr_gateway_up')).toBe(1);
    expect(valueOf(m, 'ibkr_sync_state', { state: 'degraded' })).toBe(1);
    const restoredAt = Date.now();
    sim.sendError(
      1102,
      'Connectivity between IB and Trader Workstation has been restored - data maintained.',
    );
    await sim.waitForRequest('reqExecutions', (r) => r.at >= restoredAt);
    await waitState(exporter, 'live');
    m = await scrape(exporter);
    expect(valueOf(m, 'ibkr_gateway_server_connected')).toBe(1);
    expect(exporter.health.connects).toBe(1);
    expect(sim.requests.filter((r) => r.name === 'startApi')).toHaveLength(1);
  });

  it('after each of two 1101s cancels every subscription before re-requesting it, and every stream updates', async () => {
    const { sim, exporter } = await start('resubscribe.db');
    await waitState(exporter, 'live');
    // Paced subscriptions may still be on their way after "live"; let the first round finish.
    await vi.waitFor(() => expect(sim.requests.filter((r) => r.name === 'reqPnLSingle')).toHaveLength(3));
    await sim.waitForRequest('reqAccountSummary');
    for (let outage = 1; outage <= 2; outage++) {
      const before = sim.requests.filter((r) => r.name !== 'reqCurrentTime');
      const live = (name: string) => before.filter((r) => r.name === name).at(-1)?.reqId;
      const open = {
        summary: live('reqAccountSummary'),
        pnl: live('reqPnL'),
        pnlSingle: before
          .filter((r) => r.name === 'reqPnLSingle')
          .slice(-3)
          .map((r) => r.reqId),
      };
      sim.sendError(1100, 'Connectivity between IB and Trader Workstation has been lost.');
      await waitState(exporter, 'degraded');
      const restoredAt = Date.now();
      sim.sendError(1101, 'Connectivity between IB and Trader Workstation has been restored - data lost.');
      const after = () => sim.requests.filter((r) => r.at >= restoredAt && r.name !== 'reqCurrentTime');
      const named = (name: string) => after().filter((r) => r.name === name);
      await vi.waitFor(
        () => {
          expect(named('reqPositions')).toHaveLength(1);
          expect(named('reqExecutions')).toHaveLength(1);
          expect(named('reqPnL')).toHaveLength(1);
          expect(named('reqAccountSummary')).toHaveLength(1);
          expect(
            named('reqPnLSingle')
              .map((r) => r.conId)
              .sort(),
          ).toEqual([265598, 712345678, 76792991]);
        },
        { timeout: 5000 },
      );
      // The subscriptions of before the outage, each cancelled before anything is re-requested.
      expect(named('cancelAccountSummary').map((r) => r.reqId)).toEqual([open.summary]);
      expect(named('cancelPnL').map((r) => r.reqId)).toEqual([open.pnl]);
      expect(
        named('cancelPnLSingle')
          .map((r) => r.reqId)
          .sort(),
      ).toEqual([...open.pnlSingle].sort());
      const order: string[] = after().map((r) => r.name);
      const lastCancel = Math.max(
        ...['cancelAccountSummary', 'cancelPnL', 'cancelPnLSingle'].map((n) => order.lastIndexOf(n)),
      );
      const firstRequest = Math.min(
        ...['reqAccountSummary', 'reqPnL', 'reqPnLSingle'].map((n) => order.indexOf(n)),
      );
      expect(lastCancel).toBeLessThan(firstRequest);
      await waitState(exporter, 'live');
      // Every stream delivers again, the account summary included (a third open one would get 322).
      for (const stream of STREAMS) {
        await vi.waitFor(
          () => expect(exporter.health.streams.get(stream)).toBeGreaterThanOrEqual(restoredAt),
          {
            timeout: 5000,
          },
        );
      }
    }
    expect(exporter.health.errors.get(322)).toBeUndefined();
    expect(sim.requests.filter((r) => r.name === 'startApi')).toHaveLength(1);
  });

  it('waits and retries the same client id after 326', async () => {
    const { sim, exporter } = await start('client-id.db');
    await waitState(exporter, 'live');
    const clients: Array<{ event: string; clientId: number | undefined }> = [];
    sim.on('client', (e) => clients.push(e));
    sim.holdClientId(1, 2);
    sim.dropConnections();
    await vi.waitFor(() => expect(exporter.health.connects).toBe(2), { timeout: 10_000 });
    await waitState(exporter, 'live');
    expect(clients.filter((c) => c.event === 'rejected').map((c) => c.clientId)).toEqual([
      undefined,
      undefined,
    ]);
    expect(sim.requests.filter((r) => r.name === 'startApi').map((r) => r.clientId)).toEqual([1, 1, 1, 1]);
    expect(valueOf(await scrape(exporter), 'ibkr_gateway_errors_total', { code: '326' })).toBe(2);
  });

  it('stores fills made while the gateway restarts exactly once after the reconnect', async () => {
    const db = `${rig.dir}/restart-fills.db`;
    const { sim, exporter } = await start('restart-fills.db');
    await waitState(exporter, 'live');
    const fills = fillStream(sim, '0000f111.6554f3d4', 15);
    await vi.waitFor(() => expect(fills.count).toBeGreaterThanOrEqual(10), { timeout: 5000 });
    sim.restart(400);
    await vi.waitFor(() => expect(exporter.health.gatewayUp).toBe(false), { timeout: 5000 });
    await vi.waitFor(() => expect(exporter.health.connects).toBe(2), { timeout: 10_000 });
    await vi.waitFor(() => expect(fills.count).toBeGreaterThanOrEqual(60), { timeout: 5000 });
    fills.stop();
    await vi.waitFor(() => expect(storedLedger(db)).toEqual(simLedger(sim)), { timeout: 10_000 });
    expect(storedLedger(db).execIds).toHaveLength(3 + fills.count);
  });

  it('drops a fill whose write fails, re-syncs, and stores it exactly once when the disk recovers', async () => {
    const db = `${rig.dir}/store-error.db`;
    const { sim, exporter } = await start('store-error.db');
    await waitState(exporter, 'live');
    // A trigger installed from another connection makes every new fill fail, as a full disk would.
    const other = new Database(db);
    other.exec(
      "CREATE TRIGGER fail_fills BEFORE INSERT ON executions BEGIN SELECT RAISE(ABORT, 'disk full (test)'); END",
    );
    const fills = fillStream(sim, '0000e222.6554f3d4', 20);
    await vi.waitFor(() => expect(exporter.health.storeErrors).toBeGreaterThanOrEqual(1), { timeout: 5000 });
    fills.stop();
    // Nothing of a failed group reached memory, and the connection was dropped to re-sync.
    expect(exporter.portfolio.executionCounts.get('DU0000001')).toBe(3);
    await vi.waitFor(() => expect(exporter.health.connects).toBeGreaterThanOrEqual(2), { timeout: 5000 });
    other.exec('DROP TRIGGER fail_fills');
    other.close();
    await vi.waitFor(() => expect(storedLedger(db)).toEqual(simLedger(sim)), { timeout: 10_000 });
    await vi.waitFor(
      () => expect(exporter.portfolio.executionCounts.get('DU0000001')).toBe(3 + fills.count),
      { timeout: 5000 },
    );
    const m = await scrape(exporter);
    expect(valueOf(m, 'ibkr_store_errors_total')).toBeGreaterThanOrEqual(1);
    expect(valueOf(m, 'ibkr_executions_total', { account: 'DU0000001' })).toBe(3 + fills.count);
  });

  it('is not ready while the ledger cannot be written, re-syncs behind the backoff, and is ready once a write succeeds', async () => {
    const db = `${rig.dir}/unwritable.db`;
    const { sim, exporter } = await start('unwritable.db');
    await waitState(exporter, 'live');
    // Every write to every table fails, as on a volume gone read-only or full. (A chmod under the
    // running exporter would not do: SQLite keeps the file open, and the mode is checked at open.)
    const other = new Database(db);
    const tables = other
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      .pluck()
      .all() as string[];
    const triggers = tables.flatMap((table) =>
      ['INSERT', 'UPDATE', 'DELETE'].map((op) => {
        const name = `fail_${op}_${table}`;
        other.exec(
          `CREATE TRIGGER ${name} BEFORE ${op} ON ${table} BEGIN SELECT RAISE(ABORT, 'disk I/O error (test)'); END`,
        );
        return name;
      }),
    );
    const connectsBefore = exporter.health.connects;
    const fills = fillStream(sim, '0000e333.6554f3d4', 50);
    await vi.waitFor(() => expect(exporter.health.storeErrors).toBeGreaterThanOrEqual(1), { timeout: 5000 });
    fills.stop();
    const ready = await fetch(`${exporter.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({
      status: 'not ready',
      error: 'database unreachable: disk I/O error (test)',
    });
    const health = (await (await fetch(`${exporter.url}/sync/health`)).json()) as { store: unknown };
    expect(health.store).toMatchObject({
      backend: 'sqlite',
      database: db,
      up: false,
      error: 'disk I/O error (test)',
    });
    expect(valueOf(await scrape(exporter), 'ibkr_store_writable')).toBe(0);

    // Each reconnect probes the ledger with a write before asking the gateway for anything; the
    // probe fails, and the next attempt waits for the backoff.
    await vi.waitFor(() => expect(exporter.health.connects).toBeGreaterThanOrEqual(connectsBefore + 3), {
      timeout: 10_000,
    });
    expect((await fetch(`${exporter.url}/readyz`)).status).toBe(503);
    const starts = sim.requests.filter((r) => r.name === 'startApi').map((r) => r.at);
    const gaps = starts.slice(1).map((at, i) => at - starts[i]!);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(100); // IBKR_RECONNECT_MIN_DELAY

    for (const name of triggers) other.exec(`DROP TRIGGER ${name}`);
    other.close();
    await vi.waitFor(async () => expect((await fetch(`${exporter.url}/readyz`)).status).toBe(200), {
      timeout: 10_000,
    });
    expect(exporter.health.storeError).toBeUndefined();
    expect(valueOf(await scrape(exporter), 'ibkr_store_writable')).toBe(1);
    await vi.waitFor(() => expect(storedLedger(db)).toEqual(simLedger(sim)), { timeout: 10_000 });
  });

  it('never sends more than 40 messages in any second while subscribing 500 positions', async () => {
    const scenario = parseScenario({
      serverVersion: 176,
      accounts: [{ id: 'DU0000500', baseCurrency: 'USD', pnl: { daily: 1, unrealized: 2, realized: 0 } }],
      contracts: Array.from({ length: 500 }, (_, i) => ({
        conId: 100_000 + i,
        symbol: `S${i}`,
        secType: 'STK',
        exchange: 'SMART',
        currency: 'USD',
      })),
      positions: Array.from({ length: 500 }, (_, i) => ({
        account: 'DU0000500',
        conId: 100_000 + i,
        quantity: 10 + i,
        avgCost: 20,
        pnl: { daily: 1, unrealized: 2, realized: null, marketValue: 300 },
      })),
      executions: [],
    });
    const sim = track(await GatewaySimulator.start({ scenario }));
    const { exporter } = await start('pacing.db', sim);
    await vi.waitFor(
      () => expect([...exporter.portfolio.positions.values()].filter((v) => v.pnl).length).toBe(500),
      { timeout: 30_000, interval: 100 },
    );
    await waitState(exporter, 'live');
    const times = sim.requests.filter((r) => r.name !== 'startApi').map((r) => r.at);
    let worst = 0;
    for (let i = 0, j = 0; j < times.length; j++) {
      while ((times[j] ?? 0) - (times[i] ?? 0) > 1000) i++;
      worst = Math.max(worst, j - i + 1);
    }
    expect(times.length).toBeGreaterThanOrEqual(503);
    expect(worst).toBeLessThanOrEqual(40);
    console.info(`500 positions: ${times.length} requests, at most ${worst} in any 1 s window`);
  }, 60_000);
});
