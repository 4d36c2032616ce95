import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { dashboardsConfigMap, generate, prometheusRule, renderYaml, ROOT } from './manifests.js';

describe('npm run manifests', () => {
  it('has written the committed files (run `npm run manifests` after changing rules or dashboards)', async () => {
    for (const file of await generate()) {
      expect(readFileSync(join(ROOT, file.path), 'utf8'), file.path).toBe(file.text);
    }
  });

  it('writes YAML that reads back the same under YAML 1.1, as Kubernetes reads it', async () => {
    // Each of these is a string that a YAML 1.1 reader takes for a boolean or a number unless quoted.
    const tricky = {
      a: 'yes',
      b: 'on',
      c: 'off',
      d: 'no',
      e: '0400',
      f: '1e3',
      g: '~',
      h: 'multi\nline {{ $value }}',
    };
    const text = await renderYaml({ data: tricky }, ' header');
    expect(text.startsWith('# header\n')).toBe(true);
    expect(parse(text, { version: '1.1' })).toEqual({ data: tricky });
  });

  it('merges the groups of every rule file into one PrometheusRule', () => {
    const rule = prometheusRule([
      {
        name: 'a.yml',
        text: 'groups:\n  - name: one\n    rules:\n      - record: x:y\n        expr: vector(1)\n',
      },
      {
        name: 'b.yml',
        text: 'groups:\n  - name: two\n    rules:\n      - alert: X\n        expr: up == 0\n        for: 1m\n',
      },
    ]) as { spec: { groups: Array<{ name: string }> } };
    expect(rule.spec.groups.map((g) => g.name)).toEqual(['one', 'two']);
  });

  it.each([
    ['groups: []\nextra: 1\n', undefined],
    ['nothing: here\n', 'a.yml: expected a top-level "groups" list'],
    [
      'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        severity: page\n',
      'a.yml: g rule 0 has unknown fields severity',
    ],
    ['groups:\n  - name: g\n    rule: []\n', 'a.yml: group 0 needs a name and rules'],
  ])('checks the shape of a rule file: %j', (text, message) => {
    const build = () => prometheusRule([{ name: 'a.yml', text }]);
    if (message === undefined) expect(build).not.toThrow();
    else expect(build).toThrow(message);
  });

  it('refuses two groups of the same name, which Prometheus would reject', () => {
    const text = 'groups:\n  - name: g\n    rules: []\n';
    expect(() =>
      prometheusRule([
        { name: 'a.yml', text },
        { name: 'b.yml', text },
      ]),
    ).toThrow('rule group "g" is defined twice');
  });

  it('keys the dashboards ConfigMap by file name and requires a stable uid', () => {
    const map = dashboardsConfigMap([{ name: 'ibkr.json', text: '{"uid":"ibkr-overview"}\n' }]) as {
      metadata: { labels: Record<string, string> };
      data: Record<string, string>;
    };
    expect(map.data).toEqual({ 'ibkr.json': '{"uid":"ibkr-overview"}\n' });
    expect(map.metadata.labels.grafana_dashboard).toBe('1');
    expect(() => dashboardsConfigMap([{ name: 'x.json', text: '{"title":"x"}' }])).toThrow(
      'x.json: a dashboard needs a stable uid',
    );
  });

  it('refuses dashboards that would not fit in a ConfigMap', () => {
    const big = JSON.stringify({ uid: 'big', padding: 'x'.repeat(1024 * 1024) });
    expect(() => dashboardsConfigMap([{ name: 'big.json', text: big }])).toThrow(/1 MiB ConfigMap limit/);
  });
});
