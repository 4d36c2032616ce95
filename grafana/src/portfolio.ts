// IBKR / Portfolio: the account at a glance (stat row), PnL over time, the position table, top
// movers and allocation.
import { PanelBuilder as BarGauge } from '@grafana/grafana-foundation-sdk/bargauge';
import {
  BarGaugeDisplayMode,
  BigValueGraphMode,
  LegendDisplayMode,
  LegendPlacement,
  ReduceDataOptionsBuilder,
  VizLegendOptionsBuilder,
  VizOrientation,
} from '@grafana/grafana-foundation-sdk/common';
import { DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import type { Dashboard, DynamicConfigValue } from '@grafana/grafana-foundation-sdk/dashboard';
import {
  PanelBuilder as PieChart,
  PieChartLegendOptionsBuilder,
  PieChartLegendValues,
  PieChartType,
} from '@grafana/grafana-foundation-sdk/piechart';
import { PanelBuilder as Stat } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as Table } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeSeries } from '@grafana/grafana-foundation-sdk/timeseries';
import {
  BASIS_DESCRIPTION,
  DATASOURCE,
  TAG,
  UID,
  accountVariable,
  dashboardsLink,
  datasourceVariable,
  finish,
  moneyOverrides,
  pnlThresholds,
  query,
  tableQuery,
  thresholdColours,
} from './common.js';

const ACCOUNT = 'account=~"$account"';
const ACCOUNT_LEGEND = '{{account}} {{currency}}';
/** The legend of the total PnL, whose realized part is the ledger's: its basis before the currency. */
const TOTAL_LEGEND = '{{account}} {{basis}} {{currency}}';

function lastValue(): ReduceDataOptionsBuilder {
  return new ReduceDataOptionsBuilder().calcs(['lastNotNull']);
}

/** One big number per account, in the account's currency. */
function moneyStat(
  title: string,
  description: string,
  expr: string,
  signed: boolean,
  legend = ACCOUNT_LEGEND,
): Stat {
  const panel = new Stat()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .withTarget(query(expr, legend))
    .reduceOptions(lastValue())
    .graphMode(BigValueGraphMode.Area)
    .decimals(2)
    .overrides(moneyOverrides())
    .height(5)
    .span(4);
  return signed ? panel.thresholds(pnlThresholds()).colorScheme(thresholdColours()) : panel;
}

function moneyTimeSeries(title: string, description: string): TimeSeries {
  return new TimeSeries()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .decimals(2)
    .overrides(moneyOverrides())
    .legend(
      new VizLegendOptionsBuilder().displayMode(LegendDisplayMode.Table).placement(LegendPlacement.Bottom),
    )
    .height(9)
    .span(12);
}

// The position table: one instant query per column, merged on the position's labels. `sum by`
// drops `currency`, which differs between the quantity (contract currency) and the PnL columns
// (base currency), so every column of a position lands on one row.
const POSITION_KEY = 'account, con_id, symbol, sec_type';
const COLUMNS: Array<{ refId: string; metric: string; name: string; pnl?: boolean; money?: boolean }> = [
  { refId: 'A', metric: 'ibkr_position_quantity', name: 'Quantity' },
  { refId: 'B', metric: 'ibkr_position_average_cost', name: 'Average cost', money: true },
  { refId: 'C', metric: 'ibkr_position_market_value', name: 'Market value', money: true },
  { refId: 'D', metric: 'ibkr_position_unrealized_pnl', name: 'Unrealized', pnl: true },
  { refId: 'E', metric: 'ibkr_position_realized_pnl', name: 'Realized', pnl: true },
  { refId: 'F', metric: 'ibkr_position_daily_pnl', name: 'Daily', pnl: true },
  { refId: 'G', metric: 'ibkr_position_total_pnl', name: 'Total', pnl: true },
  { refId: 'H', metric: 'ibkr_position_commissions', name: 'Commissions', money: true },
];

function positionTable(): Table {
  const table = new Table()
    .title('Positions')
    .description(
      "Every position the gateway reports. Average cost is in the contract currency and per contract including the multiplier; market value and PnL in the account base currency; realized PnL and commissions come from the ledger's commission reports, realized and total on the basis IBKR / Position shows (api = IB's average cost, flex = FIFO by tax lot from a Flex statement, mixed = both). Click a symbol for its history.",
    )
    .datasource(DATASOURCE)
    .targets(COLUMNS.map((c) => tableQuery(`sum by (${POSITION_KEY}) (${c.metric}{${ACCOUNT}})`, c.refId)))
    .withTransformation({ id: 'merge', options: {} })
    .withTransformation({
      id: 'organize',
      options: {
        excludeByName: { Time: true, con_id: true },
        indexByName: Object.fromEntries(
          ['account', 'symbol', 'sec_type', ...COLUMNS.map((c) => `Value #${c.refId}`)].map((n, i) => [n, i]),
        ),
        renameByName: {
          account: 'Account',
          symbol: 'Symbol',
          sec_type: 'Type',
          ...Object.fromEntries(COLUMNS.map((c) => [`Value #${c.refId}`, c.name])),
        },
      },
    })
    .sortBy([])
    .height(10)
    .span(24);
  for (const column of COLUMNS) {
    const properties: DynamicConfigValue[] = [];
    if (column.money || column.pnl) properties.push({ id: 'decimals', value: 2 });
    if (column.pnl) {
      properties.push(
        { id: 'custom.cellOptions', value: { type: 'color-text' } },
        { id: 'thresholds', value: pnlThresholds().build() },
        { id: 'color', value: thresholdColours().build() },
      );
    }
    if (properties.length > 0) table.overrideByName(column.name, properties);
  }
  table.overrideByName('Symbol', [
    {
      id: 'links',
      value: [
        {
          title: 'Position history',
          url: `/d/${UID.position}?\${__url_time_range}&\${datasource:queryparam}&var-account=\${__data.fields.Account}&var-symbol=\${__value.raw}`,
        },
      ],
    },
  ]);
  return table;
}

