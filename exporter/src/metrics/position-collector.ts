import type { Registry } from 'prom-client';
import { addDecimal, toDecimal } from '../domain/money.js';
import type { Portfolio } from '../domain/portfolio.js';
import type { Collector } from './collector.js';
import { gauge } from './collector.js';

const LABELS = ['account', 'con_id', 'symbol', 'sec_type', 'currency'] as const;

/**
 * Per-position series for every position the gateway reports now (quantity 0 included: IB keeps
 * reporting a position closed today until the next day). `currency` is the currency of the value.
 */
export function positionCollector(registry: Registry, portfolio: Portfolio, baseCurrency: string): Collector {
  const g = (name: string, help: string) => gauge(registry, `ibkr_position_${name}`, help, LABELS);
  const quantity = g('quantity', 'Position size in units (shares, contracts) as reported by reqPositions.');
  const averageCost = g(
    'average_cost',
    'Average cost from reqPositions: per share for stocks, per contract including the multiplier for options and futures.',
  );
  const marketValue = g('market_value', 'Market value from reqPnLSingle, in the account base currency.');
  const unrealized = g('unrealized_pnl', 'Unrealized PnL from reqPnLSingle, in the account base currency.');
  const daily = g(
    'daily_pnl',
    'PnL since the last daily reset from reqPnLSingle, in the account base currency.',
  );
  const realized = g(
    'realized_pnl',
    "Sum of IB's realized PnL (net of commission) over the stored commission reports of this position's executions.",
  );
  const commissions = g(
    'commissions',
    "Sum of commissions over the stored commission reports of this position's executions.",
  );
  const total = g(
    'total_pnl',
    'Realized (commission reports) plus unrealized (reqPnLSingle) PnL, when both are known in the same currency.',
  );
  const all = [quantity, averageCost, marketValue, unrealized, daily, realized, commissions, total];

  return {
    name: 'positions',
    update() {
      for (const metric of all) metric.reset();
      for (const { position, pnl } of portfolio.positions.values()) {
        const { account, contract } = position;
        const labels = {
          account,
          con_id: String(contract.conId),
          symbol: contract.symbol,
          sec_type: contract.secType,
        };
        const quoted = { ...labels, currency: contract.currency };
        const base = { ...labels, currency: portfolio.baseCurrency(account, baseCurrency) };
        quantity.set(quoted, position.quantity);
        if (position.avgCost !== undefined) averageCost.set(quoted, position.avgCost);
        if (pnl?.marketValue !== undefined) marketValue.set(base, pnl.marketValue);
        if (pnl?.unrealizedPnl !== undefined) unrealized.set(base, pnl.unrealizedPnl);
        if (pnl?.dailyPnl !== undefined) daily.set(base, pnl.dailyPnl);
        for (const row of portfolio.ledgerOf(account, contract.conId)?.values() ?? []) {
          // No joined report yet: realized PnL is unknown, which is not the same as 0.
          if (row.reports <= 0) continue;
          const rowLabels = { ...labels, currency: row.currency };
          realized.set(rowLabels, Number(row.realizedPnl));
          commissions.set(rowLabels, Number(row.commissions));
          if (pnl?.unrealizedPnl !== undefined && row.currency === base.currency) {
            total.set(rowLabels, Number(addDecimal(row.realizedPnl, toDecimal(pnl.unrealizedPnl))));
          }
        }
      }
    },
  };
}
