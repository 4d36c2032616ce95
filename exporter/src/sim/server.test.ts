// The real @stoqey/ib client against the simulator over a real socket, with basic.json.
// Every test fails on a decoder error (505 "Decoding error"/"Underrun"): that is what proves
// the field layouts.
import { fileURLToPath } from 'node:url';
import { EventName } from '@stoqey/ib';
import type { CommissionReport, Contract, Execution } from '@stoqey/ib';
import { describe, expect, it, vi } from 'vitest';
import { loadScenario } from './scenario.js';
import type { Scenario } from './scenario.js';
import type { ClientEvent, GatewaySimulator } from './server.js';
import { collect, nextEvent, quietFor, useHarness } from '../../test/support/ib-client.js';
import type { TestClient } from '../../test/support/ib-client.js';

const basicPath = fileURLToPath(new URL('./scenarios/basic.json', import.meta.url));
const ACCOUNT = 'DU0000001';
const AAPL = 265598;
const TSLA = 76792991;
const AAPL_CALL = 712345678;

const harness = useHarness();

async function startSim(scenario?: Scenario, now?: () => number): Promise<GatewaySimulator> {
  return harness.startSim(scenario ?? (await loadScenario(basicPath)), now ? { now } : {});
}

const connect = harness.connect;
const openAndCollect = harness.open;

type ExecEvent = [number, Contract, Execution];

/** Sends reqExecutions and gathers everything up to its execDetailsEnd. */
async function executions(client: TestClient, reqId: number, filter: object = {}) {
  const details = collect<ExecEvent>(client.api, EventName.execDetails);
  const reports = collect<[CommissionReport]>(client.api, EventName.commissionReport);
  const order: string[] = [];
  client.api.on(EventName.execDetails, (_r: number, _c: Contract, e: Execution) =>
    order.push(`exec ${e.execId}`),
  );
  client.api.on(EventName.commissionReport, (r: CommissionReport) => order.push(`report ${r.execId}`));
  const end = nextEvent<[number]>(client.api, EventName.execDetailsEnd, (id) => id === reqId);
  client.api.reqExecutions(reqId, filter);
  await end;
  return { details, reports: reports.map(([r]) => r), order };
}

