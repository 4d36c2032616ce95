// IBKR / Trades & history: the ledger itself, from its stable SQL views (docs/round-trips.md) on
// Grafana's built-in PostgreSQL datasource: the trade blotter, closed round trips and their fills,
// realized PnL per day and month, commissions per month, and win rate, average win and loss.
import {
  BigValueGraphMode,
  GraphDrawStyle,
  ReduceDataOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import {
  DashboardBuilder,
  RowBuilder,
  TextBoxVariableBuilder,
} from '@grafana/grafana-foundation-sdk/dashboard';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as Stat } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as Table } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeSeries } from '@grafana/grafana-foundation-sdk/timeseries';
import {
  TAG,
  UID,
  dashboardsLink,
  finish,
  moneyOverrides,
  pnlThresholds,
  thresholdColours,
} from './common.js';
import { LEDGER, SqlQuery, ledgerVariable, sqlVariable } from './sql.js';

/** The variables every panel filters on (the blotter and the round trips also by symbol). */
const ACCOUNTS = 'account IN ($account)';
const FILTERS = `${ACCOUNTS} AND symbol IN ($symbol)`;
const CLOSED = `status = 'closed' AND realized_pnl IS NOT NULL AND $__timeFilter(close_time) AND ${FILTERS}`;

const BASIS =
  "Basis: api = IB's average cost (the API's commission reports), flex = FIFO by tax lot (an imported Flex statement), mixed = a sum of both, never converted (docs/round-trips.md).";

/** A money column of ibkr_daily_realized summed per calendar month (UTC), one series per currency. */
function perMonth(column: string, label: string): string {
  return `SELECT date_trunc('month', day::timestamp) AT TIME ZONE 'UTC' AS time,
  '${label} ' || currency AS metric, sum(${column}) AS value
FROM ibkr_daily_realized
WHERE $__timeFilter(day) AND ${ACCOUNTS}
GROUP BY 1, 2
ORDER BY 1`;
}

export const TRADES_SQL = {
  blotter: `SELECT trade_time AS "Time", account AS "Account", symbol AS "Symbol", sec_type AS "Type",
  side AS "Side", qty AS "Qty", price AS "Price", commission AS "Commission", realized_pnl AS "Realized",
  commission_currency AS "Currency", basis AS "Basis", exec_id AS "Exec id"
FROM ibkr_trades
WHERE $__timeFilter(trade_time) AND ${FILTERS}
ORDER BY trade_time DESC
LIMIT 1000`,
  roundTrips: `SELECT id AS "Round trip", account AS "Account", symbol AS "Symbol", sec_type AS "Type",
  open_time AS "Opened", close_time AS "Closed", fills AS "Fills", realized_pnl AS "Realized",
  commissions AS "Commissions", currency AS "Currency", basis AS "Basis",
  opened_before_ledger AS "Held before the ledger"
FROM ibkr_round_trips
WHERE status = 'closed' AND $__timeFilter(close_time) AND ${FILTERS}
ORDER BY close_time DESC
LIMIT 500`,
  roundTripFills: `SELECT trade_time AS "Time", side AS "Side", qty AS "Qty", price AS "Price",
  commission AS "Commission", realized_pnl AS "Realized", basis AS "Basis", exec_id AS "Exec id"
FROM ibkr_round_trip_fills
WHERE round_trip_id::text = '$round_trip'
ORDER BY trade_time, exec_id`,
  winRate: `SELECT count(*) FILTER (WHERE realized_pnl > 0)::float8 / nullif(count(*), 0) AS "Win rate"
FROM ibkr_round_trips
WHERE ${CLOSED}`,
  averageWin: `SELECT now() AS time, 'Average win ' || currency AS metric,
  avg(realized_pnl) FILTER (WHERE realized_pnl > 0) AS value
FROM ibkr_round_trips
WHERE ${CLOSED}
GROUP BY currency
ORDER BY 2`,
  averageLoss: `SELECT now() AS time, 'Average loss ' || currency AS metric,
  avg(realized_pnl) FILTER (WHERE realized_pnl < 0) AS value
FROM ibkr_round_trips
WHERE ${CLOSED}
GROUP BY currency
ORDER BY 2`,
  realizedPerDay: `SELECT $__timeGroupAlias(day, 1d), 'Realized ' || currency AS metric, sum(realized_pnl) AS value
FROM ibkr_daily_realized
WHERE $__timeFilter(day) AND ${ACCOUNTS}
GROUP BY 1, 2
ORDER BY 1`,
  realizedPerMonth: perMonth('realized_pnl', 'Realized'),
  realizedByBasis: `SELECT basis AS "Basis", currency AS "Currency", sum(realized_pnl) AS "Realized",
  sum(fills) AS "Fills", min(day) AS "First day", max(day) AS "Last day"
FROM ibkr_daily_realized
WHERE $__timeFilter(day) AND ${ACCOUNTS} AND basis IS NOT NULL
GROUP BY 1, 2
ORDER BY 2, 1`,
  commissionsPerMonth: perMonth('commissions', 'Commissions'),
} as const;

export const TRADES_VARIABLES = {
  account: 'SELECT DISTINCT account FROM ibkr_trades ORDER BY 1',
  symbol: 'SELECT DISTINCT symbol FROM ibkr_trades WHERE account IN ($account) ORDER BY 1',
} as const;

