// Builds the generated files of the monitoring component from their one source: the
// PrometheusRule from prometheus/rules/*.yml and the Grafana dashboards ConfigMap from
// grafana/dashboards/*.json. Pure apart from reading the inputs; scripts/generate.ts writes the
// result and manifests.test.ts checks the committed files are what this produces.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { Document, parse } from 'yaml';

export const ROOT = join(import.meta.dirname, '..', '..');
export const MONITORING_DIR = join(ROOT, 'k8s', 'components', 'monitoring');
const RULES_DIR = join(ROOT, 'prometheus', 'rules');
const DASHBOARDS_DIR = join(ROOT, 'grafana', 'dashboards');

/** A ConfigMap holds at most 1 MiB; the API server rejects anything larger. */
export const CONFIGMAP_LIMIT_BYTES = 1024 * 1024;

export interface GeneratedFile {
  /** Path relative to the repository root. */
  path: string;
  text: string;
}

export interface SourceFile {
  name: string;
  text: string;
}

/** Files of `dir` ending in one of `extensions`, sorted by name; none when the folder is missing. */
export function readSources(dir: string, extensions: string[]): SourceFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`read ${dir}`, { cause: error });
  }
  return names
    .filter((name) => extensions.some((ext) => name.endsWith(ext)))
    .sort()
    .map((name) => ({ name, text: readFileSync(join(dir, name), 'utf8') }));
}

/** The rule group fields the PrometheusRule CRD knows; anything else would be dropped or refused. */
const GROUP_FIELDS = new Set([
  'name',
  'interval',
  'rules',
  'limit',
  'query_offset',
  'partial_response_strategy',
]);
const RULE_FIELDS = new Set(['alert', 'record', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations']);

type RuleGroup = Record<string, unknown> & { name: string; rules: Array<Record<string, unknown>> };

/** Parses a Prometheus rule file (YAML 1.1, as Prometheus reads it) and checks its shape. */
export function parseRuleGroups(file: SourceFile): RuleGroup[] {
  const doc = parse(file.text, { version: '1.1' }) as { groups?: unknown } | null;
  if (doc === null || !Array.isArray(doc.groups)) {
    throw new Error(`${file.name}: expected a top-level "groups" list`);
  }
  return doc.groups.map((group: Record<string, unknown>, i) => {
    const unknown = Object.keys(group).filter((key) => !GROUP_FIELDS.has(key));
    if (typeof group.name !== 'string' || !Array.isArray(group.rules) || unknown.length > 0) {
      throw new Error(
        `${file.name}: group ${i} needs a name and rules, and no other fields than ${[...GROUP_FIELDS]}`,
      );
    }
    for (const [j, rule] of (group.rules as Array<Record<string, unknown>>).entries()) {
      const extra = Object.keys(rule).filter((key) => !RULE_FIELDS.has(key));
      if (extra.length > 0)
        throw new Error(`${file.name}: ${group.name} rule ${j} has unknown fields ${extra}`);
    }
    return group as RuleGroup;
  });
}

export function prometheusRule(files: SourceFile[]): Record<string, unknown> {
  const groups = files.flatMap(parseRuleGroups);
  const names = groups.map((group) => group.name);
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate !== undefined) throw new Error(`rule group "${duplicate}" is defined twice`);
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: {
      name: 'ibkr-exporter',
      labels: { 'app.kubernetes.io/name': 'ibkr-exporter', 'app.kubernetes.io/component': 'exporter' },
    },
    spec: { groups },
  };
}

export function dashboardsConfigMap(files: SourceFile[]): Record<string, unknown> {
  const data: Record<string, string> = {};
  for (const file of files) {
    const dashboard = JSON.parse(file.text) as { uid?: unknown };
    if (typeof dashboard.uid !== 'string' || dashboard.uid === '') {
      throw new Error(`${file.name}: a dashboard needs a stable uid`);
    }
    data[file.name] = file.text;
  }
  const bytes = Object.values(data).reduce((sum, text) => sum + Buffer.byteLength(text), 0);
  if (bytes > CONFIGMAP_LIMIT_BYTES * 0.9) {
    throw new Error(
      `dashboards are ${bytes} bytes, too close to the 1 MiB ConfigMap limit: split the ConfigMap`,
    );
  }
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'ibkr-grafana-dashboards',
      labels: {
        'app.kubernetes.io/name': 'ibkr-exporter',
        'app.kubernetes.io/component': 'exporter',
        // kube-prometheus-stack's Grafana sidecar loads every ConfigMap with this label.
        grafana_dashboard: '1',
      },
      // The folder, for sidecars configured with folderAnnotation: grafana_folder.
      annotations: { grafana_folder: 'IBKR' },
    },
    data,
  };
}

/** YAML as Kubernetes reads it (1.1: `yes`, `on`, `0400` are quoted when meant as strings), Prettier-formatted. */
export async function renderYaml(object: unknown, header: string): Promise<string> {
  const doc = new Document(object, { version: '1.1' });
  doc.commentBefore = header;
  const text = doc.toString({ lineWidth: 0, directives: false });
  const config = await resolveConfig(join(ROOT, 'package.json'));
  return format(text, { ...config, parser: 'yaml' });
}

const header = (source: string) =>
  ` Generated by \`npm run manifests\` from ${source}. Do not edit: change the source and run it again.`;

export async function generate(): Promise<GeneratedFile[]> {
  const rules = readSources(RULES_DIR, ['.yml', '.yaml']);
  const dashboards = readSources(DASHBOARDS_DIR, ['.json']);
  return [
    {
      path: 'k8s/components/monitoring/prometheusrule.yaml',
      text: await renderYaml(prometheusRule(rules), header('prometheus/rules/*.yml')),
    },
    {
      path: 'k8s/components/monitoring/grafana-dashboards.yaml',
      text: await renderYaml(dashboardsConfigMap(dashboards), header('grafana/dashboards/*.json')),
    },
  ];
}
