// demo.json and multi-account.json through the real client, plus timeline events.
import { fileURLToPath } from 'node:url';
import { EventName } from '@stoqey/ib';
import type { CommissionReport, Contract, Execution } from '@stoqey/ib';
import { describe, expect, it } from 'vitest';
import { loadScenario, parseScenario } from './scenario.js';
import type { Scenario } from './scenario.js';
import { collect, nextEvent, useHarness } from '../../test/support/ib-client.js';
import type { TestClient } from '../../test/support/ib-client.js';

const load = (name: string) =>
  loadScenario(fileURLToPath(new URL(`./scenarios/${name}.json`, import.meta.url)));

async function positions(client: TestClient) {
  const seen = collect<[string, Contract, number, number]>(client.api, EventName.position);
  const end = nextEvent(client.api, EventName.positionEnd);
  client.api.reqPositions();
  await end;
  return seen;
}

async function executions(client: TestClient, reqId: number, filter: object = {}) {
  const seen = collect<[number, Contract, Execution]>(client.api, EventName.execDetails);
  const end = nextEvent<[number]>(client.api, EventName.execDetailsEnd, (id) => id === reqId);
  client.api.reqExecutions(reqId, filter);
  await end;
  return seen.filter(([id]) => id === reqId);
}

describe('demo.json', () => {
  const h = useHarness();

  it('holds US and EUR stocks, an option and a future, and a closed position reported at 0', async () => {
    const sim = await h.startSim(await load('demo'));
    const client = await h.connect(sim);
    const all = await positions(client);
    expect(all).toHaveLength(12);
    expect(new Set(all.map(([, c]) => c.currency))).toEqual(new Set(['USD', 'EUR']));
    const bySymbol = new Map(all.map(([, c, pos, avg]) => [`${c.symbol}/${c.secType}`, { c, pos, avg }]));
    expect(bySymbol.get('JPM/STK')?.pos).toBe(0);
    expect(bySymbol.get('TSLA/STK')?.pos).toBeLessThan(0);
    expect(bySymbol.get('ES/FUT')?.c.multiplier).toBe(50);
    expect(bySymbol.get('AAPL/OPT')).toMatchObject({
      pos: 3,
      avg: 520.65,
      c: { multiplier: 100, right: 'C' },
    });
    expect(bySymbol.get('SAP/STK')?.c.exchange).toBe('SMART');
    expect(client.errors).toEqual([]);
  });

  it('returns the day of fills, partial fills sharing one permId', async () => {
    const sim = await h.startSim(await load('demo'));
    const client = await h.connect(sim);
    const fills = await executions(client, 1);
    expect(fills).toHaveLength(9);
    const nvda = fills.filter(([, c]) => c.symbol === 'NVDA').map(([, , e]) => e);
    expect(new Set(nvda.map((e) => e.permId)).size).toBe(1);
    expect(nvda.map((e) => e.cumQty)).toEqual([50, 110, 150]);
  });

  it('moves pnlSingle and pnl on every tick', async () => {
    const scenario = await load('demo');
    const sim = await h.startSim({
      ...scenario,
      pnlTick: { intervalMs: 30, seed: 7, volatility: 0.01 },
      timeline: [],
    });
    const client = await h.connect(sim);
    const values: number[] = [];
    let accountUpdates = 0;
    client.api.on(
      EventName.pnlSingle,
      (_id: number, _pos: number, _d: number, _u?: number, _r?: number, value?: number) => {
        if (value === undefined) return;
        values.push(value);
      },
    );
    client.api.on(EventName.pnl, () => accountUpdates++);
    const third = nextEvent(client.api, EventName.pnlSingle, () => values.length >= 3);
    client.api.reqPnL(1, 'DU1234567', null);
    client.api.reqPnLSingle(2, 'DU1234567', null, 265598);
    await third;
    expect(new Set(values).size).toBeGreaterThan(1);
    expect(accountUpdates).toBeGreaterThanOrEqual(2);
  });

  it('answers the account summary including a text tag', async () => {
    const sim = await h.startSim(await load('demo'));
    const client = await h.connect(sim);
    const rows = collect<[number, string, string, string, string]>(client.api, EventName.accountSummary);
    const end = nextEvent(client.api, EventName.accountSummaryEnd);
    client.api.reqAccountSummary(3, 'All', 'AccountType,NetLiquidation,BuyingPower,GrossPositionValue');
    await end;
    expect(rows.map(([, , tag, , ccy]) => [tag, ccy])).toEqual([
      ['AccountType', ''],
      ['NetLiquidation', 'USD'],
      ['BuyingPower', 'USD'],
      ['GrossPositionValue', 'USD'],
    ]);
    expect(rows[0]?.[3]).toBe('INDIVIDUAL');
  });
});