export function portfolio(): Dashboard {
  const builder = new DashboardBuilder('IBKR / Portfolio')
    .uid(UID.portfolio)
    .description('Interactive Brokers accounts from ibkr-pnl-exporter: value, PnL, positions.')
    .tags([TAG])
    .time({ from: 'now-1d', to: 'now' })
    .refresh('30s')
    .readonly()
    .withVariable(datasourceVariable())
    .withVariable(accountVariable())
    .link(dashboardsLink())

    .withRow(new RowBuilder('Account'))
    .withPanel(
      moneyStat(
        'Net liquidation',
        'NetLiquidation from reqAccountSummary.',
        `ibkr_account_net_liquidation{${ACCOUNT}}`,
        false,
      ),
    )
    .withPanel(
      moneyStat(
        'Daily PnL',
        "reqPnL's daily PnL, since IB's daily reset.",
        `ibkr_account_daily_pnl{${ACCOUNT}}`,
        true,
      ),
    )
    .withPanel(
      moneyStat(
        'Unrealized PnL',
        "reqPnL's unrealized PnL of the open positions.",
        `ibkr_account_unrealized_pnl{${ACCOUNT}}`,
        true,
      ),
    )
    .withPanel(
      moneyStat(
        'Realized PnL today',
        "reqPnL's realized PnL since IB's daily reset: IB's own figure, on its average-cost basis.",
        `ibkr_account_realized_pnl{${ACCOUNT}}`,
        true,
      ),
    )
    .withPanel(
      moneyStat(
        'Total PnL',
        `Unrealized (reqPnL) plus the realized PnL of every stored commission report, closed positions included. ${BASIS_DESCRIPTION}`,
        `account:ibkr_total_pnl:sum{${ACCOUNT}}`,
        true,
        TOTAL_LEGEND,
      ),
    )
    .withPanel(
      moneyStat(
        'Excess liquidity',
        'ExcessLiquidity from reqAccountSummary; IB liquidates at 0. IbkrExcessLiquidityLow fires below ibkr:threshold:excess_liquidity_min.',
        `ibkr_account_excess_liquidity{${ACCOUNT}}`,
        false,
      ),
    )

    .withRow(new RowBuilder('PnL'))
    .withPanel(
      moneyTimeSeries(
        'PnL over time',
        `Daily and unrealized PnL from reqPnL, and total PnL per account. Total: ${BASIS_DESCRIPTION}`,
      )
        .withTarget(query(`ibkr_account_daily_pnl{${ACCOUNT}}`, `Daily ${ACCOUNT_LEGEND}`))
        .withTarget(query(`ibkr_account_unrealized_pnl{${ACCOUNT}}`, `Unrealized ${ACCOUNT_LEGEND}`))
        .withTarget(query(`account:ibkr_total_pnl:sum{${ACCOUNT}}`, `Total ${TOTAL_LEGEND}`)),
    )
    .withPanel(
      moneyTimeSeries('Account value', 'Net liquidation, excess liquidity and maintenance margin over time.')
        .withTarget(query(`ibkr_account_net_liquidation{${ACCOUNT}}`, `Net liquidation ${ACCOUNT_LEGEND}`))
        .withTarget(query(`ibkr_account_excess_liquidity{${ACCOUNT}}`, `Excess liquidity ${ACCOUNT_LEGEND}`))
        .withTarget(query(`ibkr_account_maint_margin{${ACCOUNT}}`, `Maintenance margin ${ACCOUNT_LEGEND}`)),
    )

    .withRow(new RowBuilder('Positions'))
    .withPanel(positionTable())
    .withPanel(
      new BarGauge()
        .title('Top movers today')
        .description('The five best and five worst positions by daily PnL (reqPnLSingle).')
        .datasource(DATASOURCE)
        .withTarget(
          query(
            `topk(5, ibkr_position_daily_pnl{${ACCOUNT}}) or bottomk(5, ibkr_position_daily_pnl{${ACCOUNT}})`,
            '{{symbol}} {{sec_type}} {{currency}}',
          ).instant(),
        )
        .reduceOptions(lastValue())
        .displayMode(BarGaugeDisplayMode.Basic)
        .orientation(VizOrientation.Horizontal)
        .thresholds(pnlThresholds())
        .colorScheme(thresholdColours())
        .decimals(2)
        .overrides(moneyOverrides())
        .height(10)
        .span(12),
    )
    .withPanel(
      new PieChart()
        .title('Allocation by position')
        .description(
          'Share of each position in the gross market value of its account (shorts by their size).',
        )
        .datasource(DATASOURCE)
        .withTarget(
          query(
            `position:ibkr_position_allocation:ratio{${ACCOUNT}}`,
            '{{account}} {{symbol}} {{sec_type}}',
          ).instant(),
        )
        .reduceOptions(lastValue())
        .pieType(PieChartType.Donut)
        .unit('percentunit')
        .legend(
          new PieChartLegendOptionsBuilder()
            .displayMode(LegendDisplayMode.Table)
            .placement(LegendPlacement.Right)
            .values([PieChartLegendValues.Percent]),
        )
        .height(10)
        .span(12),
    );
  return finish(builder);
}
