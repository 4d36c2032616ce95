// The project's rule files and promtool test files, parsed, for the static checks and the
// end-to-end suite.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const PROMETHEUS_DIR = fileURLToPath(new URL('../', import.meta.url));
export const RULE_FILES = ['rules/ibkr-recording.yml', 'rules/ibkr-alerts.yml'];
export const RUNBOOK_BASE =
  'https://github.com/ibkr-pnl-exporter/ibkr-pnl-exporter/blob/main/docs/runbook.md';

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RecordingRule {
  record: string;
  expr: string;
  labels?: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  rules: Array<AlertRule | RecordingRule>;
}

export function readYaml<T>(relativePath: string): T {
  return parse(readFileSync(join(PROMETHEUS_DIR, relativePath), 'utf8')) as T;
}

export function ruleGroups(files = RULE_FILES): RuleGroup[] {
  return files.flatMap((file) => readYaml<{ groups: RuleGroup[] }>(file).groups);
}

export function alertRules(): AlertRule[] {
  return ruleGroups().flatMap((g) => g.rules.filter((r): r is AlertRule => 'alert' in r));
}

export function recordingRules(): RecordingRule[] {
  return ruleGroups().flatMap((g) => g.rules.filter((r): r is RecordingRule => 'record' in r));
}

export interface PromtoolTestFile {
  rule_files: string[];
  tests: Array<{
    name: string;
    alert_rule_test?: Array<{
      alertname: string;
      eval_time: string;
      exp_alerts: Array<{ exp_labels?: Record<string, string>; exp_annotations?: Record<string, string> }>;
    }>;
    promql_expr_test?: Array<{ expr: string; eval_time: string; exp_samples: unknown[] }>;
  }>;
}

/** tests/*.yml, relative to the prometheus folder. */
export function promtoolTestFiles(): string[] {
  return readdirSync(join(PROMETHEUS_DIR, 'tests'))
    .filter((f) => f.endsWith('.yml'))
    .sort()
    .map((f) => `tests/${f}`);
}
