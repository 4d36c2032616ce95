// The simulator's order desk against the real @stoqey/ib client: contract lookup, placement,
// fills, resting limits and cancels. The harness fails every test on a decoder error, which is
// what proves the openOrder/orderStatus/contractDetails layouts at each server version.
import { fileURLToPath } from 'node:url';
import { EventName, OrderAction, OrderType, SecType } from '@stoqey/ib';
import type { CommissionReport, Contract, ContractDetails, Execution, Order, OrderState } from '@stoqey/ib';
import { describe, expect, it } from 'vitest';
import { loadScenario, parseScenario } from './scenario.js';
import { collect, nextEvent, useHarness } from '../../test/support/ib-client.js';
import type { TestClient } from '../../test/support/ib-client.js';

const basicPath = fileURLToPath(new URL('./scenarios/basic.json', import.meta.url));
const ACCOUNT = 'DU0000001';
const AAPL = 265598;

const harness = useHarness();

/** basic.json plus a stock listed twice (an ambiguous symbol) and a future nobody holds. */
async function scenario(serverVersion = 176) {
  const basic = await loadScenario(basicPath);
  return parseScenario({
    ...basic,
    serverVersion,
    contracts: [
      ...basic.contracts,
      { conId: 5001, symbol: 'ACME', secType: 'STK', primaryExchange: 'NYSE', currency: 'USD' },
      { conId: 5002, symbol: 'ACME', secType: 'STK', primaryExchange: 'ARCA', currency: 'USD' },
      {
        conId: 6001,
        symbol: 'ES',
        secType: 'FUT',
        exchange: 'CME',
        currency: 'USD',
        multiplier: 50,
        lastTradeDateOrContractMonth: '20261218',
      },
    ],
  });
}

async function lookup(client: TestClient, reqId: number, contract: Contract) {
  const details = collect<[number, ContractDetails]>(client.api, EventName.contractDetails);
  const done = Promise.race([
    nextEvent(client.api, EventName.contractDetailsEnd, (id: number) => id === reqId).then(() => 'end'),
    nextEvent(client.api, EventName.error, (_e: Error, _code: number, id: number) => id === reqId).then(
      ([, code]) => `error ${String(code)}`,
    ),
  ]);
  client.api.reqContractDetails(reqId, contract);
  const outcome = await done;
  return { outcome, conIds: details.filter(([id]) => id === reqId).map(([, d]) => d.contract.conId) };
}

const order = (o: Partial<Order>): Order => ({
  action: OrderAction.BUY,
  orderType: OrderType.MKT,
  totalQuantity: 10,
  account: ACCOUNT,
  tif: 'DAY',
  transmit: true,
  ...o,
});

const statusOf = (client: TestClient, orderId: number, status: string) =>
  nextEvent(client.api, EventName.orderStatus, (id: number, s: string) => id === orderId && s === status);

