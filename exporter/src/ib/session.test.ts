// IbSession on its own: the real @stoqey/ib client against the simulator over TCP, with a
// recording SessionEvents instead of the sync service. What it turns IB's callbacks into, which
// requests it sends once (and only on a ready connection), and what stop() cancels.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type {
  AccountPnl,
  AccountValue,
  CommissionRecord,
  ExecutionRecord,
  PositionPnl,
  PositionRecord,
} from '../domain/types.js';
import { loadScenario } from '../sim/scenario.js';
import { GatewaySimulator } from '../sim/server.js';
import { IbSession } from './session.js';
import type { SessionEvents } from './session.js';

const BASIC = new URL('../sim/scenarios/basic.json', import.meta.url).pathname;
const ACCOUNT = 'DU0000001';
const AAPL = 265598;

class Recorder implements SessionEvents {
  readonly readies: string[][] = [];
  readonly closes: Array<{ reason: string; expected: boolean }> = [];
  readonly positions: PositionRecord[] = [];
  positionEnds = 0;
  readonly executions: ExecutionRecord[] = [];
  readonly executionEnds: number[] = [];
  readonly commissions: CommissionRecord[] = [];
  readonly pnlUpdates: Array<{ account: string; conId: number; pnl: Omit<PositionPnl, 'updatedAt'> }> = [];
  readonly accountPnls: Array<Omit<AccountPnl, 'updatedAt'>> = [];
  readonly accountValues: Array<Omit<AccountValue, 'updatedAt'>> = [];
  readonly rejections: string[] = [];
  messages = 0;
  connecting(): void {}
  ready(accounts: string[]): void {
    this.readies.push(accounts);
  }
  closed(reason: string, expected: boolean): void {
    this.closes.push({ reason, expected });
  }
  heartbeat(): void {}
  timedOut(): void {}
  notice(): void {}
  message(): void {
    this.messages += 1;
  }
  positionEnd(): void {
    this.positionEnds += 1;
  }
  executionsEnd(reqId: number): void {
    this.executionEnds.push(reqId);
  }
  position(position: PositionRecord): void {
    this.positions.push(position);
  }
  execution(execution: ExecutionRecord): void {
    this.executions.push(execution);
  }
  commission(report: CommissionRecord): void {
    this.commissions.push(report);
  }
  positionPnl(account: string, conId: number, pnl: Omit<PositionPnl, 'updatedAt'>): void {
    this.pnlUpdates.push({ account, conId, pnl });
  }
  accountPnl(pnl: Omit<AccountPnl, 'updatedAt'>): void {
    this.accountPnls.push(pnl);
  }
  accountValue(value: Omit<AccountValue, 'updatedAt'>): void {
    this.accountValues.push(value);
  }
  rejected(reason: string): void {
    this.rejections.push(reason);
  }
}

const sims: GatewaySimulator[] = [];
const sessions: IbSession[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.stop();
  for (const s of sims.splice(0)) await s.stop();
});

/** A simulator on the basic scenario and a session to it; `connect` waits for its handshake. */
async function setup(connect = true) {
  const sim = await GatewaySimulator.start({ scenario: await loadScenario(BASIC) });
  sims.push(sim);
  const events = new Recorder();
  const session = new IbSession(
    {
      host: '127.0.0.1',
      port: sim.port,
      clientId: 1,
      reconnectMinMs: 50,
      reconnectMaxMs: 200,
      keepaliveMs: 60_000,
      handshakeTimeoutMs: 5000,
      timeZone: 'UTC',
    },
    events,
  );
  sessions.push(session);
  if (connect) {
    session.start();
    await vi.waitFor(() => expect(session.ready).toBe(true), { timeout: 5000, interval: 10 });
  }
  return { sim, session, events };
}

const named = (sim: GatewaySimulator, name: string) => sim.requests.filter((r) => r.name === name);

