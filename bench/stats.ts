// Summaries of repeated measurements and the results table. Every benchmark reports rows of this
// shape; run.ts prints them and writes bench/results.json.

export interface Summary {
  median: number;
  min: number;
  max: number;
  /** Only where a tail matters (latencies); nearest-rank. */
  p99?: number;
  n: number;
}

/** An upper (`<=`) or lower (`>=`) bound on the row's value or on its ratio to the baseline. */
export interface Target {
  on: 'value' | 'ratio';
  op: '<=' | '>=';
  limit: number;
}

export interface Row {
  benchmark: string;
  metric: string;
  unit: string;
  value: Summary;
  baseline?: Summary;
  /** value.median / baseline.median. */
  ratio?: number;
  target?: Target;
  /** Undefined when the row has no target (information only). */
  pass?: boolean;
  note?: string;
}

/** Nearest-rank quantile of an ascending array. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

export function summarize(samples: readonly number[], withP99 = false): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  const median =
    n === 0 ? Number.NaN : n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  return {
    median,
    min: sorted[0] ?? Number.NaN,
    max: sorted[n - 1] ?? Number.NaN,
    ...(withP99 ? { p99: quantile(sorted, 0.99) } : {}),
    n,
  };
}

/** One number as a summary (a count, a size), for rows measured once. */
export const single = (value: number): Summary => ({ median: value, min: value, max: value, n: 1 });

export interface RowInput {
  benchmark: string;
  metric: string;
  unit: string;
  value: Summary;
  baseline?: Summary;
  target?: Target;
  note?: string;
}

/** Completes a row: the ratio to its baseline and whether the target is met. */
export function row(input: RowInput): Row {
  const ratio = input.baseline ? input.value.median / input.baseline.median : undefined;
  const out: Row = { ...input, ...(ratio === undefined ? {} : { ratio }) };
  if (input.target) out.pass = meets(input.target, input.target.on === 'ratio' ? ratio : input.value.median);
  return out;
}

function meets(target: Target, measured: number | undefined): boolean {
  if (measured === undefined || !Number.isFinite(measured)) return false;
  return target.op === '<=' ? measured <= target.limit : measured >= target.limit;
}

function fmt(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return '–';
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  if (abs >= 100_000) return Math.round(n).toLocaleString('en-US');
  if (abs >= 100) return n.toFixed(0);
  if (abs >= 10) return n.toFixed(1);
  if (abs >= 1) return n.toFixed(2);
  return n.toPrecision(2);
}

export function formatSummary(s: Summary | undefined): string {
  if (!s) return '–';
  const spread = s.n > 1 ? ` (${fmt(s.min)}–${fmt(s.max)})` : '';
  const tail = s.p99 === undefined ? '' : ` p99 ${fmt(s.p99)}`;
  return `${fmt(s.median)}${spread}${tail}`;
}

export function formatTarget(t: Target | undefined, unit: string): string {
  if (!t) return '';
  return t.on === 'ratio' ? `ratio ${t.op} ${t.limit}` : `${t.op} ${fmt(t.limit)} ${unit}`;
}

const status = (r: Row): string => (r.pass === undefined ? '' : r.pass ? 'pass' : 'FAIL');

/** A Markdown table (readable on a terminal too): value and baseline are median (min–max) over the runs. */
export function renderTable(rows: readonly Row[]): string {
  const header = ['benchmark', 'measure', 'value', 'baseline', 'ratio', 'target', 'result'];
  const lines = rows.map((r) => [
    r.benchmark,
    r.metric,
    `${formatSummary(r.value)} ${r.unit}`,
    r.baseline ? `${formatSummary(r.baseline)} ${r.unit}` : '–',
    r.ratio === undefined ? '–' : r.ratio.toFixed(2),
    formatTarget(r.target, r.unit),
    status(r),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...lines.map(line)].join('\n');
}

/** Notes of the rows that carry one, numbered in table order. */
export function renderNotes(rows: readonly Row[]): string {
  return rows
    .filter((r) => r.note)
    .map((r) => `- ${r.benchmark} / ${r.metric}: ${r.note}`)
    .join('\n');
}
