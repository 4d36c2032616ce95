import { readFileSync, readdirSync } from 'node:fs';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { seriesNames } from '../prometheus/src/promql.js';
import { PROVISIONED_DATASOURCE_UID } from './src/common.js';
import { DASHBOARDS, renderDashboards } from './src/dashboards.js';
import { POSTGRES_TYPE, PROVISIONED_LEDGER_UID } from './src/sql.js';

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');

type Target = { expr?: string; legendFormat?: string; datasource?: { uid?: string } };
type Panel = {
  id?: number;
  type: string;
  title?: string;
  datasource?: { uid?: string };
  targets?: Target[];
  fieldConfig?: { overrides?: Array<{ matcher: { id: string; options: string }; properties: unknown[] }> };
};

const built = DASHBOARDS.map(({ file, build, source }) => ({ file, source, dashboard: build() }));
const onPrometheus = built.filter((d) => d.source === 'prometheus');
const VARIABLE = { prometheus: '${datasource}', ledger: '${ledger}' } as const;
const panelsOf = (d: Dashboard) => (d.panels ?? []) as Panel[];

// Money metrics: what the exporter exports in a currency, and the recording rules built on them.
const MONEY =
  /(_pnl|_market_value|_average_cost|_commissions|_net_liquidation|_excess_liquidity|_margin|_cash|_funds|_buying_power|_position_value)(:sum)?$/;

describe('generated dashboards', () => {
  it('are committed exactly as `npm run dashboards` generates them', async () => {
    const rendered = await renderDashboards();
    const committed = readdirSync(new URL('dashboards/', import.meta.url)).filter((f) => f.endsWith('.json'));
    expect(committed.sort()).toEqual([...rendered.keys()].sort());
    for (const [file, json] of rendered) expect(read(`dashboards/${file}`), file).toBe(json);
  });

  it('have the stable uids and titles that links and bookmarks rely on', () => {
    expect(built.map(({ dashboard: d }) => [d.uid, d.title])).toEqual([
      ['ibkr-portfolio', 'IBKR / Portfolio'],
      ['ibkr-position', 'IBKR / Position'],
      ['ibkr-gateway-health', 'IBKR / Gateway health'],
      ['ibkr-trades', 'IBKR / Trades & history'],
    ]);
    for (const { dashboard } of built) expect(dashboard.tags).toContain('ibkr');
  });

  it('each have a Prometheus datasource variable defaulting to the provisioned uid, and an account variable', () => {
    for (const { dashboard } of onPrometheus) {
      const variables = dashboard.templating?.list ?? [];
      const datasource = variables.find((v) => v.name === 'datasource');
      expect(datasource, dashboard.title).toMatchObject({
        type: 'datasource',
        query: 'prometheus',
        current: { value: PROVISIONED_DATASOURCE_UID },
      });
      const account = variables.find((v) => v.name === 'account');
      expect(account, dashboard.title).toMatchObject({ type: 'query' });
      expect(String(account?.query)).toMatch(/^label_values\(ibkr_account_net_liquidation.*, account\)$/);
    }
  });

  it('the ledger dashboard has a PostgreSQL datasource variable defaulting to the provisioned uid, and SQL variables', () => {
    const ledger = built.filter((d) => d.source === 'ledger');
    expect(ledger.map((d) => d.dashboard.uid)).toEqual(['ibkr-trades']);
    const variables = ledger[0]!.dashboard.templating?.list ?? [];
    expect(variables.find((v) => v.name === 'ledger')).toMatchObject({
      type: 'datasource',
      query: POSTGRES_TYPE,
      current: { value: PROVISIONED_LEDGER_UID },
    });
    expect(String(variables.find((v) => v.name === 'account')?.query)).toMatch(
      /^SELECT DISTINCT account FROM ibkr_trades/,
    );
  });

  it('query the selected datasource in every panel and target, with unique panel ids', () => {
    for (const { dashboard, source } of built) {
      const panels = panelsOf(dashboard);
      expect(new Set(panels.map((p) => p.id)).size, dashboard.title).toBe(panels.length);
      for (const panel of panels.filter((p) => p.type !== 'row')) {
        expect(panel.datasource?.uid, `${dashboard.title} / ${panel.title}`).toBe(VARIABLE[source]);
        expect(panel.targets?.length, `${dashboard.title} / ${panel.title}`).toBeGreaterThan(0);
        for (const target of panel.targets ?? []) expect(target.datasource?.uid).toBe(VARIABLE[source]);
      }
    }
  });

  it('show money with the unit of its currency: legends end with the currency and one override per currency', () => {
    let moneyPanels = 0;
    for (const { dashboard } of built) {
      for (const panel of panelsOf(dashboard)) {
        const targets = panel.targets ?? [];
        const money = targets.some((t) => seriesNames(t.expr ?? '').some((n) => MONEY.test(n)));
        // The table shows many positions per column; Grafana has one unit per column, not per row.
        if (!money || panel.type === 'table') continue;
        moneyPanels++;
        const where = `${dashboard.title} / ${panel.title}`;
        for (const target of targets) expect(target.legendFormat, where).toMatch(/\{\{currency\}\}$/);
        const overrides = panel.fieldConfig?.overrides ?? [];
        expect(overrides, where).toContainEqual({
          matcher: { id: 'byRegexp', options: '.* USD' },
          properties: [{ id: 'unit', value: 'currencyUSD' }],
        });
        expect(overrides, where).toContainEqual({
          matcher: { id: 'byRegexp', options: '.* EUR' },
          properties: [{ id: 'unit', value: 'currencyEUR' }],
        });
      }
    }
    expect(moneyPanels).toBeGreaterThan(10);
  });
});

// Series that carry the ledger's `basis` label (docs/metrics.md), recording rules that keep it.
const BASIS = new Set([
  'ibkr_position_realized_pnl',
  'ibkr_position_total_pnl',
  'ibkr_account_ledger_realized_pnl',
  'account:ibkr_total_pnl:sum',
]);

describe('the basis of realized PnL on the dashboards', () => {
  it('is named in the legend of every panel target that reads a basis-labelled series', () => {
    let targets = 0;
    for (const { dashboard } of onPrometheus) {
      for (const panel of panelsOf(dashboard)) {
        // The position table sums by position (basis dropped) and says so in its description.
        if (panel.type === 'table') continue;
        for (const target of panel.targets ?? []) {
          if (!seriesNames(target.expr ?? '').some((n) => BASIS.has(n))) continue;
          targets++;
          expect(target.legendFormat, `${dashboard.title} / ${panel.title}`).toMatch(/\{\{basis\}\}/);
          expect((panel as { description?: string }).description).toMatch(/FIFO by tax lot/);
        }
      }
    }
    expect(targets).toBeGreaterThanOrEqual(6);
  });
});

describe('grafana provisioning', () => {
  it('provisions Prometheus with the uid the dashboards default to', () => {
    const config = parse(read('provisioning/datasources/prometheus.yaml')) as {
      datasources: Array<{ uid: string; type: string }>;
    };
    expect(config.datasources).toEqual([
      expect.objectContaining({ uid: PROVISIONED_DATASOURCE_UID, type: 'prometheus' }),
    ]);
  });

  it('loads the dashboards from a file provider into the IBKR folder', () => {
    const config = parse(read('provisioning/dashboards/ibkr.yaml')) as {
      providers: Array<{ folder: string; type: string; options: { path: string } }>;
    };
    expect(config.providers).toEqual([
      expect.objectContaining({
        folder: 'IBKR',
        type: 'file',
        options: expect.objectContaining({ path: '/var/lib/grafana/dashboards/ibkr' }),
      }),
    ]);
  });
});
