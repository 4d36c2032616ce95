// IBKR / Position: one symbol in depth (all its contracts: the stock, its options, …): size,
// average cost and PnL now and over time. Reached from the Portfolio table's symbol links.
import {
  BigValueGraphMode,
  LegendDisplayMode,
  LegendPlacement,
  LineInterpolation,
  ReduceDataOptionsBuilder,
  VizLegendOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import { DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as Stat } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeSeries } from '@grafana/grafana-foundation-sdk/timeseries';
import {
  DATASOURCE,
  TAG,
  UID,
  BASIS_DESCRIPTION,
  accountVariable,
  dashboardsLink,
  datasourceVariable,
  finish,
  labelVariable,
  moneyOverrides,
  pnlThresholds,
  query,
  thresholdColours,
} from './common.js';

const POSITION = 'account=~"$account", symbol="$symbol"';
const CONTRACT_LEGEND = '{{account}} {{sec_type}} {{con_id}}';
const MONEY_LEGEND = '{{account}} {{sec_type}} {{currency}}';
/** Money from the ledger's realized PnL: its basis before the currency, which ends every money legend. */
const REALIZED_LEGEND = '{{account}} {{sec_type}} {{basis}} {{currency}}';

function stat(
  title: string,
  description: string,
  metric: string,
  kind: 'count' | 'money' | 'pnl' | 'realized',
): Stat {
  const legend = {
    count: CONTRACT_LEGEND,
    money: MONEY_LEGEND,
    pnl: MONEY_LEGEND,
    realized: REALIZED_LEGEND,
  };
  const panel = new Stat()
    .title(title)
    .description(kind === 'realized' ? `${description} ${BASIS_DESCRIPTION}` : description)
    .datasource(DATASOURCE)
    .withTarget(query(`${metric}{${POSITION}}`, legend[kind]))
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']))
    .graphMode(BigValueGraphMode.None)
    .height(5)
    .span(6);
  if (kind !== 'count') panel.decimals(2).overrides(moneyOverrides());
  if (kind === 'pnl' || kind === 'realized')
    panel.thresholds(pnlThresholds()).colorScheme(thresholdColours());
  return panel;
}

function history(title: string, description: string): TimeSeries {
  return new TimeSeries()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .legend(
      new VizLegendOptionsBuilder().displayMode(LegendDisplayMode.Table).placement(LegendPlacement.Bottom),
    )
    .height(9)
    .span(12);
}

export function position(): Dashboard {
  const builder = new DashboardBuilder('IBKR / Position')
    .uid(UID.position)
    .description('One symbol of an Interactive Brokers account: quantity, average cost and PnL history.')
    .tags([TAG])
    .time({ from: 'now-7d', to: 'now' })
    .refresh('30s')
    .readonly()
    .withVariable(datasourceVariable())
    .withVariable(accountVariable())
    .withVariable(labelVariable('symbol', 'Symbol', 'ibkr_position_quantity{account=~"$account"}'))
    .link(dashboardsLink())

    .withRow(new RowBuilder('Now'))
    .withPanel(
      stat(
        'Quantity',
        'Position size from reqPositions (shares, contracts).',
        'ibkr_position_quantity',
        'count',
      ),
    )
    .withPanel(
      stat(
        'Average cost',
        'From reqPositions, in the contract currency: per share for stocks, per contract including the multiplier for options and futures.',
        'ibkr_position_average_cost',
        'money',
      ),
    )
    .withPanel(
      stat(
        'Market value',
        'From reqPnLSingle, in the account base currency.',
        'ibkr_position_market_value',
        'money',
      ),
    )
    .withPanel(
      stat(
        'Commissions',
        'Sum over the stored commission reports of the current round trip (since the position was last flat).',
        'ibkr_position_commissions',
        'money',
      ),
    )
    .withPanel(
      stat(
        'Unrealized PnL',
        'From reqPnLSingle, in the account base currency.',
        'ibkr_position_unrealized_pnl',
        'pnl',
      ),
    )
    .withPanel(
      stat('Daily PnL', "From reqPnLSingle, since IB's daily reset.", 'ibkr_position_daily_pnl', 'pnl'),
    )
    .withPanel(
      stat(
        'Realized PnL',
        'Realized PnL (net of commission) of the current round trip (since the position was last flat); all-time figures are on IBKR / Trades & history.',
        'ibkr_position_realized_pnl',
        'realized',
      ),
    )
    .withPanel(
      stat(
        'Total PnL',
        'Realized plus unrealized, when both are known in the same currency.',
        'ibkr_position_total_pnl',
        'realized',
      ),
    )

    .withRow(new RowBuilder('History'))
    .withPanel(
      history(
        'PnL history',
        `Unrealized, daily, realized and total PnL of each contract of the symbol. Realized and total: ${BASIS_DESCRIPTION}`,
      )
        .decimals(2)
        .overrides(moneyOverrides())
        .withTarget(query(`ibkr_position_unrealized_pnl{${POSITION}}`, `Unrealized ${MONEY_LEGEND}`))
        .withTarget(query(`ibkr_position_daily_pnl{${POSITION}}`, `Daily ${MONEY_LEGEND}`))
        .withTarget(query(`ibkr_position_realized_pnl{${POSITION}}`, `Realized ${REALIZED_LEGEND}`))
        .withTarget(query(`ibkr_position_total_pnl{${POSITION}}`, `Total ${REALIZED_LEGEND}`)),
    )
    .withPanel(
      history('Quantity', 'Position size over time; steps are fills.')
        .lineInterpolation(LineInterpolation.StepAfter)
        .withTarget(query(`ibkr_position_quantity{${POSITION}}`, CONTRACT_LEGEND)),
    )
    .withPanel(
      history(
        'Average cost',
        'Average cost over time, in the contract currency; it moves when a fill adds to the position.',
      )
        .decimals(2)
        .overrides(moneyOverrides())
        .lineInterpolation(LineInterpolation.StepAfter)
        .withTarget(query(`ibkr_position_average_cost{${POSITION}}`, MONEY_LEGEND)),
    )
    .withPanel(
      history('Market value', 'Market value over time, in the account base currency.')
        .decimals(2)
        .overrides(moneyOverrides())
        .withTarget(query(`ibkr_position_market_value{${POSITION}}`, MONEY_LEGEND)),
    );
  return finish(builder);
}
