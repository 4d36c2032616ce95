// The dashboards generated into grafana/dashboards/, and their rendering as committed JSON.
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { format, resolveConfig } from 'prettier';
import { gatewayHealth } from './gateway-health.js';
import { portfolio } from './portfolio.js';
import { position } from './position.js';
import { trades } from './trades.js';

/** `source`: Prometheus (the metrics) or the ledger's SQL views on PostgreSQL. */
export const DASHBOARDS: ReadonlyArray<{
  file: string;
  build: () => Dashboard;
  source: 'prometheus' | 'ledger';
}> = [
  { file: 'ibkr-portfolio.json', build: portfolio, source: 'prometheus' },
  { file: 'ibkr-position.json', build: position, source: 'prometheus' },
  { file: 'ibkr-gateway-health.json', build: gatewayHealth, source: 'prometheus' },
  { file: 'ibkr-trades.json', build: trades, source: 'ledger' },
];

/**
 * File name → file content, exactly as `npm run dashboards` writes it: formatted by the project's
 * Prettier settings, so `prettier --check .` passes on the generated files too.
 */
export async function renderDashboards(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const { file, build } of DASHBOARDS) {
    const path = new URL(`../dashboards/${file}`, import.meta.url).pathname;
    const options = (await resolveConfig(path)) ?? {};
    out.set(file, await format(JSON.stringify(build()), { ...options, filepath: path }));
  }
  return out;
}
