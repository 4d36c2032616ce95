// Static checks of prometheus/: the real promtool and amtool on the real files, and the
// conventions every alert must follow (kubernetes-mixin style).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { headings, readMarkdown, sections } from '../docs/markdown.js';
import { seriesNames } from './src/promql.js';
import {
  PROMETHEUS_DIR,
  RULE_FILES,
  RUNBOOK_BASE,
  alertRules,
  promtoolTestFiles,
  readYaml,
  recordingRules,
} from './src/rule-files.js';
import type { PromtoolTestFile } from './src/rule-files.js';

const run = promisify(execFile);
const tool = (command: string, args: string[]) =>
  run(command, args, { cwd: PROMETHEUS_DIR, timeout: 60_000 });

// docs/runbook.md has one `##` heading per alert; its GitHub anchors are what runbook_urls may name.
const RUNBOOK = readMarkdown(new URL('../docs/runbook.md', import.meta.url).pathname);
const RUNBOOK_ANCHORS = headings(RUNBOOK)
  .filter((h) => h.depth === 2)
  .map((h) => h.anchor);
const RUNBOOK_SECTIONS = sections(RUNBOOK, 2);

const alerts = alertRules();
const records = recordingRules();
const testFiles = promtoolTestFiles().map((file) => ({ file, ...readYaml<PromtoolTestFile>(file) }));

describe('promtool and amtool', () => {
  it('promtool test rules passes every test file', async () => {
    const { stdout } = await tool('promtool', ['test', 'rules', ...promtoolTestFiles()]);
    expect(stdout.match(/SUCCESS/g)?.length).toBe(testFiles.length);
  });

  it('promtool check rules accepts the rule files', async () => {
    const { stdout } = await tool('promtool', ['check', 'rules', ...RULE_FILES]);
    expect(stdout).toContain(`SUCCESS: ${alerts.length} rules found`);
    expect(stdout).toContain(`SUCCESS: ${records.length} rules found`);
  });

  it('promtool check config accepts prometheus.yml with both rule files', async () => {
    const { stdout } = await tool('promtool', ['check', 'config', 'prometheus.yml']);
    expect(stdout).toContain('SUCCESS: 2 rule files found');
  });

  it('amtool check-config accepts alertmanager.yml', async () => {
    const { stdout } = await tool('amtool', ['check-config', 'alertmanager.yml']);
    expect(stdout).toContain("Checking 'alertmanager.yml'  SUCCESS");
  });

  it('routes every alert to the receiver of its severity', async () => {
    // Routing depends on the labels only, so one alert per severity and category is enough.
    const kinds = new Map(alerts.map((a) => [`${a.labels?.severity}/${a.labels?.category}`, a]));
    for (const rule of kinds.values()) {
      const labels = Object.entries({ alertname: rule.alert, ...rule.labels }).map(([k, v]) => `${k}=${v}`);
      const { stdout } = await tool('amtool', [
        'config',
        'routes',
        'test',
        '--config.file=alertmanager.yml',
        ...labels,
      ]);
      expect(stdout.trim(), rule.alert).toBe(`ibkr-${rule.labels?.severity}`);
    }
  });
});

