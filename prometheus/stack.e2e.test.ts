// The monitoring stack against real components: the simulator and the exporter (real @stoqey/ib
// client over TCP), the real `prometheus` with the project's config and rules, and the real
// `prometheus-alertmanager` with the project's routing, delivering to a webhook in this process.
// Everything listens on 127.0.0.1 ports picked by the OS; scrape and evaluation run every second.
//
// Test copies, so the suite finishes in seconds and at any time of day:
// - IbkrGatewayDown's `for:` is 1s instead of 3m (every other rule is used as committed);
// - Alertmanager waits 1s instead of 30s/5m before sending, its receivers point at the webhook and
//   the reset-window mutes are dropped (they are unit-tested in rules.test.ts).
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse, stringify } from 'yaml';
import { startDaemon, startPrometheus } from '../exporter/src/cli/prometheus-launcher.js';
import type { Daemon, RunningPrometheus } from '../exporter/src/cli/prometheus-launcher.js';
import type { Exporter } from '../exporter/src/exporter.js';
import { startFlexService } from '../exporter/src/sim/flex/server.js';
import type { FlexService } from '../exporter/src/sim/flex/server.js';
import { scenarioStatement } from '../exporter/src/sim/flex/statement-from-scenario.js';
import { loadScenario } from '../exporter/src/sim/scenario.js';
import type { GatewaySimulator } from '../exporter/src/sim/server.js';
import {
  BASIC,
  SCENARIOS,
  startSim,
  startTestExporter,
  testConfig,
  waitSynced,
} from '../exporter/test/support/exporter.js';
import { DASHBOARDS } from '../grafana/src/dashboards.js';
import { panelQueries, variableQueries } from '../grafana/src/queries.js';
import { selectors } from './src/promql.js';
import { PROMETHEUS_DIR, alertRules, recordingRules } from './src/rule-files.js';
import type { RuleGroup } from './src/rule-files.js';

/** Dashboard variables as the test scenario (basic.json) fills them. */
const VARIABLES: Record<string, string> = { account: '.+', instance: '.+', symbol: 'AAPL' };

/** Expressions that are empty in a healthy basic scenario, and why. */
const LEGITIMATELY_EMPTY: Record<string, string> = {
  'ALERTS{alertname=~"Ibkr.+", alertstate="firing"}':
    'no alert fires while everything is healthy; checked while IbkrGatewayDown fires below',
  'ibkr_gateway_errors_total{code="326"}': 'no second client takes the client id in the scenario',
};

function substitute(expr: string): string {
  return expr.replaceAll('$__rate_interval', '1m').replace(/\$(\w+)/g, (_, name: string) => {
    const value = VARIABLES[name];
    if (value === undefined) throw new Error(`no test value for $${name} in ${expr}`);
    return value;
  });
}

interface Notification {
  receivedAt: number;
  receiver: string;
  status: 'firing' | 'resolved';
  alerts: Array<{ status: string; labels: Record<string, string>; annotations: Record<string, string> }>;
}

/** Alertmanager's webhook receiver: records every notification. */
async function startWebhook(): Promise<{ url: string; received: Notification[]; stop(): Promise<void> }> {
  const received: Notification[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ ...(JSON.parse(body) as Omit<Notification, 'receivedAt'>), receivedAt: Date.now() });
      res.end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    stop: () => new Promise((done) => server.close(() => done())),
  };
}

type Route = { routes?: Route[]; mute_time_intervals?: string[]; [key: string]: unknown };

/** alertmanager.yml with fast timings, receivers on the webhook and no mutes. */
function testAlertmanagerConfig(webhook: string): string {
  const config = parse(readFileSync(join(PROMETHEUS_DIR, 'alertmanager.yml'), 'utf8')) as {
    route: Route;
    receivers: Array<{ name: string }>;
  };
  const unmute = (route: Route) => {
    delete route.mute_time_intervals;
    route.routes?.forEach(unmute);
  };
  unmute(config.route);
  Object.assign(config.route, { group_wait: '1s', group_interval: '1s', repeat_interval: '1h' });
  config.receivers = config.receivers.map(({ name }) => ({
    name,
    webhook_configs: [{ url: `${webhook}/${name}`, send_resolved: true }],
  }));
  return stringify(config);
}

