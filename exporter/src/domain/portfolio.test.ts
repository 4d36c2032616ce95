import { describe, expect, it } from 'vitest';
import { basisOf } from './basis.js';
import { Portfolio, samePnl } from './portfolio.js';
import type { ContractInfo, LedgerTotals, PositionRecord } from './types.js';

const aapl: ContractInfo = { conId: 265598, symbol: 'AAPL', secType: 'STK', currency: 'USD', multiplier: 1 };
const sap: ContractInfo = { conId: 14204, symbol: 'SAP', secType: 'STK', currency: 'EUR', multiplier: 1 };

const position = (contract: ContractInfo, quantity: number, account = 'DU1'): PositionRecord => ({
  account,
  contract,
  quantity,
  avgCost: 150,
  updatedAt: 1000,
});

const totals = (
  conId: number,
  currency: string,
  realizedPnl: string,
  commissions: string,
  account = 'DU1',
): LedgerTotals => ({
  account,
  conId,
  currency,
  realizedPnl,
  commissions,
  reports: 1,
});

describe('Portfolio', () => {
  it('restores positions, ledger, counts and account state from the store', () => {
    const portfolio = new Portfolio({
      positions: [
        { position: position(aapl, 10), pnl: { dailyPnl: 5, updatedAt: 900 }, lastSnapshotAt: 800 },
      ],
      ledger: [totals(aapl.conId, 'USD', '12.5', '1')],
      executionCounts: [{ account: 'DU1', executions: 3 }],
      accountValues: [{ account: 'DU1', tag: 'NetLiquidation', currency: 'EUR', value: 1e5, updatedAt: 900 }],
      accountPnl: [{ account: 'DU1', dailyPnl: 7, updatedAt: 900 }],
    });
    expect(portfolio.position('DU1', aapl.conId)).toMatchObject({
      pnl: { dailyPnl: 5 },
      lastSnapshotAt: 800,
    });
    expect(portfolio.ledgerOf('DU1', aapl.conId)?.get('USD')?.realizedPnl).toBe('12.5');
    expect(portfolio.accountLedger.get('DU1|USD')).toEqual({
      account: 'DU1',
      currency: 'USD',
      realizedPnl: '12.5',
      commissions: '1',
      reports: 1,
      flexReports: 0,
    });
    expect(portfolio.executionCounts.get('DU1')).toBe(3);
    expect(portfolio.accountPnl.get('DU1')?.dailyPnl).toBe(7);
    expect(portfolio.baseCurrency('DU1', 'USD')).toBe('EUR');
  });

  it('keeps a position’s PnL and snapshot mark when its quantity changes', () => {
    const portfolio = new Portfolio();
    portfolio.setPosition(position(aapl, 10), 500);
    portfolio.setPositionPnl('DU1', aapl.conId, { unrealizedPnl: 20, updatedAt: 600 });
    const view = portfolio.setPosition(position(aapl, 5));
    expect(view).toMatchObject({
      position: { quantity: 5 },
      pnl: { unrealizedPnl: 20 },
      lastSnapshotAt: 500,
    });
    portfolio.setPositionPnl('DU1', aapl.conId, { unrealizedPnl: 21, updatedAt: 700 }, 700);
    expect(portfolio.position('DU1', aapl.conId)?.lastSnapshotAt).toBe(700);
  });

  it('ignores PnL for a position it does not hold, and forgets a removed one', () => {
    const portfolio = new Portfolio();
    portfolio.setPositionPnl('DU1', aapl.conId, { dailyPnl: 1, updatedAt: 1 });
    expect(portfolio.positions.size).toBe(0);
    portfolio.setPosition(position(aapl, 10));
    portfolio.removePosition('DU1', aapl.conId);
    expect(portfolio.position('DU1', aapl.conId)).toBeUndefined();
  });

  it('keeps positions of different accounts apart', () => {
    const portfolio = new Portfolio();
    portfolio.setPosition(position(aapl, 10, 'DU1'));
    portfolio.setPosition(position(aapl, -3, 'DU2'));
    expect(portfolio.position('DU1', aapl.conId)?.position.quantity).toBe(10);
    expect(portfolio.position('DU2', aapl.conId)?.position.quantity).toBe(-3);
  });

  it('keeps the account ledger equal to the sum of its positions, by exact difference', () => {
    const portfolio = new Portfolio();
    portfolio.applyLedger([totals(aapl.conId, 'USD', '0.1', '0.35'), totals(2, 'USD', '0.2', '0.35')]);
    expect(portfolio.accountLedger.get('DU1|USD')).toMatchObject({ realizedPnl: '0.3', commissions: '0.7' });
    // A new total for one position replaces its old one in the account's sum.
    portfolio.applyLedger([totals(aapl.conId, 'USD', '-1.05', '1.4')]);
    expect(portfolio.accountLedger.get('DU1|USD')).toMatchObject({
      realizedPnl: '-0.85',
      commissions: '1.75',
    });
  });

  it('counts the account ledger’s reports by source, so its basis follows its rows', () => {
    const portfolio = new Portfolio();
    const flex = (conId: number, reports: number, flexReports: number): LedgerTotals => ({
      ...totals(conId, 'USD', '1', '1'),
      reports,
      flexReports,
    });
    portfolio.applyLedger([flex(aapl.conId, 2, 2), flex(2, 3, 3)]);
    expect(basisOf(portfolio.accountLedger.get('DU1|USD')!)).toBe('flex');
    // One position's API reports replace its Flex ones (the API wins): the sum is mixed...
    portfolio.applyLedger([flex(2, 3, 0)]);
    expect(portfolio.accountLedger.get('DU1|USD')).toMatchObject({ reports: 5, flexReports: 2 });
    expect(basisOf(portfolio.accountLedger.get('DU1|USD')!)).toBe('mixed');
    // ...and api once the other's are replaced too; a row without flexReports counts none.
    portfolio.applyLedger([totals(aapl.conId, 'USD', '1', '1')]);
    expect(portfolio.accountLedger.get('DU1|USD')).toMatchObject({ reports: 4, flexReports: 0 });
    expect(basisOf(portfolio.accountLedger.get('DU1|USD')!)).toBe('api');
  });

  it('sums the ledger per report currency, never across currencies', () => {
    const portfolio = new Portfolio();
    portfolio.applyLedger([totals(sap.conId, 'EUR', '10', '1'), totals(aapl.conId, 'USD', '5', '1')]);
    expect(portfolio.accountLedger.get('DU1|EUR')?.realizedPnl).toBe('10');
    expect(portfolio.accountLedger.get('DU1|USD')?.realizedPnl).toBe('5');
  });

  it('keeps the ledger of a closed position', () => {
    const portfolio = new Portfolio();
    portfolio.setPosition(position(aapl, 10));
    portfolio.applyLedger([totals(aapl.conId, 'USD', '30', '1')]);
    portfolio.removePosition('DU1', aapl.conId);
    expect(portfolio.ledgerOf('DU1', aapl.conId)?.get('USD')?.realizedPnl).toBe('30');
  });

  it('learns the base currency from NetLiquidation only', () => {
    const portfolio = new Portfolio();
    expect(portfolio.baseCurrency('DU1', 'USD')).toBe('USD');
    portfolio.setAccountValue({
      account: 'DU1',
      tag: 'TotalCashValue',
      currency: 'CHF',
      value: 1,
      updatedAt: 1,
    });
    expect(portfolio.baseCurrency('DU1', 'USD')).toBe('USD');
    portfolio.setAccountValue({
      account: 'DU1',
      tag: 'NetLiquidation',
      currency: 'CHF',
      value: 2,
      updatedAt: 2,
    });
    expect(portfolio.baseCurrency('DU1', 'USD')).toBe('CHF');
    expect(portfolio.accountValue('DU1', 'TotalCashValue', 'CHF')?.value).toBe(1);
  });
});

describe('samePnl', () => {
  it('compares the values and not the time they arrived', () => {
    expect(samePnl({ dailyPnl: 1, updatedAt: 1 }, { dailyPnl: 1, updatedAt: 2 })).toBe(true);
    expect(samePnl({ dailyPnl: 1, updatedAt: 1 }, { dailyPnl: 2, updatedAt: 1 })).toBe(false);
  });

  it('tells an unknown value from a known one', () => {
    expect(samePnl({ marketValue: 0, updatedAt: 1 }, { updatedAt: 1 })).toBe(false);
    expect(samePnl(undefined, { updatedAt: 1 })).toBe(true);
    expect(samePnl(undefined, { dailyPnl: 0, updatedAt: 1 })).toBe(false);
  });
});
