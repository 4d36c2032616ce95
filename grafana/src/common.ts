// Pieces every IBKR dashboard shares: the datasource and account variables, Prometheus queries on
// the selected datasource, money units by currency, PnL colours and the links between dashboards.
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import {
  DashboardLinkBuilder,
  DashboardLinkType,
  DatasourceVariableBuilder,
  FieldColorBuilder,
  FieldColorModeId,
  MappingType,
  QueryVariableBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import type { Dashboard, DynamicConfigValue, ValueMapping } from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';

/** Tag shared by the IBKR dashboards; the dashboard links list every dashboard with it. */
export const TAG = 'ibkr';

/** Every panel queries the datasource picked in the `datasource` variable. */
export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

/** The uid of the provisioned Prometheus datasource (grafana/provisioning/datasources). */
export const PROVISIONED_DATASOURCE_UID = 'prometheus';

/** The dashboards' uids; stable, so links and bookmarks survive regeneration. */
export const UID = {
  portfolio: 'ibkr-portfolio',
  position: 'ibkr-position',
  gatewayHealth: 'ibkr-gateway-health',
  trades: 'ibkr-trades',
} as const;

export function datasourceVariable(): DatasourceVariableBuilder {
  return new DatasourceVariableBuilder('datasource')
    .label('Data source')
    .type('prometheus')
    .current({ text: 'Prometheus', value: PROVISIONED_DATASOURCE_UID });
}

/** A variable named after a label, filled with its values: label_values(<series>, <name>). */
export function labelVariable(
  name: string,
  title: string,
  series: string,
  options: { multi?: boolean } = {},
): QueryVariableBuilder {
  const definition = `label_values(${series}, ${name})`;
  const variable = new QueryVariableBuilder(name)
    .label(title)
    .datasource(DATASOURCE)
    .query(definition)
    .definition(definition)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc);
  if (options.multi) variable.multi(true).includeAll(true).allValue('.+');
  return variable;
}

/**
 * What a realized PnL panel says of its basis (the `basis` label, docs/metrics.md): the legends of
 * those panels name it, so a series on a new basis shows as a new line rather than a silent jump.
 */
export const BASIS_DESCRIPTION =
  "Its basis is in the legend: api = IB's average cost (commission reports), flex = FIFO by tax lot (an imported Flex statement), mixed = a sum of both, never converted.";

/** Accounts the exporter reports; every dashboard filters on it. */
export function accountVariable(): QueryVariableBuilder {
  return labelVariable('account', 'Account', 'ibkr_account_net_liquidation', { multi: true });
}

export function query(expr: string, legend?: string, refId?: string): DataqueryBuilder {
  const builder = new DataqueryBuilder().expr(expr).datasource(DATASOURCE);
  if (legend !== undefined) builder.legendFormat(legend);
  if (refId !== undefined) builder.refId(refId);
  return builder;
}

/** An instant query in table format, for table panels. */
export function tableQuery(expr: string, refId: string): DataqueryBuilder {
  return query(expr, undefined, refId).instant().format(PromQueryFormat.Table);
}

/**
 * Grafana cannot take a unit from a label or a variable (grafana/grafana#32902), so money panels
 * put the `currency` label last in every legend and get one override per currency: Grafana's own
 * currency unit where it has one, the code as a suffix otherwise. The common base currencies of
 * IB accounts; another one shows as a plain number with its code in the legend.
 */
const CURRENCY_UNITS: Record<string, string> = {
  USD: 'currencyUSD',
  EUR: 'currencyEUR',
  GBP: 'currencyGBP',
  CHF: 'currencyCHF',
  JPY: 'currencyJPY',
  SEK: 'currencySEK',
  NOK: 'currencyNOK',
  DKK: 'currencyDKK',
  CAD: 'suffix: CAD',
  AUD: 'suffix: AUD',
  HKD: 'suffix: HKD',
  SGD: 'suffix: SGD',
};

export const CURRENCIES = Object.keys(CURRENCY_UNITS);

/** The field overrides that give a money series the unit of the currency its name ends with. */
export function moneyOverrides(): Array<{
  matcher: { id: string; options: string };
  properties: DynamicConfigValue[];
}> {
  return Object.entries(CURRENCY_UNITS).map(([code, unit]) => ({
    matcher: { id: 'byRegexp', options: `.* ${code}` },
    properties: [{ id: 'unit', value: unit }],
  }));
}

/** Negative money red, zero and positive green. */
export function pnlThresholds(): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([
    { value: null, color: 'red' },
    { value: 0, color: 'green' },
  ]);
}

export function thresholdColours(): FieldColorBuilder {
  return new FieldColorBuilder().mode(FieldColorModeId.Thresholds);
}

/** Text and colour for the two values of a 0/1 gauge; by default 1 is good (green). */
export function booleanMappings(one: string, zero: string, oneIsGood = true): ValueMapping[] {
  const [good, bad] = ['green', 'red'];
  return [
    {
      type: MappingType.ValueToText,
      options: {
        '1': { text: one, color: oneIsGood ? good : bad, index: 0 },
        '0': { text: zero, color: oneIsGood ? bad : good, index: 1 },
      },
    },
  ];
}

/** A dropdown of every IBKR dashboard, keeping the time range and the variables. */
export function dashboardsLink(): DashboardLinkBuilder {
  return new DashboardLinkBuilder('IBKR dashboards')
    .type(DashboardLinkType.Dashboards)
    .tags([TAG])
    .asDropdown(true)
    .includeVars(true)
    .keepTime(true);
}

/** Numbers the panels 1, 2, … in layout order, so generation is deterministic and ids are unique. */
export function finish(builder: cog.Builder<Dashboard>): Dashboard {
  const dashboard = builder.build();
  let id = 0;
  for (const panel of dashboard.panels ?? []) panel.id = ++id;
  return dashboard;
}