describe('GatewaySimulator with the real @stoqey/ib client (basic.json)', () => {
  it('completes the handshake with managedAccounts, nextValidId and the farm notices as info', async () => {
    const sim = await startSim();
    const client = openAndCollect(sim);
    const accounts = nextEvent<[string]>(client.api, EventName.managedAccounts);
    const server = nextEvent<[number, string]>(client.api, EventName.server);
    const lastNotice = nextEvent<[string, number]>(client.api, EventName.info, (_m, code) => code === 2158);
    client.api.connect(7);
    expect((await accounts)[0]).toBe(ACCOUNT);
    const [version, connTime] = await server;
    expect(version).toBe(176);
    expect(connTime).toMatch(/^\d{8} \d{2}:\d{2}:\d{2} UTC$/);
    await lastNotice;
    expect(client.infos.map((i) => i.code)).toEqual([2104, 2106, 2158]);
    expect(client.infos[0]?.message).toBe('Market data farm connection is OK:usfarm');
    expect(client.errors).toEqual([]);
    const startApi = await sim.waitForRequest('startApi');
    expect(startApi.clientId).toBe(7);
    expect(sim.connectedClients()).toBe(1);
  });

  it('reports every position with its contract, quantity and avgCost, then positionEnd', async () => {
    const sim = await startSim();
    const client = await connect(sim);
    const positions = collect<[string, Contract, number, number]>(client.api, EventName.position);
    const end = nextEvent(client.api, EventName.positionEnd);
    client.api.reqPositions();
    await end;
    expect(positions.map(([acct, c, pos, avg]) => [acct, c.conId, pos, avg])).toEqual([
      [ACCOUNT, AAPL, 100, 150.01],
      [ACCOUNT, TSLA, -20, 249.95],
      [ACCOUNT, AAPL_CALL, 1, 520],
    ]);
    const stock = positions[0]?.[1];
    expect(stock).toMatchObject({
      symbol: 'AAPL',
      secType: 'STK',
      currency: 'USD',
      exchange: 'SMART',
      multiplier: 0,
    });
    expect(stock?.right).toBeUndefined();
    const call = positions[2]?.[1];
    expect(call).toMatchObject({
      secType: 'OPT',
      strike: 200,
      right: 'C',
      multiplier: 100,
      lastTradeDateOrContractMonth: '20261218',
      localSymbol: 'AAPL  261218C00200000',
      tradingClass: 'AAPL',
    });
    expect(client.errors).toEqual([]);
  });

  it('returns executions with their commission reports, unset realized PnL as undefined', async () => {
    const sim = await startSim();
    const client = await connect(sim);
    const { details, reports, order } = await executions(client, 5);
    expect(details.map(([reqId, c, e]) => [reqId, c.conId, e.execId, e.side, e.shares, e.price])).toEqual([
      [5, AAPL, '0000e0d5.6554f3a1.01.01', 'BOT', 50, 160],
      [5, TSLA, '0000e0d5.6554f3b2.01.01', 'SLD', 20, 250.5],
      [5, TSLA, '0000e0d5.6554f3b2.01.02', 'SLD', 20, 250],
      [5, AAPL_CALL, '0000e0d5.6554f3c3.01.01', 'SLD', 1, 6],
    ]);
    const first = details[0]?.[2];
    expect(first).toMatchObject({
      orderId: 11,
      permId: 1000011,
      clientId: 1,
      acctNumber: ACCOUNT,
      exchange: 'ISLAND',
      time: '20261125 14:35:00 UTC',
      cumQty: 50,
      avgPrice: 160,
    });
    expect(details[0]?.[1].exchange).toBe('ISLAND');
    expect(reports).toHaveLength(4);
    expect(reports[0]).toMatchObject({ execId: '0000e0d5.6554f3a1.01.01', commission: 1, currency: 'USD' });
    expect(reports[0]?.realizedPNL).toBeUndefined();
    expect(reports[0]?.yield).toBeUndefined();
    const closing = reports.find((r) => r.execId === '0000e0d5.6554f3c3.01.01');
    expect(closing).toMatchObject({ commission: 0.65, realizedPNL: 79.35 });
    // commissionFirst: the report precedes its execDetails.
    expect(order.slice(-2)).toEqual(['report 0000e0d5.6554f3c3.01.01', 'exec 0000e0d5.6554f3c3.01.01']);
    expect(client.errors).toEqual([]);
  });

  it('filters executions by time (UTC and named zones), clientId, account and side', async () => {
    const sim = await startSim();
    const client = await connect(sim);
    const ids = async (reqId: number, filter: object) =>
      (await executions(client, reqId, filter)).details.map(([, , e]) => e.execId);
    expect(await ids(1, { time: '20261125-15:00:00' })).toHaveLength(3);
    expect(await ids(2, { time: '20261125 10:00:00 US/Eastern' })).toHaveLength(3);
    expect(await ids(3, { time: '20261125 16:00:00 UTC' })).toEqual(['0000e0d5.6554f3c3.01.01']);
    expect(await ids(4, { clientId: '2' })).toEqual(['0000e0d5.6554f3c3.01.01']);
    expect(await ids(5, { acctCode: 'DU9999999' })).toEqual([]);
    expect(await ids(6, { side: 'BUY' })).toEqual(['0000e0d5.6554f3a1.01.01']);
    expect(await ids(7, { symbol: 'TSLA', secType: 'STK' })).toHaveLength(2);
    const req = await sim.waitForRequest('reqExecutions', (r) => r.reqId === 4);
    expect(req.filter).toMatchObject({ clientId: 2, acctCode: '', time: '' });
  });

  it('answers reqPnL and reqPnLSingle with unset values as undefined', async () => {
    const sim = await startSim();
    const client = await connect(sim);
    const pnl = nextEvent<[number, number, number, number]>(client.api, EventName.pnl);
    client.api.reqPnL(10, ACCOUNT, null);
    expect(await pnl).toEqual([10, 250.35, 788, 79.35]);
    const single = (reqId: number, conId: number) => {
      const next = nextEvent<unknown[]>(client.api, EventName.pnlSingle, (id) => id === reqId);
      client.api.reqPnLSingle(reqId, ACCOUNT, null, conId);
      return next;
    };
    expect(await single(11, AAPL)).toEqual([11, 100, -101, 499, undefined, 15500]);
    expect(await single(12, AAPL_CALL)).toEqual([12, 1, undefined, 90, 79.35, 610]);
    const req = await sim.waitForRequest('reqPnLSingle', (r) => r.reqId === 12);
    expect(req).toMatchObject({ account: ACCOUNT, conId: AAPL_CALL, modelCode: '' });
    expect(client.errors).toEqual([]);
  });

  it('stays silent for reqPnLSingle of a conId the account does not hold', async () => {
    const sim = await startSim();
    const client = await connect(sim);
    const quiet = quietFor(client.api, EventName.pnlSingle, 400);
    client.api.reqPnLSingle(20, ACCOUNT, null, 999999);
    await sim.waitForRequest('reqPnLSingle', (r) => r.conId === 999999);
    expect(await quiet).toBe(0);
    expect(client.errors).toEqual([]);
  });

  it('stops pnlSingle updates after cancelPnLSingle', async () => {
    const sim = await startSim();
    const client = await connect(sim);
    const first = nextEvent(client.api, EventName.pnlSingle);
    client.api.reqPnLSingle(30, ACCOUNT, null, AAPL);
    await first;
    client.api.cancelPnLSingle(30);
    await sim.waitForRequest('cancelPnLSingle', (r) => r.reqId === 30);
    const quiet = quietFor(client.api, EventName.pnlSingle, 300);
    sim.updatePnl({ account: ACCOUNT, conId: AAPL, daily: 1 });
    expect(await quiet).toBe(0);
  });

  it('answers reqAccountSummary with the requested tags in the base currency', async () => {
    const sim = await startSim();
    const client = await connect(sim);
    const rows = collect<[number, string, string, string, string]>(client.api, EventName.accountSummary);
    const end = nextEvent<[number]>(client.api, EventName.accountSummaryEnd);
    client.api.reqAccountSummary(40, 'All', 'NetLiquidation,TotalCashValue,Leverage-S');
    expect((await end)[0]).toBe(40);
    expect(rows).toEqual([
      [40, ACCOUNT, 'NetLiquidation', '100000.00', 'USD'],
      [40, ACCOUNT, 'TotalCashValue', '88690.00', 'USD'],
    ]);
    expect(client.errors).toEqual([]);
  });

  it('keeps account summaries across 1101 and, as IB, answers a third open one with 322', async () => {
    const sim = await startSim();
    const client = await connect(sim);
    const ended = collect<[number]>(client.api, EventName.accountSummaryEnd);
    client.api.reqAccountSummary(41, 'All', 'NetLiquidation');
    client.api.reqAccountSummary(42, 'All', 'NetLiquidation');
    await vi.waitFor(() => expect(ended).toEqual([[41], [42]]));
    sim.sendError(1101, 'Connectivity between IB and Trader Workstation has been restored - data lost.');
    const refused = nextEvent(client.api, EventName.error, (_e, code) => code === 322);
    client.api.reqAccountSummary(43, 'All', 'NetLiquidation');
    await refused;
    expect(client.errors.filter((e) => e.code === 322).map((e) => e.reqId)).toEqual([43]);
    client.api.cancelAccountSummary(41);
    client.api.reqAccountSummary(44, 'All', 'NetLiquidation');
    await vi.waitFor(() => expect(ended).toEqual([[41], [42], [44]]));
  });

  it('answers reqCurrentTime with epoch seconds from its clock', async () => {
    const sim = await startSim(undefined, () => Date.UTC(2026, 10, 25, 15, 41, 57));
    const client = await connect(sim);
    const time = nextEvent<[number]>(client.api, EventName.currentTime);
    client.api.reqCurrentTime();
    expect((await time)[0]).toBe(Date.UTC(2026, 10, 25, 15, 41, 57) / 1000);
  });

  it('rejects a second client with a client id in use (326) and closes it', async () => {
    const sim = await startSim();
    await connect(sim, 3);
    const second = openAndCollect(sim);
    const rejected = nextEvent<[string, number]>(second.api, EventName.info, (_m, code) => code === 326);
    const closed = nextEvent(second.api, EventName.disconnected);
    second.api.connect(3);
    const [message] = await rejected;
    expect(message).toBe(
      'Unable to connect as the client id is already in use. Retry with a unique client id.',
    );
    await closed;
    expect(sim.connectedClients()).toBe(1);
  });

  it('drops every client on dropConnections', async () => {
    const sim = await startSim();
    const client = await connect(sim);
    const closed = nextEvent(client.api, EventName.disconnected);
    const gone = nextEvent<[ClientEvent]>(sim, 'client', (e) => e.event === 'disconnected');
    sim.dropConnections();
    await closed;
    expect((await gone)[0].clientId).toBe(1);
    expect(sim.connectedClients()).toBe(0);
  });

  it('pushes a live fill to every client and moves the position with average cost', async () => {
    const sim = await startSim();
    const client = await connect(sim);
    const positionsDone = nextEvent(client.api, EventName.positionEnd);
    client.api.reqPositions();
    await positionsDone;
    const firstPnl = nextEvent(client.api, EventName.pnlSingle);
    client.api.reqPnLSingle(50, ACCOUNT, null, AAPL);
    await firstPnl;

    const live = nextEvent<ExecEvent>(client.api, EventName.execDetails);
    const report = nextEvent<[CommissionReport]>(client.api, EventName.commissionReport);
    const position = nextEvent<[string, Contract, number, number]>(client.api, EventName.position);
    const pnl = nextEvent<unknown[]>(client.api, EventName.pnlSingle);
    sim.addExecution({
      execId: '0000e0d5.6554f3d4.01.01',
      account: ACCOUNT,
      conId: AAPL,
      side: 'SLD',
      shares: 100,
      price: 155,
      commission: { commission: 1, currency: 'USD', realizedPnl: 498 },
    });
    const [reqId, , exec] = await live;
    expect(reqId).toBe(-1);
    expect(exec.execId).toBe('0000e0d5.6554f3d4.01.01');
    expect((await report)[0]).toMatchObject({ realizedPNL: 498, commission: 1 });
    const [, contract, qty, avgCost] = await position;
    expect([contract.conId, qty, avgCost]).toEqual([AAPL, 0, 0]);
    const [, pos, , , realized, value] = await pnl;
    expect([pos, realized, value]).toEqual([0, 498, 0]);

    const all = await executions(client, 51);
    expect(all.details.map(([, , e]) => e.execId)).toContain('0000e0d5.6554f3d4.01.01');
    expect(client.errors).toEqual([]);
  });

  it('refuses a live fill for an unknown account or contract', async () => {
    const sim = await startSim();
    const fill = { execId: 'x.01', account: ACCOUNT, conId: AAPL, side: 'BOT' as const, shares: 1, price: 1 };
    expect(() => sim.addExecution({ ...fill, account: 'DU404' })).toThrow('unknown account DU404');
    expect(() => sim.addExecution({ ...fill, conId: 404 })).toThrow('unknown conId 404');
    expect(() => sim.addExecution({ ...fill, shares: -1 })).toThrow(/shares/);
  });

  it('is silent while told to be, records requests meanwhile, then answers again', async () => {
    const sim = await startSim();
    const client = await connect(sim);
    sim.setSilent(true);
    const quiet = quietFor(client.api, EventName.currentTime, 300);
    client.api.reqCurrentTime();
    await sim.waitForRequest('reqCurrentTime');
    expect(await quiet).toBe(0);
    sim.setSilent(false);
    const time = nextEvent(client.api, EventName.currentTime);
    client.api.reqCurrentTime();
    await time;
    expect(sim.requests.filter((r) => r.name === 'reqCurrentTime')).toHaveLength(2);
  });

  it('refuses connections during a restart and accepts them afterwards', async () => {
    const sim = await startSim();
    const client = await connect(sim);
    const closed = nextEvent(client.api, EventName.disconnected);
    const up = nextEvent(sim, 'lifecycle', (state) => state === 'up');
    sim.restart(300);
    await closed;
    const refused = nextEvent<[Error, number]>(client.api, EventName.error, (_e, code) => code === 502);
    const refusedClosed = nextEvent(client.api, EventName.disconnected);
    client.api.connect(1);
    await refused;
    await refusedClosed;
    await up;
    const again = nextEvent(client.api, EventName.nextValidId);
    client.api.connect(1);
    await again;
    expect(sim.connectedClients()).toBe(1);
  });
});
