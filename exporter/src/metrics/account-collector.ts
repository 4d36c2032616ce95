import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';
import { basisOf } from '../domain/basis.js';
import type { Portfolio } from '../domain/portfolio.js';
import type { AccountSummaryTag } from '../domain/types.js';
import { BASIS_HELP, IB_BASIS_HELP } from './basis.js';
import type { Collector } from './collector.js';
import { gauge } from './collector.js';

const LABELS = ['account', 'currency'] as const;

/** reqAccountSummary tags and the gauges they become. */
/** Every requested tag has a gauge: the Record type makes a new tag without one a compile error. */
const SUMMARY_METRICS: Record<AccountSummaryTag, { name: string; help: string }> = {
  NetLiquidation: {
    name: 'net_liquidation',
    help: 'Net liquidation value (NetLiquidation) from reqAccountSummary.',
  },
  TotalCashValue: { name: 'total_cash', help: 'Total cash value (TotalCashValue) from reqAccountSummary.' },
  BuyingPower: { name: 'buying_power', help: 'Buying power (BuyingPower) from reqAccountSummary.' },
  AvailableFunds: {
    name: 'available_funds',
    help: 'Available funds (AvailableFunds) from reqAccountSummary.',
  },
  ExcessLiquidity: {
    name: 'excess_liquidity',
    help: 'Excess liquidity (ExcessLiquidity) from reqAccountSummary.',
  },
  InitMarginReq: {
    name: 'init_margin',
    help: 'Initial margin requirement (InitMarginReq) from reqAccountSummary.',
  },
  MaintMarginReq: {
    name: 'maint_margin',
    help: 'Maintenance margin requirement (MaintMarginReq) from reqAccountSummary.',
  },
  GrossPositionValue: {
    name: 'gross_position_value',
    help: 'Gross position value (GrossPositionValue) from reqAccountSummary.',
  },
};

export function accountCollector(registry: Registry, portfolio: Portfolio, baseCurrency: string): Collector {
  const g = (name: string, help: string) => gauge(registry, `ibkr_account_${name}`, help, LABELS);
  const daily = g('daily_pnl', 'Account PnL since the last daily reset, from reqPnL.');
  const unrealized = g('unrealized_pnl', 'Account unrealized PnL, from reqPnL.');
  const realized = g(
    'realized_pnl',
    `Account realized PnL since the last daily reset, from reqPnL: ${IB_BASIS_HELP}`,
  );
  const summary = new Map(Object.entries(SUMMARY_METRICS).map(([tag, m]) => [tag, g(m.name, m.help)]));
  const ledgerRealized = gauge(
    registry,
    'ibkr_account_ledger_realized_pnl',
    `Sum of the realized PnL (net of commission) over every stored commission report of the account, closed positions included. ${BASIS_HELP}`,
    [...LABELS, 'basis'],
  );
  const executions = new Counter({
    name: 'ibkr_executions_total',
    help: 'Executions stored in the ledger (corrections replace, duplicates are ignored).',
    labelNames: ['account'],
    registers: [registry],
  });
  const commissions = new Counter({
    name: 'ibkr_commissions_paid_total',
    help: 'Sum of commissions over every stored commission report of the account.',
    labelNames: [...LABELS],
    registers: [registry],
  });
  const all = [daily, unrealized, realized, ...summary.values(), ledgerRealized, executions, commissions];

  return {
    name: 'accounts',
    update() {
      for (const metric of all) metric.reset();
      for (const pnl of portfolio.accountPnl.values()) {
        const labels = { account: pnl.account, currency: portfolio.baseCurrency(pnl.account, baseCurrency) };
        if (pnl.dailyPnl !== undefined) daily.set(labels, pnl.dailyPnl);
        if (pnl.unrealizedPnl !== undefined) unrealized.set(labels, pnl.unrealizedPnl);
        if (pnl.realizedPnl !== undefined) realized.set(labels, pnl.realizedPnl);
      }
      for (const value of portfolio.accountValues.values()) {
        summary
          .get(value.tag as AccountSummaryTag)
          ?.set({ account: value.account, currency: value.currency }, value.value);
      }
      for (const total of portfolio.accountLedger.values()) {
        const labels = { account: total.account, currency: total.currency };
        // No report left (every fill taken back): the realized PnL is unknown, not 0.
        const basis = basisOf(total);
        if (basis !== undefined) ledgerRealized.set({ ...labels, basis }, Number(total.realizedPnl));
        // A commission is the same amount whichever source reported it: no basis label.
        commissions.inc(labels, Math.max(0, Number(total.commissions)));
      }
      for (const [account, count] of portfolio.executionCounts) executions.inc({ account }, count);
    },
  };
}
