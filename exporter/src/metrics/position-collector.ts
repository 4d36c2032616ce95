import type { Registry } from 'prom-client';
import { basisOf } from '../domain/basis.js';
import { addDecimal, toDecimal } from '../domain/money.js';
import type { Portfolio } from '../domain/portfolio.js';
import type { ContractInfo, MoneyTotals, PositionRecord, RealizedBasis } from '../domain/types.js';
import { BASIS_HELP } from './basis.js';
import type { Collector } from './collector.js';
import { SampleGauge } from './collector.js';

type Labels = Record<string, string>;
interface Cached {
  quoted: Labels;
  base: Labels;
  /** Label sets of the realized series, by report currency and basis: built once per record. */
  realized: Map<string, Labels>;
}

/**
 * Per-position series for every position the gateway reports now (quantity 0 included: IB keeps
 * reporting a position closed today until the next day). `currency` is the currency of the value.
 */
export function positionCollector(registry: Registry, portfolio: Portfolio, baseCurrency: string): Collector {
  const g = (name: string, help: string) => new SampleGauge(registry, `ibkr_position_${name}`, help);
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
    `Sum of the realized PnL (net of commission) over the stored commission reports of the fills of this position's current round trip (since it was last flat; the trip just closed while IB still reports it flat). ${BASIS_HELP}`,
  );
  const commissions = g(
    'commissions',
    "Sum of commissions over the stored commission reports of the fills of this position's current round trip.",
  );
  const total = g(
    'total_pnl',
    `Realized (ibkr_position_realized_pnl, its basis) plus unrealized (reqPnLSingle) PnL, when both are known in the same currency. ${BASIS_HELP}`,
  );
  // A join metric rather than more labels on every position series: the position families keep
  // their label set (dashboards and rules need no change), and `* on(con_id) group_left(local_symbol)
  // ibkr_contract_info` adds the contract's details where a query wants them. Stocks have none
  // worth joining (their local symbol is the symbol), so they get no series.
  const contractInfo = new SampleGauge(
    registry,
    'ibkr_contract_info',
    "Contract details of every held position that is not a stock, from the position's contract: IB's local symbol (e.g. ESZ6, AAPL  261218C00200000), expiry, strike, right and multiplier; the value is always 1.",
  );
  const all = [
    quantity,
    averageCost,
    marketValue,
    unrealized,
    daily,
    realized,
    commissions,
    total,
    contractInfo,
  ];
  const contractLabels = new WeakMap<ContractInfo, Labels>();
  const contractLabelsOf = (contract: ContractInfo): Labels => {
    let labels = contractLabels.get(contract);
    if (labels) return labels;
    const optional = {
      local_symbol: contract.localSymbol,
      expiry: contract.lastTradeDate,
      strike: contract.strike === undefined ? undefined : String(contract.strike),
      right: contract.right,
    };
    labels = {
      con_id: String(contract.conId),
      symbol: contract.symbol,
      sec_type: contract.secType,
      currency: contract.currency,
      multiplier: String(contract.multiplier),
      ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined && v !== '')),
    };
    contractLabels.set(contract, labels);
    return labels;
  };

  // Work that only depends on records is cached on the record: a change replaces a position
  // record, a PnL reading or a ledger row, and never mutates one. At 10,000 positions rebuilding
  // label sets and exact totals on every scrape cost a third of the render (bench: scrape).
  const cache = new WeakMap<PositionRecord, Cached>();
  const labelsOf = (position: PositionRecord, baseCcy: string): Cached => {
    const cached = cache.get(position);
    if (cached && cached.base.currency === baseCcy) return cached;
    const { account, contract } = position;
    const make = (currency: string): Labels => ({
      account,
      con_id: String(contract.conId),
      symbol: contract.symbol,
      sec_type: contract.secType,
      currency,
    });
    const built: Cached = { quoted: make(contract.currency), base: make(baseCcy), realized: new Map() };
    cache.set(position, built);
    return built;
  };
  /** The labels of a value in the report currency: the cached sets when it is one of theirs. */
  const moneyLabels = ({ quoted, base }: Cached, currency: string): Labels =>
    currency === quoted.currency ? quoted : currency === base.currency ? base : { ...quoted, currency };
  const realizedLabels = (cached: Cached, currency: string, basis: RealizedBasis): Labels => {
    const key = `${currency}|${basis}`;
    let labels = cached.realized.get(key);
    if (!labels) cached.realized.set(key, (labels = { ...moneyLabels(cached, currency), basis }));
    return labels;
  };
  const totals = new WeakMap<MoneyTotals, { unrealized: number; total: number }>();
  const totalOf = (row: MoneyTotals, unrealizedPnl: number): number => {
    const cached = totals.get(row);
    if (cached?.unrealized === unrealizedPnl) return cached.total;
    const sum = Number(addDecimal(row.realizedPnl, toDecimal(unrealizedPnl)));
    totals.set(row, { unrealized: unrealizedPnl, total: sum });
    return sum;
  };

  return {
    name: 'positions',
    update() {
      for (const metric of all) metric.reset();
      const described = new Set<number>();
      for (const { position, pnl } of portfolio.positions.values()) {
        const { account, contract } = position;
        if (contract.secType !== 'STK' && !described.has(contract.conId)) {
          described.add(contract.conId);
          contractInfo.set(contractLabelsOf(contract), 1);
        }
        const cached = labelsOf(position, portfolio.baseCurrency(account, baseCurrency));
        const { quoted, base } = cached;
        quantity.set(quoted, position.quantity);
        if (position.avgCost !== undefined) averageCost.set(quoted, position.avgCost);
        if (pnl?.marketValue !== undefined) marketValue.set(base, pnl.marketValue);
        if (pnl?.unrealizedPnl !== undefined) unrealized.set(base, pnl.unrealizedPnl);
        if (pnl?.dailyPnl !== undefined) daily.set(base, pnl.dailyPnl);
        for (const row of portfolio.roundTripOf(account, contract.conId)?.totals ?? []) {
          // No joined report yet: realized PnL is unknown, which is not the same as 0.
          const basis = basisOf(row);
          if (basis === undefined) continue;
          const withBasis = realizedLabels(cached, row.currency, basis);
          realized.set(withBasis, Number(row.realizedPnl));
          // A commission is the same amount whichever source reported it: no basis.
          commissions.set(moneyLabels(cached, row.currency), Number(row.commissions));
          if (pnl?.unrealizedPnl !== undefined && row.currency === base.currency) {
            total.set(withBasis, totalOf(row, pnl.unrealizedPnl));
          }
        }
      }
    },
  };
}
