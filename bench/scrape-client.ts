// Reading /metrics from the outside, as Prometheus does, and waiting for a condition on it (a
// synced book, say).
import { performance } from 'node:perf_hooks';
import { parseMetrics } from '../exporter/test/support/metrics-text.js';
import type { Sample } from '../exporter/test/support/metrics-text.js';

export { parseMetrics };
export type { Sample };

export const matching = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));

export const sumOf = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  matching(samples, name, labels).reduce((total, s) => total + s.value, 0);

export async function getText(url: string): Promise<string> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.text();
}

export const scrape = async (base: string): Promise<Sample[]> =>
  parseMetrics(await getText(`${base}/metrics`));

/**
 * Scrapes /metrics every `intervalMs` (0 = back to back) until `done` holds; resolves with the
 * time (performance.now()) at which the first scrape showing it returned.
 */
export async function scrapeUntil(
  base: string,
  done: (text: string) => boolean,
  options: { timeoutMs: number; intervalMs?: number; what?: string },
): Promise<number> {
  const deadline = performance.now() + options.timeoutMs;
  for (;;) {
    const text = await getText(`${base}/metrics`);
    const at = performance.now();
    if (done(text)) return at;
    if (at > deadline)
      throw new Error(
        `${options.what ?? 'condition'} not visible on /metrics within ${options.timeoutMs} ms`,
      );
    if (options.intervalMs) await new Promise((r) => setTimeout(r, options.intervalMs));
  }
}

/** Resolves once /metrics shows the gateway up and `positions` positions with their PnL. */
export async function waitSynced(url: string, positions: number, timeoutMs = 60_000): Promise<void> {
  await scrapeUntil(
    url,
    (text) => {
      const samples = parseMetrics(text);
      return (
        matching(samples, 'ibkr_gateway_up')[0]?.value === 1 &&
        matching(samples, 'ibkr_position_quantity').length === positions &&
        matching(samples, 'ibkr_position_daily_pnl').length === positions
      );
    },
    { timeoutMs, intervalMs: 50, what: `${positions} synced positions` },
  );
}
