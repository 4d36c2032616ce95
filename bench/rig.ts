// What the end-to-end benchmarks share: a temp directory, the exporter's environment against a
// simulator, and waiting until /metrics shows a synced book.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { matching, scrapeUntil, parseMetrics } from './scrape-client.js';

export function tempDir(prefix: string): { path: string; file(name: string): string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), `ibkr-bench-${prefix}-`));
  return {
    path,
    file: (name) => join(path, name),
    cleanup: () => rmSync(path, { recursive: true, force: true }),
  };
}

export function exporterEnv(
  simPort: number,
  dbPath: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    IBKR_HOST: '127.0.0.1',
    IBKR_PORT: String(simPort),
    IBKR_CLIENT_ID: '1',
    IBKR_DB_PATH: dbPath,
    IBKR_HTTP_HOST: '127.0.0.1',
    IBKR_HTTP_PORT: '0',
    IBKR_RECONNECT_MIN_DELAY: '0.1',
    IBKR_RECONNECT_MAX_DELAY: '1',
    IBKR_LOG_LEVEL: 'silent',
    ...extra,
  };
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
