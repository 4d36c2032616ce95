// Just enough PromQL reading for the consistency checks and the end-to-end suite: which series an
// expression selects. Not a parser: it knows the shapes our rules and dashboards use (metric
// names with an optional {matcher} block, recording rule names with colons, `up` and `ALERTS`),
// and the unit tests pin what it must and must not pick up.

// A name not preceded by a word character, colon or quote (so `"pnl_single"` and the tail of
// `account:ibkr_…` do not count) and not followed by `(` (a function). Comments are removed first.
const SELECTOR =
  /(?<![\w:"])([a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z0-9_:]*|ibkr_[a-zA-Z0-9_]+|up|ALERTS)(?![\w:(])(\s*\{[^}]*\})?/g;

function withoutComments(expr: string): string {
  return expr.replace(/#.*$/gm, '');
}

/** The series selectors of an expression, e.g. `ibkr_gateway_up{instance=~"$instance"}`, in order, unique. */
export function selectors(expr: string): string[] {
  const found = [...withoutComments(expr).matchAll(SELECTOR)].map((m) => `${m[1]}${(m[2] ?? '').trim()}`);
  return [...new Set(found)];
}

/** The metric and recording rule names an expression reads, unique. */
export function seriesNames(expr: string): string[] {
  return [...new Set([...withoutComments(expr).matchAll(SELECTOR)].map((m) => m[1]!))];
}

/** The exporter's own metric names (ibkr_*) an expression reads. */
export function exporterMetricNames(expr: string): string[] {
  return seriesNames(expr).filter((name) => name.startsWith('ibkr_'));
}