describe('simulator orders with the real @stoqey/ib client', () => {
  it.each([151, 176, 193])(
    'resolves contracts: unique, ambiguous and unknown (server version %i)',
    async (v) => {
      const sim = await harness.startSim(await scenario(v));
      const client = await harness.connect(sim, 2);
      const stock = { symbol: 'AAPL', secType: SecType.STK, exchange: 'SMART', currency: 'USD' };
      expect(await lookup(client, 1, stock)).toEqual({ outcome: 'end', conIds: [AAPL] });
      expect(await lookup(client, 2, { ...stock, symbol: 'ACME' })).toEqual({
        outcome: 'end',
        conIds: [5001, 5002],
      });
      expect(await lookup(client, 3, { ...stock, symbol: 'ACME', exchange: 'ARCA' })).toEqual({
        outcome: 'end',
        conIds: [5002],
      });
      expect(await lookup(client, 4, { ...stock, symbol: 'NOPE' })).toEqual({
        outcome: 'error 200',
        conIds: [],
      });
      const call = {
        symbol: 'AAPL',
        secType: SecType.OPT,
        lastTradeDateOrContractMonth: '202612',
        strike: 200,
      };
      expect((await lookup(client, 5, { ...call, right: 'C' } as Contract)).conIds).toEqual([712345678]);
      expect(sim.requests.filter((r) => r.name === 'reqContractDetails').map((r) => r.reqId)).toEqual([
        1, 2, 3, 4, 5,
      ]);
    },
  );

  it.each([140, 166, 176, 187, 193])(
    'fills a market order: openOrder, orderStatus, execDetails and commission to the placer, position to the sync client (v%i)',
    async (v) => {
      const sim = await harness.startSim(await scenario(v));
      const sync = await harness.connect(sim, 1);
      const positions = collect<[string, Contract, number]>(sync.api, EventName.position);
      sync.api.reqPositions();
      await nextEvent(sync.api, EventName.positionEnd);
      const trader = await harness.connect(sim, 9);
      const opens = collect<[number, Contract, Order, OrderState]>(trader.api, EventName.openOrder);
      const syncFill = nextEvent<[number, Contract, Execution]>(sync.api, EventName.execDetails);
      const report = nextEvent<[CommissionReport]>(trader.api, EventName.commissionReport);
      const filled = statusOf(trader, 1, 'Filled');
      trader.api.placeOrder(1, { conId: AAPL, exchange: 'SMART' }, order({ orderRef: 'ref-1' }));
      const [, , filledQty, remaining, avgPrice, permId] = (await filled) as unknown as number[];
      expect([filledQty, remaining, avgPrice]).toEqual([10, 0, 155]);
      const [, contract, execution] = await syncFill;
      expect(contract.conId).toBe(AAPL);
      expect(execution).toMatchObject({
        orderId: 1,
        clientId: 9,
        permId,
        shares: 10,
        price: 155,
        side: 'BOT',
      });
      expect(execution.orderRef).toBe('ref-1');
      expect((await report)[0]).toMatchObject({ execId: execution.execId, commission: 1, currency: 'USD' });
      await expect.poll(() => positions.at(-1)?.[2]).toBe(110);
      expect(opens.map(([id, , o, state]) => [id, o.orderRef, state.status])).toEqual([
        [1, 'ref-1', 'Submitted'],
        [1, 'ref-1', 'Filled'],
      ]);
      expect(sim.orders.nextValidId()).toBe(2);
    },
  );

  it('rests a limit order until the price reaches it, and cancels another', async () => {
    const sim = await harness.startSim(await scenario());
    const trader = await harness.connect(sim, 9);
    const resting = statusOf(trader, 5, 'Submitted');
    trader.api.placeOrder(5, { conId: AAPL }, order({ orderType: OrderType.LMT, lmtPrice: 150 }));
    await resting;
    const filled = statusOf(trader, 5, 'Filled');
    sim.setPrice(AAPL, 149.5);
    expect(((await filled) as unknown as number[])[4]).toBe(149.5);

    const open = statusOf(trader, 6, 'Submitted');
    trader.api.placeOrder(
      6,
      { conId: AAPL },
      order({ orderType: OrderType.LMT, lmtPrice: 200, action: OrderAction.SELL }),
    );
    await open;
    const notice = nextEvent(
      trader.api,
      EventName.error,
      (_e: Error, code: number, id: number) => id === 6 && code === 202,
    );
    const cancelled = statusOf(trader, 6, 'Cancelled');
    trader.api.cancelOrder(6);
    await Promise.all([notice, cancelled]);
    expect(sim.orders.open()).toEqual([]);
    const again = nextEvent(
      trader.api,
      EventName.error,
      (_e: Error, code: number, id: number) => id === 6 && code === 10148,
    );
    trader.api.cancelOrder(6);
    await again;
  });

  it('answers reqOpenOrders with the client’s open orders, and rejects a duplicate order id', async () => {
    const sim = await harness.startSim(await scenario());
    const trader = await harness.connect(sim, 9);
    const resting = statusOf(trader, 7, 'Submitted');
    trader.api.placeOrder(
      7,
      { conId: 6001 },
      order({ orderType: OrderType.LMT, lmtPrice: 5000, totalQuantity: 1 }),
    );
    await resting;
    const duplicate = nextEvent(
      trader.api,
      EventName.error,
      (_e: Error, code: number, id: number) => id === 7 && code === 103,
    );
    trader.api.placeOrder(7, { conId: 6001 }, order({ orderType: OrderType.MKT }));
    await duplicate;
    const opens = collect<[number]>(trader.api, EventName.openOrder);
    const end = nextEvent(trader.api, EventName.openOrderEnd);
    trader.api.reqOpenOrders();
    await end;
    expect(opens.map(([id]) => id)).toEqual([7]);
    // No price for a contract nobody holds: a market order is rejected like IB rejects one without market data.
    const rejected = nextEvent(
      trader.api,
      EventName.error,
      (_e: Error, code: number, id: number) => id === 8 && code === 201,
    );
    trader.api.placeOrder(8, { conId: 6001 }, order({ totalQuantity: 1 }));
    await rejected;
  });
});