const table = (title: string, description: string, sql: string) =>
  new Table().title(title).description(description).datasource(LEDGER).withTarget(new SqlQuery(sql)).span(24);

const bars = (title: string, description: string, sql: string) =>
  new TimeSeries()
    .title(title)
    .description(description)
    .datasource(LEDGER)
    .withTarget(new SqlQuery(sql, 'time_series'))
    .drawStyle(GraphDrawStyle.Bars)
    .fillOpacity(80)
    .decimals(2)
    .overrides(moneyOverrides())
    .height(8)
    .span(8);

const stat = (title: string, description: string, sql: string, format: 'table' | 'time_series') =>
  new Stat()
    .title(title)
    .description(description)
    .datasource(LEDGER)
    .withTarget(new SqlQuery(sql, format))
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']))
    .graphMode(BigValueGraphMode.None)
    .height(5)
    .span(8);

export function trades(): Dashboard {
  const builder = new DashboardBuilder('IBKR / Trades & history')
    .uid(UID.trades)
    .description(
      'The ledger of an Interactive Brokers account from its SQL views: every fill, the closed round trips (flat to flat) and realized PnL over time.',
    )
    .tags([TAG])
    .time({ from: 'now-90d', to: 'now' })
    .refresh('1m')
    .readonly()
    .withVariable(ledgerVariable())
    .withVariable(sqlVariable('account', 'Account', TRADES_VARIABLES.account))
    .withVariable(sqlVariable('symbol', 'Symbol', TRADES_VARIABLES.symbol))
    .withVariable(new TextBoxVariableBuilder('round_trip').label('Round trip').defaultValue(''))
    .link(dashboardsLink())

    .withRow(new RowBuilder('Round trips'))
    .withPanel(
      stat(
        'Win rate',
        'Share of the closed round trips in the time range (by close time) whose realized PnL, net of commissions, is above 0, whatever their basis (see the Basis column below).',
        TRADES_SQL.winRate,
        'table',
      ).unit('percentunit'),
    )
    .withPanel(
      stat(
        'Average win',
        'Average realized PnL of the winning closed round trips, per currency, whatever their basis (see the Basis column below).',
        TRADES_SQL.averageWin,
        'time_series',
      )
        .decimals(2)
        .overrides(moneyOverrides())
        .thresholds(pnlThresholds())
        .colorScheme(thresholdColours()),
    )
    .withPanel(
      stat(
        'Average loss',
        'Average realized PnL of the losing closed round trips, per currency, whatever their basis (see the Basis column below).',
        TRADES_SQL.averageLoss,
        'time_series',
      )
        .decimals(2)
        .overrides(moneyOverrides())
        .thresholds(pnlThresholds())
        .colorScheme(thresholdColours()),
    )
    .withPanel(
      table(
        'Closed round trips',
        `Positions from flat to flat, newest first. "Opened" is empty for a position held before the ledger began. Click a round trip to list its fills below. ${BASIS}`,
        TRADES_SQL.roundTrips,
      )
        .height(9)
        .overrideByName('Round trip', [
          {
            id: 'links',
            value: [
              {
                title: 'Fills of round trip ${__value.raw}',
                url: `/d/${UID.trades}?var-round_trip=\${__value.raw}&\${account:queryparam}&\${symbol:queryparam}&\${__url_time_range}`,
              },
            ],
          },
        ]),
    )
    .withPanel(
      table(
        'Fills of round trip $round_trip',
        `The fills of the round trip picked above, oldest first. A fill that flipped the position appears in both round trips with its part of the quantity; its commission and realized PnL count in the one it closed. Basis: where the fill's realized PnL came from, api (IB's average cost) or flex (FIFO by tax lot, from a statement).`,
        TRADES_SQL.roundTripFills,
      ).height(7),
    )

    .withRow(new RowBuilder('Realized PnL'))
    .withPanel(
      bars(
        'Realized PnL per day',
        'Realized PnL (net of commissions) per UTC day, from the commission reports of every symbol of the selected accounts, on the basis of each day (Realized PnL by basis, below, says which).',
        TRADES_SQL.realizedPerDay,
      ),
    )
    .withPanel(
      bars(
        'Realized PnL per month',
        'Realized PnL (net of commissions) per calendar month (UTC) of every symbol of the selected accounts, on the basis of its days (Realized PnL by basis, below, says which).',
        TRADES_SQL.realizedPerMonth,
      ),
    )
    .withPanel(
      bars(
        'Commissions per month',
        'Commissions per calendar month (UTC) of every symbol of the selected accounts.',
        TRADES_SQL.commissionsPerMonth,
      ),
    )
    .withPanel(
      table(
        'Realized PnL by basis',
        `The realized PnL of the time range split by the basis of its days (a day with fills of both is mixed), so a total made of average-cost and FIFO numbers is visible as such. ${BASIS}`,
        TRADES_SQL.realizedByBasis,
      ).height(5),
    )

    .withRow(new RowBuilder('Trades'))
    .withPanel(
      table(
        'Trade blotter',
        "Every stored fill with its commission report, newest first (at most 1000). Money is in the currency of each row. Basis: where the commission report came from, api (the API's: IB's average cost) or flex (a Flex statement: FIFO by tax lot).",
        TRADES_SQL.blotter,
      ).height(12),
    );
  return finish(builder);
}
