// Every series the rules and dashboards read must exist: ibkr_* metrics in the exporter's golden
// /metrics (exporter/test/golden/basic.prom), recording rule names in the recording rules.
import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { FlexScheduleStatus } from '../exporter/src/flex/schedule-status.js';
import { flexCollector } from '../exporter/src/metrics/flex-collector.js';
import { panelQueries, variableQueries } from '../grafana/src/queries.js';
import { DASHBOARDS } from '../grafana/src/dashboards.js';
import { exporterMetricNames, seriesNames } from './src/promql.js';
import { alertRules, recordingRules } from './src/rule-files.js';

const golden = readFileSync(new URL('../exporter/test/golden/basic.prom', import.meta.url), 'utf8');
const exported = new Set([...golden.matchAll(/^# TYPE (\w+) /gm)].map((m) => m[1]!));
// The Flex collector is registered only with IBKR_FLEX_* set, so the golden file has none of it.
const flexRegistry = new Registry();
flexCollector(flexRegistry, new FlexScheduleStatus());
for (const metric of flexRegistry.getMetricsAsArray()) exported.add(metric.name);

const dashboards = DASHBOARDS.map(({ build }) => build());
const expressions: Array<{ where: string; expr: string }> = [
  ...alertRules().map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })),
  ...recordingRules().map((r) => ({ where: `record ${r.record}`, expr: r.expr })),
  ...dashboards.flatMap(panelQueries).map((q) => ({ where: `${q.dashboard} / ${q.panel}`, expr: q.expr })),
  ...dashboards
    .flatMap(variableQueries)
    .map((q) => ({ where: `${q.dashboard} $${q.variable}`, expr: q.series })),
];

describe('metric names', () => {
  it('reads only ibkr_* metrics that the exporter exports (golden /metrics)', () => {
    const missing = expressions.flatMap(({ where, expr }) =>
      exporterMetricNames(expr)
        .filter((name) => !exported.has(name))
        .map((name) => `${name} (${where})`),
    );
    expect(missing).toEqual([]);
  });

  it('reads only recording rules that exist', () => {
    const recorded = new Set(recordingRules().map((r) => r.record));
    const missing = expressions.flatMap(({ where, expr }) =>
      seriesNames(expr)
        .filter((name) => name.includes(':') && !recorded.has(name))
        .map((name) => `${name} (${where})`),
    );
    expect(missing).toEqual([]);
  });

  it('finds the expressions it checks', () => {
    expect(expressions.length).toBeGreaterThan(60);
    expect(new Set(expressions.flatMap(({ expr }) => exporterMetricNames(expr))).size).toBeGreaterThan(30);
  });
});