/** rules/ibkr-alerts.yml with IbkrGatewayDown's `for:` shortened to 1s. */
function testAlertRules(): string {
  const file = parse(readFileSync(join(PROMETHEUS_DIR, 'rules/ibkr-alerts.yml'), 'utf8')) as {
    groups: RuleGroup[];
  };
  const rule = file.groups.flatMap((g) => g.rules).find((r) => 'alert' in r && r.alert === 'IbkrGatewayDown');
  if (!rule || !('alert' in rule)) throw new Error('IbkrGatewayDown not found');
  rule.for = '1s';
  return stringify(file);
}

describe('Prometheus and Alertmanager on the exporter', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ibkr-stack-'));
  let sim: GatewaySimulator;
  let flex: FlexService;
  let exporter: Exporter;
  let webhook: Awaited<ReturnType<typeof startWebhook>>;
  let alertmanager: Daemon;
  let prometheus: RunningPrometheus;

  async function instant(expr: string): Promise<Array<{ metric: Record<string, string> }>> {
    const response = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await response.json()) as { status: string; error?: string; data: { result: [] } };
    if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
    return body.data.result;
  }

  beforeAll(async () => {
    sim = await startSim('basic');
    // The Flex Web Service too, so the ibkr_flex_* series the Flex alert reads exist.
    const scenario = await loadScenario(new URL('basic.json', SCENARIOS).pathname);
    const token = '656530010732398240553724';
    flex = await startFlexService({
      token,
      queryId: '1',
      statementXml: scenarioStatement(scenario, () => sim.state.executions),
    });
    // A keepalive every second, so the heartbeat series exist within the warm-up.
    exporter = await startTestExporter(
      testConfig(sim.port, join(dir, 'ledger.db'), {
        IBKR_KEEPALIVE_SECONDS: '1',
        IBKR_FLEX_TOKEN: token,
        IBKR_FLEX_QUERY_ID: '1',
        IBKR_FLEX_URL: flex.url,
      }),
    );
    await waitSynced(exporter, BASIC);
    webhook = await startWebhook();
    writeFileSync(join(dir, 'alertmanager.yml'), testAlertmanagerConfig(webhook.url));
    alertmanager = await startDaemon('prometheus-alertmanager', [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'alertmanager')}`,
      '--web.listen-address=127.0.0.1:0',
      '--cluster.listen-address=',
    ]);
    writeFileSync(join(dir, 'ibkr-alerts.yml'), testAlertRules());
    prometheus = await startPrometheus({
      target: new URL(exporter.url).host,
      intervalSeconds: 1,
      ruleFiles: [join(PROMETHEUS_DIR, 'rules/ibkr-recording.yml'), join(dir, 'ibkr-alerts.yml')],
      alertmanager: new URL(alertmanager.url).host,
    });
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await alertmanager?.stop();
    await webhook?.stop();
    await exporter?.stop();
    await flex?.close();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers every dashboard query, variable and recording rule, and every alert selector, with data', async () => {
    const dashboards = DASHBOARDS.map(({ build }) => build());
    const checks = [
      ...dashboards
        .flatMap(panelQueries)
        .map((q) => ({ where: `${q.dashboard} / ${q.panel}`, expr: q.expr })),
      ...dashboards.flatMap(variableQueries).map((q) => ({
        where: `${q.dashboard} $${q.variable}`,
        expr: `group by (${q.label}) (${q.series})`,
      })),
      ...recordingRules().map((r) => ({ where: `record ${r.record}`, expr: r.expr })),
      ...alertRules().flatMap((r) => selectors(r.expr).map((s) => ({ where: `alert ${r.alert}`, expr: s }))),
    ].filter(({ expr }) => !(expr in LEGITIMATELY_EMPTY));

    // Warm-up: Prometheus scrapes about 5 s after start, rate windows need two samples.
    await vi.waitFor(
      async () => {
        const results = await Promise.all(
          checks.map(async (c) => ({ ...c, n: (await instant(substitute(c.expr))).length })),
        );
        expect(results.filter((r) => r.n === 0).map((r) => `${r.where}: ${r.expr}`)).toEqual([]);
        // Every rule evaluated without error (a many-to-many join would show up here).
        const rules = (await (await fetch(`${prometheus.url}/api/v1/rules`)).json()) as {
          data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> };
        };
        const unhealthy = rules.data.groups.flatMap((g) => g.rules).filter((r) => r.health !== 'ok');
        expect(unhealthy.map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`)).toEqual([]);
      },
      { timeout: 45_000, interval: 1000 },
    );
    expect(checks.length).toBeGreaterThan(80);

    // Healthy scenario: no alert condition holds.
    const firing = await Promise.all(
      alertRules().map(async (r) => ({ alert: r.alert, n: (await instant(r.expr)).length })),
    );
    expect(firing.filter((r) => r.n > 0).map((r) => r.alert)).toEqual([]);
  }, 60_000);

  it('delivers IbkrGatewayDown to the critical receiver when the gateway stops, and its resolution when it is back', async () => {
    const port = sim.port;
    const stoppedAt = Date.now();
    await sim.stop();

    const firing = await vi.waitFor(
      () => {
        const n = webhook.received.find(
          (r) => r.status === 'firing' && r.alerts.some((a) => a.labels.alertname === 'IbkrGatewayDown'),
        );
        if (!n) throw new Error('no IbkrGatewayDown notification yet');
        return n;
      },
      { timeout: 30_000, interval: 50 },
    );
    expect(firing.receiver).toBe('ibkr-critical');
    expect(firing.alerts[0]).toMatchObject({
      status: 'firing',
      labels: {
        alertname: 'IbkrGatewayDown',
        severity: 'critical',
        category: 'connectivity',
        job: 'ibkr-exporter',
      },
      annotations: {
        summary: 'The exporter has no API session with IB Gateway.',
        runbook_url:
          'https://github.com/ibkr-pnl-exporter/ibkr-pnl-exporter/blob/main/docs/runbook.md#gateway-down',
      },
    });
    expect(firing.alerts[0]?.annotations.description).toContain('(ibkr_gateway_up = 0)');
    // The Gateway health dashboard's alert table now lists it.
    const alertsPanel = await instant('ALERTS{alertname=~"Ibkr.+", alertstate="firing"}');
    expect(alertsPanel.map((s) => s.metric.alertname)).toContain('IbkrGatewayDown');

    const restartedAt = Date.now();
    sim = await startSim('basic', port);
    const resolved = await vi.waitFor(
      () => {
        const n = webhook.received.find(
          (r) =>
            r.status === 'resolved' &&
            r.receivedAt > restartedAt &&
            r.alerts.some((a) => a.labels.alertname === 'IbkrGatewayDown'),
        );
        if (!n) throw new Error('no resolved IbkrGatewayDown notification yet');
        return n;
      },
      { timeout: 30_000, interval: 50 },
    );
    expect(resolved.receiver).toBe('ibkr-critical');

    process.stdout.write(
      `IbkrGatewayDown reached the webhook ${firing.receivedAt - stoppedAt} ms after the simulator stopped ` +
        `and was resolved ${resolved.receivedAt - restartedAt} ms after it came back ` +
        '(1 s scrape and evaluation, for: 1s, group_wait and group_interval 1s)\n',
    );
  }, 90_000);
});