describe('alert conventions', () => {
  it.each(alerts.map((a) => [a.alert, a] as const))(
    '%s has a CamelCase name, severity, category, a deliberate for:, summary, live value and runbook',
    (name, rule) => {
      expect(name).toMatch(/^Ibkr(?:[A-Z][a-z0-9]*)+$/);
      expect(['critical', 'warning']).toContain(rule.labels?.severity);
      expect(['connectivity', 'sync', 'exporter', 'risk']).toContain(rule.labels?.category);
      expect(rule.for).toMatch(/^\d+[smh]$/);
      expect(rule.annotations?.summary).toMatch(/^[A-Z].*\.$/);
      expect(rule.annotations?.description).toContain('$value');
      const anchor = rule.annotations?.runbook_url?.replace(`${RUNBOOK_BASE}#`, '') ?? '';
      expect(RUNBOOK_ANCHORS).toContain(anchor);
      // The on-call reader lands on the right section: it names the alert and its severity.
      expect(RUNBOOK_SECTIONS.get(anchor)).toContain(`Alert \`${name}\`, ${rule.labels?.severity}.`);
    },
  );

  it('gives every alert its own runbook anchor, and the runbook no heading without an alert', () => {
    const urls = alerts.map((a) => a.annotations?.runbook_url);
    expect(new Set(urls).size).toBe(urls.length);
    expect(urls.map((u) => u?.replace(`${RUNBOOK_BASE}#`, '')).sort()).toEqual([...RUNBOOK_ANCHORS].sort());
  });

  it('has a promtool case where each alert must stay silent and one where it fires with labels and annotations', () => {
    const cases = testFiles.flatMap((f) => f.tests.flatMap((t) => t.alert_rule_test ?? []));
    for (const rule of alerts) {
      const own = cases.filter((c) => c.alertname === rule.alert);
      expect(
        own.some((c) => c.exp_alerts.length === 0),
        `${rule.alert}: no must-not-fire case`,
      ).toBe(true);
      const fired = own.flatMap((c) => c.exp_alerts);
      expect(fired.length, `${rule.alert}: no firing case`).toBeGreaterThan(0);
      for (const alert of fired) {
        expect(alert.exp_labels, rule.alert).toMatchObject(rule.labels ?? {});
        expect(Object.keys(alert.exp_annotations ?? {}).sort(), rule.alert).toEqual([
          'description',
          'runbook_url',
          'summary',
        ]);
      }
    }
  });

  it('has a promql_expr_test for every recording rule', () => {
    const tested = new Set(
      testFiles.flatMap((f) => f.tests.flatMap((t) => (t.promql_expr_test ?? []).map((p) => p.expr))),
    );
    for (const rule of records) expect(tested, rule.record).toContain(rule.record);
  });

  it('compares only against thresholds recorded in the ibkr-thresholds group', () => {
    const defined = new Set(records.map((r) => r.record).filter((n) => n.startsWith('ibkr:threshold:')));
    const used = new Set(
      alerts.flatMap((a) => seriesNames(a.expr)).filter((n) => n.startsWith('ibkr:threshold:')),
    );
    expect([...used].sort()).toEqual([...defined].sort());
  });
});

describe('alertmanager.yml', () => {
  type Route = { matchers?: string[]; receiver?: string; mute_time_intervals?: string[]; routes?: Route[] };
  const config = readYaml<{
    route: Route;
    time_intervals: Array<{ name: string; time_intervals: unknown[] }>;
  }>('alertmanager.yml');

  /** The first child route whose matchers all match (the routes do not `continue`). */
  function leaf(labels: Record<string, string>): Route {
    const matches = (matcher: string) => {
      const m = /^(\w+)(=~|=)"(.*)"$/.exec(matcher);
      if (!m) throw new Error(`unsupported matcher ${matcher}`);
      const value = labels[m[1]!] ?? '';
      return m[2] === '=' ? value === m[3] : new RegExp(`^(?:${m[3]})$`).test(value);
    };
    return config.route.routes?.find((r) => (r.matchers ?? []).every(matches)) ?? config.route;
  }

  it("mutes connectivity and sync alerts during IB's resets, and never risk or exporter alerts", () => {
    for (const rule of alerts) {
      const muted = leaf({ alertname: rule.alert, ...rule.labels }).mute_time_intervals ?? [];
      const expected = ['connectivity', 'sync'].includes(rule.labels?.category ?? '')
        ? ['ib-daily-reset', 'ib-weekend-maintenance']
        : [];
      expect(muted, rule.alert).toEqual(expected);
    }
  });

  it("defines IB's reset windows in New York time", () => {
    expect(config.time_intervals).toEqual([
      {
        name: 'ib-daily-reset',
        time_intervals: [
          { times: [{ start_time: '00:15', end_time: '01:45' }], location: 'America/New_York' },
        ],
      },
      {
        name: 'ib-weekend-maintenance',
        time_intervals: [
          {
            weekdays: ['friday'],
            times: [{ start_time: '23:00', end_time: '24:00' }],
            location: 'America/New_York',
          },
          {
            weekdays: ['saturday'],
            times: [{ start_time: '00:00', end_time: '03:00' }],
            location: 'America/New_York',
          },
        ],
      },
    ]);
  });
});