describe('multi-account.json', () => {
  const h = useHarness();

  it('reports positions, summaries and PnL per account, in each base currency', async () => {
    const sim = await h.startSim(await load('multi-account'));
    const client = await h.connect(sim);
    const accounts = nextEvent<[string]>(client.api, EventName.managedAccounts);
    client.api.reqManagedAccts();
    expect((await accounts)[0]).toBe('DU1111111,DU2222222');
    const all = await positions(client);
    expect(all.map(([acct, c, pos]) => [acct, c.symbol, pos])).toEqual([
      ['DU1111111', 'MSFT', 10],
      ['DU2222222', 'SAP', 30],
    ]);
    const rows = collect<[number, string, string, string, string]>(client.api, EventName.accountSummary);
    const end = nextEvent(client.api, EventName.accountSummaryEnd);
    client.api.reqAccountSummary(4, 'All', 'NetLiquidation');
    await end;
    expect(rows.map(([, acct, , value, ccy]) => [acct, value, ccy])).toEqual([
      ['DU1111111', '50000.00', 'USD'],
      ['DU2222222', '30000.00', 'EUR'],
    ]);
    const pnl = nextEvent<unknown[]>(client.api, EventName.pnl);
    client.api.reqPnL(5, 'DU2222222', null);
    expect(await pnl).toEqual([5, -30, -147, 12.5]);
    const eur = await executions(client, 6, { acctCode: 'DU2222222' });
    expect(eur.map(([, , e]) => e.acctNumber)).toEqual(['DU2222222', 'DU2222222']);
    expect(client.errors).toEqual([]);
  });
});

describe('timeline', () => {
  const h = useHarness();
  const base: Scenario = parseScenario({
    accounts: [{ id: 'DU1', baseCurrency: 'USD', pnl: { daily: 0, unrealized: 0, realized: null } }],
    contracts: [{ conId: 1, symbol: 'ÜBER€', secType: 'STK', currency: 'EUR', exchange: 'IBIS' }],
    positions: [{ account: 'DU1', conId: 1, quantity: 10, avgCost: 100 }],
  });

  it('runs a live fill, a pnl update and a notice, counted from the first handshake', async () => {
    const scenario = parseScenario({
      ...base,
      timeline: [
        {
          atMs: 300,
          type: 'execution',
          execution: { execId: 'live.01', account: 'DU1', conId: 1, side: 'SLD', shares: 4, price: 110 },
        },
        { atMs: 400, type: 'pnl', account: 'DU1', conId: 1, daily: 12.5, marketValue: null },
        {
          atMs: 500,
          type: 'error',
          code: 1100,
          message: 'Connectivity between IB and Trader Workstation has been lost.',
        },
      ],
    });
    const sim = await h.startSim(scenario);
    const client = h.open(sim);
    // Every wait is installed before connecting: the timeline clock starts at the handshake.
    const live = nextEvent<[number, Contract, Execution]>(client.api, EventName.execDetails);
    const report = nextEvent<[CommissionReport]>(client.api, EventName.commissionReport);
    const moved = nextEvent<[string, Contract, number, number]>(
      client.api,
      EventName.position,
      (_a, _c, qty) => qty === 6,
    );
    const updated = nextEvent<unknown[]>(
      client.api,
      EventName.pnlSingle,
      (_id, _pos, daily) => daily === 12.5,
    );
    const notice = nextEvent<[string, number]>(client.api, EventName.info, (_m, code) => code === 1100);
    client.api.connect(1);
    // stoqey queues these until nextValidId, then sends them at once.
    client.api.reqPositions();
    client.api.reqPnLSingle(9, 'DU1', null, 1);
    const [reqId, contract, exec] = await live;
    expect([reqId, contract.symbol, exec.execId, exec.shares]).toEqual([-1, 'ÜBER€', 'live.01', 4]);
    // No commission in the scenario: 0, and the realized PnL from average cost: 4 × (110 − 100).
    expect((await report)[0]).toMatchObject({ commission: 0, currency: 'EUR', realizedPNL: 40 });
    const [, , qty, avg] = await moved;
    expect([qty, avg]).toEqual([6, 100]);
    const [, pos, , , realized, value] = await updated;
    expect([pos, realized, value]).toEqual([6, 40, undefined]);
    expect((await notice)[0]).toMatch(/Connectivity/);
    expect(client.errors).toEqual([]);
  });

  it('disconnects every client on a disconnect event', async () => {
    const sim = await h.startSim(parseScenario({ ...base, timeline: [{ atMs: 30, type: 'disconnect' }] }));
    const client = h.open(sim);
    const closed = nextEvent(client.api, EventName.disconnected);
    client.api.connect(1);
    await closed;
  });

  it('goes silent for durationMs on a silence event', async () => {
    const sim = await h.startSim(
      parseScenario({ ...base, timeline: [{ atMs: 0, type: 'silence', durationMs: 200 }] }),
    );
    const talking = nextEvent(sim, 'lifecycle', (state) => state === 'talking');
    const client = await h.connect(sim);
    // The silence starts right after the handshake: this request goes unanswered...
    client.api.reqCurrentTime();
    await sim.waitForRequest('reqCurrentTime');
    const answered = collect(client.api, EventName.currentTime);
    // ...and one sent after the silence is answered.
    const later = nextEvent(client.api, EventName.currentTime, () => true, 3000);
    await talking;
    client.api.reqCurrentTime();
    await later;
    expect(answered).toHaveLength(1);
  });
});
