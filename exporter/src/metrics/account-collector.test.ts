import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { Portfolio } from '../domain/portfolio.js';
import type { LedgerTotals } from '../domain/types.js';
import { accountCollector } from './account-collector.js';

const row = (conId: number, reports: number, flexReports?: number): LedgerTotals => ({
  account: 'DU1',
  conId,
  currency: 'USD',
  realizedPnl: '10.25',
  commissions: '1.5',
  reports,
  flexReports,
});

async function scrape(portfolio: Portfolio): Promise<string> {
  const registry = new Registry();
  accountCollector(registry, portfolio, 'USD').update();
  return registry.metrics();
}

const series = (text: string, name: string) => text.split('\n').filter((line) => line.startsWith(`${name}{`));

describe('accountCollector', () => {
  it.each([
    ['api', [row(1, 2), row(2, 1, 0)]],
    ['flex', [row(1, 2, 2), row(2, 1, 1)]],
    ['mixed', [row(1, 2), row(2, 1, 1)]],
    ['mixed', [row(1, 3, 1)]],
  ])('labels the ledger realized PnL %s from the sources of the account’s reports', async (basis, rows) => {
    const text = await scrape(new Portfolio({ ledger: rows }));
    const realized = rows.length === 2 ? '20.5' : '10.25';
    expect(series(text, 'ibkr_account_ledger_realized_pnl')).toEqual([
      `ibkr_account_ledger_realized_pnl{account="DU1",currency="USD",basis="${basis}"} ${realized}`,
    ]);
    // Commissions are the same amount whichever source reported them: no basis, one series.
    expect(series(text, 'ibkr_commissions_paid_total')).toEqual([
      `ibkr_commissions_paid_total{account="DU1",currency="USD"} ${rows.length === 2 ? 3 : 1.5}`,
    ]);
  });

  it('exports no ledger realized PnL while no report is left (unknown, not 0)', async () => {
    const text = await scrape(new Portfolio({ ledger: [row(1, 0)] }));
    expect(series(text, 'ibkr_account_ledger_realized_pnl')).toEqual([]);
  });

  it('keeps IB’s reqPnL realized PnL unlabelled, and says in its HELP that it is IB’s average cost', async () => {
    const portfolio = new Portfolio({ accountPnl: [{ account: 'DU1', realizedPnl: 79.35, updatedAt: 0 }] });
    const text = await scrape(portfolio);
    expect(series(text, 'ibkr_account_realized_pnl')).toEqual([
      'ibkr_account_realized_pnl{account="DU1",currency="USD"} 79.35',
    ]);
    expect(text).toMatch(/^# HELP ibkr_account_realized_pnl .*reqPnL.*average-cost basis/m);
    expect(text).toMatch(
      /^# HELP ibkr_account_ledger_realized_pnl .*api = IB average cost.*flex = FIFO by tax lot.*mixed = a sum of both, never converted\.$/m,
    );
  });
});