describe('IbSession', () => {
  it('reports the handshake with the managed accounts and every message', async () => {
    const { events } = await setup();
    expect(events.readies).toEqual([[ACCOUNT]]);
    expect(events.messages).toBeGreaterThan(0);
  });

  it('turns positions into records with their contract, then reports the end', async () => {
    const { session, events } = await setup();
    session.requestPositions();
    await vi.waitFor(() => expect(events.positionEnds).toBe(1), { timeout: 5000, interval: 10 });
    expect(events.positions.map((p) => [p.account, p.contract.conId, p.quantity]).sort()).toEqual(
      [
        [ACCOUNT, 265598, 100],
        [ACCOUNT, 712345678, 1],
        [ACCOUNT, 76792991, -20],
      ].sort(),
    );
    expect(events.positions.find((p) => p.contract.conId === AAPL)).toMatchObject({
      avgCost: 150.01,
      contract: { symbol: 'AAPL', secType: 'STK', currency: 'USD' },
    });
    expect(events.rejections).toEqual([]);
  });

  it('backfills executions and commission reports under the reqId it returns', async () => {
    const { sim, session, events } = await setup();
    const reqId = session.requestExecutions(undefined);
    expect(reqId).toBeDefined();
    await vi.waitFor(() => expect(events.executionEnds).toEqual([reqId]), { timeout: 5000, interval: 10 });
    // Both versions of the corrected fill come, as from IB; the ledger keeps the higher revision.
    expect(events.executions.map((e) => e.execId).sort()).toEqual(
      [
        '0000e0d5.6554f3a1.01.01',
        '0000e0d5.6554f3b2.01.01',
        '0000e0d5.6554f3b2.01.02',
        '0000e0d5.6554f3c3.01.01',
      ].sort(),
    );
    const correction = events.executions.find((e) => e.execId === '0000e0d5.6554f3b2.01.02');
    expect(correction).toMatchObject({ revision: 2, side: 'sell', shares: 20, price: 250 });
    // The option's closing fill: IB's realized PnL as exact decimal text; the opening ones have none.
    const option = events.commissions.find((c) => c.baseExecId === '0000e0d5.6554f3c3.01');
    expect(option).toMatchObject({ commission: '0.65', realizedPnl: '79.35', currency: 'USD' });
    expect(
      events.commissions.find((c) => c.baseExecId === '0000e0d5.6554f3a1.01')?.realizedPnl,
    ).toBeUndefined();
    expect(named(sim, 'reqExecutions').map((r) => r.reqId)).toEqual([reqId]);
  });

  it('subscribes a position’s PnL once, maps its updates to the position and cancels it', async () => {
    const { sim, session, events } = await setup();
    session.subscribePositionPnl(ACCOUNT, AAPL);
    session.subscribePositionPnl(ACCOUNT, AAPL);
    await vi.waitFor(() => expect(events.pnlUpdates.length).toBeGreaterThan(0), {
      timeout: 5000,
      interval: 10,
    });
    expect(events.pnlUpdates[0]).toEqual({
      account: ACCOUNT,
      conId: AAPL,
      pnl: { dailyPnl: -101, unrealizedPnl: 499, realizedPnl: undefined, marketValue: 15500 },
    });
    const subscribed = named(sim, 'reqPnLSingle');
    expect(subscribed.map((r) => r.conId)).toEqual([AAPL]);
    session.cancelPositionPnl(ACCOUNT, AAPL);
    const cancelled = await sim.waitForRequest('cancelPnLSingle');
    expect(cancelled.reqId).toBe(subscribed[0]!.reqId);
  });

  it('reports the account’s PnL and its summary values, each requested once', async () => {
    const { sim, session, events } = await setup();
    session.requestAccountPnl(ACCOUNT);
    session.requestAccountPnl(ACCOUNT);
    session.requestAccountSummary();
    session.requestAccountSummary();
    await vi.waitFor(
      () => {
        expect(events.accountPnls.length).toBeGreaterThan(0);
        expect(events.accountValues.some((v) => v.tag === 'NetLiquidation')).toBe(true);
      },
      { timeout: 5000, interval: 10 },
    );
    expect(events.accountPnls[0]).toEqual({
      account: ACCOUNT,
      dailyPnl: 250.35,
      unrealizedPnl: 788,
      realizedPnl: 79.35,
    });
    expect(events.accountValues.find((v) => v.tag === 'NetLiquidation')).toEqual({
      account: ACCOUNT,
      tag: 'NetLiquidation',
      currency: 'USD',
      value: 100000,
    });
    expect(named(sim, 'reqPnL')).toHaveLength(1);
    expect(named(sim, 'reqAccountSummary')).toHaveLength(1);
  });

  it('sends nothing before the handshake', async () => {
    const { sim, session } = await setup(false);
    expect(session.ready).toBe(false);
    expect(session.requestExecutions(undefined)).toBeUndefined();
    session.requestPositions();
    session.subscribePositionPnl(ACCOUNT, AAPL);
    session.start();
    await vi.waitFor(() => expect(session.ready).toBe(true), { timeout: 5000, interval: 10 });
    // The handshake's own requests only: what was asked before it was dropped, not queued.
    for (const name of ['reqExecutions', 'reqPositions', 'reqPnLSingle'])
      expect(named(sim, name)).toEqual([]);
  });

  it('cancels a subscription before subscribing again after the gateway lost data (1101)', async () => {
    const { sim, session } = await setup();
    session.subscribePositionPnl(ACCOUNT, AAPL);
    await sim.waitForRequest('reqPnLSingle');
    session.cancelSubscriptions();
    session.subscribePositionPnl(ACCOUNT, AAPL);
    await vi.waitFor(() => expect(named(sim, 'reqPnLSingle')).toHaveLength(2), {
      timeout: 5000,
      interval: 10,
    });
    // IB may still hold the old subscription after 1101, so it is cancelled first.
    expect(named(sim, 'cancelPnLSingle')).toHaveLength(1);
  });

  it('cancels every subscription on stop and reports an expected close', async () => {
    const { sim, session, events } = await setup();
    session.requestPositions();
    session.requestAccountPnl(ACCOUNT);
    session.requestAccountSummary();
    session.subscribePositionPnl(ACCOUNT, AAPL);
    await sim.waitForRequest('reqPnLSingle');
    await session.stop();
    for (const name of ['cancelPnLSingle', 'cancelPnL', 'cancelAccountSummary', 'cancelPositions']) {
      expect({ name, count: named(sim, name).length }).toEqual({ name, count: 1 });
    }
    expect(events.closes.at(-1)?.expected).toBe(true);
  });
});
