// JSON shapes of the read endpoints. Money from the ledger stays decimal text; IB's own
// floats are numbers; anything IB did not give is null.
import type { Portfolio } from '../domain/portfolio.js';
import type { TradeRow } from '../store/store.js';
import { tripMoney } from './history-views.js';

const n = <T>(value: T | undefined): T | null => (value === undefined ? null : value);

export function positionsView(portfolio: Portfolio, baseCurrency: string) {
  return [...portfolio.positions.values()].map(({ position, pnl }) => {
    const { contract } = position;
    // Realized PnL and commissions of the current round trip, as the per-position metrics.
    const trip = portfolio.roundTripOf(position.account, contract.conId);
    const { ledger } = tripMoney(trip, contract.currency);
    return {
      id: trip?.id ?? null,
      open_time: trip?.openTime === undefined ? null : new Date(trip.openTime).toISOString(),
      opened_before_ledger: trip?.openedBeforeLedger ?? null,
      account: position.account,
      con_id: contract.conId,
      symbol: contract.symbol,
      sec_type: contract.secType,
      currency: contract.currency,
      local_symbol: n(contract.localSymbol),
      multiplier: contract.multiplier,
      quantity: position.quantity,
      average_cost: n(position.avgCost),
      pnl_currency: portfolio.baseCurrency(position.account, baseCurrency),
      market_value: n(pnl?.marketValue),
      unrealized_pnl: n(pnl?.unrealizedPnl),
      daily_pnl: n(pnl?.dailyPnl),
      ledger,
      updated_at: new Date(position.updatedAt).toISOString(),
    };
  });
}

export function tradesView(rows: TradeRow[]) {
  return rows.map((row) => ({
    exec_id: row.execId,
    account: row.account,
    con_id: row.contract.conId,
    symbol: row.contract.symbol,
    sec_type: row.contract.secType,
    currency: row.contract.currency,
    side: row.side,
    shares: row.shares,
    price: row.price,
    time: new Date(row.time).toISOString(),
    order_id: n(row.orderId),
    perm_id: n(row.permId),
    commission: n(row.commission),
    commission_currency: n(row.commissionCurrency),
    realized_pnl: n(row.realizedPnl),
  }));
}

export function pnlSummary(portfolio: Portfolio, baseCurrency: string) {
  const accounts = new Set<string>([
    ...portfolio.accountPnl.keys(),
    ...[...portfolio.accountValues.values()].map((v) => v.account),
    ...[...portfolio.accountLedger.values()].map((l) => l.account),
  ]);
  return {
    accounts: [...accounts].sort().map((account) => {
      const pnl = portfolio.accountPnl.get(account);
      return {
        account,
        currency: portfolio.baseCurrency(account, baseCurrency),
        daily_pnl: n(pnl?.dailyPnl),
        unrealized_pnl: n(pnl?.unrealizedPnl),
        realized_pnl: n(pnl?.realizedPnl),
        values: [...portfolio.accountValues.values()]
          .filter((v) => v.account === account)
          .map((v) => ({ tag: v.tag, currency: v.currency, value: v.value })),
        ledger: [...portfolio.accountLedger.values()]
          .filter((l) => l.account === account)
          .map((l) => ({ currency: l.currency, realized_pnl: l.realizedPnl, commissions: l.commissions })),
        executions: portfolio.executionCounts.get(account) ?? 0,
      };
    }),
  };
}
