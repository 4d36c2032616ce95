import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { Portfolio } from '../domain/portfolio.js';
import type { RoundTrip } from '../domain/round-trips.js';
import type { ContractInfo, MoneyTotals } from '../domain/types.js';
import { positionCollector } from './position-collector.js';

const SAP: ContractInfo = { conId: 14204, symbol: 'SAP', secType: 'STK', currency: 'EUR', multiplier: 1 };

let nextId = 1;
/** The position's current round trip, with these totals. */
const tripOf = (totals: MoneyTotals[], overrides: Partial<RoundTrip> = {}) => ({
  account: 'DU1',
  conId: SAP.conId,
  trip: {
    id: nextId++,
    account: 'DU1',
    conId: SAP.conId,
    openKey: 'x',
    openedBeforeLedger: false,
    openTime: 0,
    quantity: '30',
    fills: 1,
    totals,
    ...overrides,
  },
});

async function render(portfolio: Portfolio): Promise<string> {
  const registry = new Registry();
  const collector = positionCollector(registry, portfolio, 'USD');
  collector.update();
  return registry.metrics();
}

describe('positionCollector', () => {
  it('labels contract-currency and base-currency values apart, and sums no mixed currencies', async () => {
    const portfolio = new Portfolio({
      roundTrips: [tripOf([{ currency: 'EUR', realizedPnl: '12.5', commissions: '3', reports: 2 }])],
    });
    portfolio.setPosition({ account: 'DU1', contract: SAP, quantity: 30, avgCost: 233.5, updatedAt: 0 });
    portfolio.setPositionPnl('DU1', SAP.conId, { unrealizedPnl: -147, updatedAt: 0 });
    const text = await render(portfolio);
    const labels = 'account="DU1",con_id="14204",symbol="SAP",sec_type="STK"';
    expect(text).toContain(`ibkr_position_average_cost{${labels},currency="EUR"} 233.5`);
    expect(text).toContain(`ibkr_position_unrealized_pnl{${labels},currency="USD"} -147`);
    expect(text).toContain(`ibkr_position_realized_pnl{${labels},currency="EUR",basis="api"} 12.5`);
    expect(text).not.toMatch(/^ibkr_position_total_pnl\{/m);
  });

  it('drops the series of a position that is gone, on the next scrape', async () => {
    const portfolio = new Portfolio();
    const registry = new Registry();
    const collector = positionCollector(registry, portfolio, 'USD');
    portfolio.setPosition({ account: 'DU1', contract: SAP, quantity: 30, updatedAt: 0 });
    collector.update();
    expect(await registry.metrics()).toMatch(/^ibkr_position_quantity\{.*\} 30$/m);
    portfolio.removePosition('DU1', SAP.conId);
    collector.update();
    expect(await registry.metrics()).not.toMatch(/^ibkr_position_quantity\{/m);
  });

  it('follows changes of base currency, PnL and ledger between scrapes (nothing stale is cached)', async () => {
    const portfolio = new Portfolio();
    const registry = new Registry();
    const collector = positionCollector(registry, portfolio, 'USD');
    const ledger = { currency: 'EUR', commissions: '1', reports: 1 };
    portfolio.setPosition({ account: 'DU1', contract: SAP, quantity: 30, updatedAt: 0 });
    portfolio.setPositionPnl('DU1', SAP.conId, { unrealizedPnl: 10, updatedAt: 0 });
    portfolio.applyRoundTrips([tripOf([{ ...ledger, realizedPnl: '0.1' }])]);
    collector.update();
    expect(await registry.metrics()).not.toMatch(/^ibkr_position_total_pnl\{/m); // USD base, EUR ledger
    portfolio.setAccountValue({
      account: 'DU1',
      tag: 'NetLiquidation',
      currency: 'EUR',
      value: 1,
      updatedAt: 0,
    });
    collector.update();
    expect(await registry.metrics()).toMatch(
      /^ibkr_position_total_pnl\{.*currency="EUR",basis="api"\} 10\.1$/m,
    );
    portfolio.setPositionPnl('DU1', SAP.conId, { unrealizedPnl: 0.2, updatedAt: 1 });
    portfolio.applyRoundTrips([tripOf([{ ...ledger, realizedPnl: '0.1', reports: 2 }])]);
    collector.update();
    // Exact decimal sum: 0.1 + 0.2 in floating point would be 0.30000000000000004.
    expect(await registry.metrics()).toMatch(
      /^ibkr_position_total_pnl\{.*currency="EUR",basis="api"\} 0\.3$/m,
    );
    portfolio.setPosition({ account: 'DU1', contract: SAP, quantity: 40, updatedAt: 2 });
    collector.update();
    expect(await registry.metrics()).toMatch(/^ibkr_position_quantity\{.*currency="EUR"\} 40$/m);
  });

  it('exports no realized PnL for a position without a stored commission report', async () => {
    const portfolio = new Portfolio();
    portfolio.setPosition({ account: 'DU1', contract: SAP, quantity: 30, updatedAt: 0 });
    portfolio.setPositionPnl('DU1', SAP.conId, { unrealizedPnl: 10, updatedAt: 0 });
    const text = await render(portfolio);
    expect(text).not.toMatch(/^ibkr_position_realized_pnl\{/m);
    expect(text).not.toMatch(/^ibkr_position_average_cost\{/m); // IB gave none
  });

  it('shows the current round trip: the one just closed while IB reports the flat position, then the next', async () => {
    const portfolio = new Portfolio({
      ledger: [
        {
          account: 'DU1',
          conId: SAP.conId,
          currency: 'EUR',
          realizedPnl: '100',
          commissions: '9',
          reports: 9,
        },
      ],
      roundTrips: [
        tripOf([{ currency: 'EUR', realizedPnl: '40', commissions: '2', reports: 2 }], {
          quantity: '0',
          closeTime: 5,
        }),
      ],
    });
    const registry = new Registry();
    const collector = positionCollector(registry, portfolio, 'USD');
    portfolio.setPosition({ account: 'DU1', contract: SAP, quantity: 0, updatedAt: 0 });
    collector.update();
    // The trip just closed, not the all-time 100 (that is ibkr_account_ledger_realized_pnl's).
    expect(await registry.metrics()).toMatch(
      /^ibkr_position_realized_pnl\{.*currency="EUR",basis="api"\} 40$/m,
    );
    expect(await registry.metrics()).toMatch(/^ibkr_position_commissions\{.*currency="EUR"\} 2$/m);
    portfolio.applyRoundTrips([
      tripOf([{ currency: 'EUR', realizedPnl: '0', commissions: '1', reports: 1 }]),
    ]);
    portfolio.setPosition({ account: 'DU1', contract: SAP, quantity: 10, updatedAt: 1 });
    collector.update();
    expect(await registry.metrics()).toMatch(
      /^ibkr_position_realized_pnl\{.*currency="EUR",basis="api"\} 0$/m,
    );
    expect(await registry.metrics()).toMatch(/^ibkr_position_commissions\{.*currency="EUR"\} 1$/m);
  });

  it('labels realized and total PnL with the basis of the round trip’s reports, and commissions with none', async () => {
    const portfolio = new Portfolio();
    const registry = new Registry();
    const collector = positionCollector(registry, portfolio, 'EUR');
    portfolio.setPosition({ account: 'DU1', contract: SAP, quantity: 30, updatedAt: 0 });
    portfolio.setPositionPnl('DU1', SAP.conId, { unrealizedPnl: 10, updatedAt: 0 });
    const scrape = async (reports: number, flexReports?: number) => {
      portfolio.applyRoundTrips([
        tripOf([{ currency: 'EUR', realizedPnl: '7.5', commissions: '2', reports, flexReports }]),
      ]);
      collector.update();
      return registry.metrics();
    };
    const series = (text: string, name: string) =>
      text.split('\n').filter((line) => line.startsWith(`${name}{`));
    const labels = 'account="DU1",con_id="14204",symbol="SAP",sec_type="STK",currency="EUR"';
    // Ledgers from before Flex have no flexReports: api.
    let text = await scrape(2);
    expect(series(text, 'ibkr_position_realized_pnl')).toEqual([
      `ibkr_position_realized_pnl{${labels},basis="api"} 7.5`,
    ]);
    expect(series(text, 'ibkr_position_total_pnl')).toEqual([
      `ibkr_position_total_pnl{${labels},basis="api"} 17.5`,
    ]);
    expect(series(text, 'ibkr_position_commissions')).toEqual([`ibkr_position_commissions{${labels}} 2`]);
    text = await scrape(2, 2);
    expect(series(text, 'ibkr_position_realized_pnl')).toEqual([
      `ibkr_position_realized_pnl{${labels},basis="flex"} 7.5`,
    ]);
    expect(series(text, 'ibkr_position_total_pnl')).toEqual([
      `ibkr_position_total_pnl{${labels},basis="flex"} 17.5`,
    ]);
    // One series per position and currency, whatever the basis: the old one is gone, not frozen.
    text = await scrape(3, 1);
    expect(series(text, 'ibkr_position_realized_pnl')).toEqual([
      `ibkr_position_realized_pnl{${labels},basis="mixed"} 7.5`,
    ]);
    expect(series(text, 'ibkr_position_total_pnl')).toEqual([
      `ibkr_position_total_pnl{${labels},basis="mixed"} 17.5`,
    ]);
    expect(series(text, 'ibkr_position_commissions')).toEqual([`ibkr_position_commissions{${labels}} 2`]);
    expect(text).toMatch(
      /^# HELP ibkr_position_realized_pnl .*api = IB average cost.*flex = FIFO by tax lot/m,
    );
  });

  it('labels each report currency of a position with its own basis', async () => {
    const portfolio = new Portfolio({
      roundTrips: [
        tripOf([
          { currency: 'EUR', realizedPnl: '1', commissions: '1', reports: 1, flexReports: 1 },
          { currency: 'USD', realizedPnl: '2', commissions: '1', reports: 1 },
        ]),
      ],
    });
    portfolio.setPosition({ account: 'DU1', contract: SAP, quantity: 30, updatedAt: 0 });
    const text = await render(portfolio);
    expect(text).toMatch(/^ibkr_position_realized_pnl\{.*currency="EUR",basis="flex"\} 1$/m);
    expect(text).toMatch(/^ibkr_position_realized_pnl\{.*currency="USD",basis="api"\} 2$/m);
  });
});
