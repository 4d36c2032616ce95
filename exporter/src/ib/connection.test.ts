// The connection lifecycle both sessions share, against the simulator over a real socket. What the
// sync session adds on top is covered by exporter/test; here the order connection's new keepalive
// and the pacer's guarantees (nothing before the handshake, nothing replayed, drained on stop).
import { EventName } from '@stoqey/ib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadScenario } from '../sim/scenario.js';
import { GatewaySimulator } from '../sim/server.js';
import { IbConnection, STOP_DRAIN_MS } from './connection.js';
import type { ConnectionOptions } from './connection.js';

const BASIC = new URL('../sim/scenarios/basic.json', import.meta.url).pathname;

interface Seen {
  ready: Array<{ accounts: string[]; nextValidId: number }>;
  closed: Array<{ reason: string; expected: boolean }>;
  timedOut: string[];
  connecting: boolean[];
  heartbeats: number;
  problems: string[];
  currentTimes: number;
  delays: number[];
}

const sims: GatewaySimulator[] = [];
const connections: IbConnection[] = [];

afterEach(async () => {
  for (const c of connections.splice(0)) await c.stop('test over');
  for (const s of sims.splice(0)) await s.stop();
});

async function setup(options: Partial<ConnectionOptions> = {}) {
  const sim = await GatewaySimulator.start({ scenario: await loadScenario(BASIC) });
  sims.push(sim);
  const seen: Seen = {
    ready: [],
    closed: [],
    timedOut: [],
    connecting: [],
    heartbeats: 0,
    problems: [],
    currentTimes: 0,
    delays: [],
  };
  const connection = new IbConnection(
    {
      host: '127.0.0.1',
      port: sim.port,
      clientId: 7,
      name: 'test',
      reconnectMinMs: 50,
      reconnectMaxMs: 200,
      handshakeTimeoutMs: 2000,
      ...options,
    },
    {
      listen: (on) => on(EventName.currentTime, () => (seen.currentTimes += 1)),
      connecting: (retry) => seen.connecting.push(retry),
      ready: (accounts, nextValidId) => seen.ready.push({ accounts, nextValidId }),
      heartbeat: () => (seen.heartbeats += 1),
      timedOut: (kind) => seen.timedOut.push(kind),
      closed: (reason, expected) => seen.closed.push({ reason, expected }),
      problem: (message) => seen.problems.push(message),
      retrying: (delayMs) => seen.delays.push(delayMs),
    },
  );
  connections.push(connection);
  return { sim, seen, connection };
}

const named = (sim: GatewaySimulator, name: string) => sim.requests.filter((r) => r.name === name);

describe('IbConnection', () => {
  it('sends only after the handshake, and on stop drains the farewell requests before closing', async () => {
    const { sim, seen, connection } = await setup();
    connection.send((api) => api.reqOpenOrders());
    connection.start();
    connection.send((api) => api.reqOpenOrders());
    await vi.waitFor(() => expect(seen.ready).toHaveLength(1), { timeout: 5000 });
    expect(seen.ready[0]).toEqual({ accounts: ['DU0000001'], nextValidId: 1 });
    expect(seen.connecting).toEqual([false]);

    const started = performance.now();
    await connection.stop('bye', () => {
      // More than the pacer's burst, so most of them wait their turn; one decides not to go.
      for (let i = 0; i < 12; i++) connection.send((api) => api.reqAllOpenOrders());
      connection.send(() => false);
    });
    const stopMs = performance.now() - started;
    expect(named(sim, 'reqOpenOrders')).toEqual([]);
    expect(named(sim, 'reqAllOpenOrders')).toHaveLength(12);
    // Every request written and accounted for: stop did not sit out its deadline.
    expect(stopMs).toBeLessThan(STOP_DRAIN_MS);
    expect(seen.closed).toEqual([{ reason: 'bye', expected: true }]);
    expect(connection.ready).toBe(false);
  });

  it('drops what is still queued when the connection closes instead of replaying it on the next', async () => {
    const { sim, seen, connection } = await setup();
    connection.start();
    await vi.waitFor(() => expect(seen.ready).toHaveLength(1), { timeout: 5000 });
    for (let i = 0; i < 20; i++) connection.send((api) => api.reqAllOpenOrders());
    connection.reconnect('test reconnect');
    expect(seen.closed).toEqual([{ reason: 'test reconnect', expected: false }]);
    await vi.waitFor(() => expect(seen.ready).toHaveLength(2), { timeout: 5000 });
    const secondStart = sim.requests.findLastIndex((r) => r.name === 'startApi');
    connection.send((api) => api.reqOpenOrders());
    await sim.waitForRequest('reqOpenOrders');
    expect(named(sim, 'reqAllOpenOrders').length).toBeLessThan(20);
    expect(sim.requests.slice(secondStart).filter((r) => r.name === 'reqAllOpenOrders')).toEqual([]);
    expect(named(sim, 'startApi').map((r) => r.clientId)).toEqual([7, 7]);
    expect(seen.connecting).toEqual([false, true]);
  });

  it('declares a silent gateway dead after two unanswered keepalives and reconnects', async () => {
    const { sim, seen, connection } = await setup({ keepaliveMs: 200, handshakeTimeoutMs: 400 });
    connection.start();
    await vi.waitFor(() => expect(seen.heartbeats).toBeGreaterThanOrEqual(1), { timeout: 5000 });
    sim.setSilent(true);
    await vi.waitFor(() => expect(seen.timedOut).toContain('heartbeat'), { timeout: 5000 });
    expect(seen.closed[0]).toEqual({
      reason: 'no answer to two keepalive probes (gateway hung)',
      expected: false,
    });
    // The next attempt meets the same silence: TCP is accepted, the handshake never finishes.
    await vi.waitFor(() => expect(seen.timedOut).toContain('handshake'), { timeout: 5000 });
    sim.setSilent(false);
    await vi.waitFor(() => expect(seen.ready.length).toBeGreaterThanOrEqual(2), { timeout: 5000 });
    const answered = seen.heartbeats;
    await vi.waitFor(() => expect(seen.heartbeats).toBeGreaterThan(answered), { timeout: 5000 });
    // The owner's listener saw the probes' answers too.
    expect(seen.currentTimes).toBeGreaterThanOrEqual(seen.heartbeats);
    expect(seen.problems).toEqual([]);
  });

  it('keeps backing off while the owner gives up each stable connection; a lost stable one starts over', async () => {
    // random 1: every delay is the backoff's ceiling, min·2^n up to max.
    const { sim, seen, connection } = await setup({ keepaliveMs: 100, random: () => 1 });
    connection.start();
    for (let round = 1; round <= 4; round++) {
      await vi.waitFor(() => expect(seen.ready).toHaveLength(round), { timeout: 5000 });
      const answered = seen.heartbeats;
      await vi.waitFor(() => expect(seen.heartbeats).toBeGreaterThan(answered), { timeout: 5000 });
      // As the sync session does when the ledger cannot be written.
      connection.reconnect('database write failed');
    }
    expect(seen.delays).toEqual([50, 100, 200, 200]);
    await vi.waitFor(() => expect(seen.ready).toHaveLength(5), { timeout: 5000 });
    const answered = seen.heartbeats;
    await vi.waitFor(() => expect(seen.heartbeats).toBeGreaterThan(answered), { timeout: 5000 });
    sim.dropConnections();
    await vi.waitFor(() => expect(seen.delays).toHaveLength(5), { timeout: 5000 });
    expect(seen.delays[4]).toBe(50);
  });
});
