// The exporter with IBKR_FLEX_* set, against the gateway simulator and the simulator's Flex Web
// Service: the schedule's first run after start fetches the statement, imports it for the
// gateway's managed accounts, and /metrics shows both the import and what it changed, without a
// restart. The ledger side of the import is a recording stand-in here (its own suites test it).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startExporter } from '../src/exporter.js';
import type { Exporter, FlexImporter } from '../src/exporter.js';
import { startFlexService } from '../src/sim/flex/server.js';
import type { FlexMode, FlexService } from '../src/sim/flex/server.js';
import type { GatewaySimulator } from '../src/sim/server.js';
import type { TempDir } from './support/env.js';
import { captureLogs } from './support/log-capture.js';
import { scrape, startSim, tempDir, testConfig, valueOf } from './support/exporter.js';

const TOKEN = '656530010732398240553724';
const QUERY = '771568';
const STATEMENT =
  '<FlexQueryResponse queryName="history" type="AF"><FlexStatements count="1"/></FlexQueryResponse>';

const running: Array<{ exporter: Exporter; sim: GatewaySimulator; flex: FlexService; dir: TempDir }> = [];
afterEach(async () => {
  for (const { exporter, sim, flex, dir } of running.splice(0)) {
    await exporter.stop();
    await sim.stop();
    await flex.close();
    dir.cleanup();
  }
});

async function start(mode: FlexMode = 'slow') {
  const sim = await startSim('basic');
  const flex = await startFlexService({ token: TOKEN, queryId: QUERY, statementXml: () => STATEMENT, mode });
  const dir = tempDir('flex');
  const calls: Array<{ xml: string; accounts: string[] }> = [];
  const importer: FlexImporter = async (_store, xml, accounts) => {
    calls.push({ xml, accounts });
    return {
      summary: {
        dryRun: false,
        accounts: accounts.map((account) => ({ account, add: 3, merge: 1, skip: 2, cancel: 0 })),
      },
      ledger: [],
      executionCounts: accounts.map((account) => ({ account, executions: 42 })),
      roundTrips: [],
    };
  };
  const config = testConfig(sim.port, dir.file('ledger.db'), {
    IBKR_FLEX_TOKEN: TOKEN,
    IBKR_FLEX_QUERY_ID: QUERY,
    IBKR_FLEX_URL: flex.url,
    IBKR_LOG_LEVEL: 'debug',
  });
  const { logger, lines: logs } = captureLogs('debug');
  const exporter = await startExporter(config, {
    logger,
    flexImporter: importer,
    flexRetry: { initialMs: 1, maxMs: 4, rateLimitedMs: 4, deadlineMs: 20_000 },
  });
  running.push({ exporter, sim, flex, dir });
  return { exporter, flex, logs, calls };
}

describe('the Flex Web Service import in the exporter', () => {
  it('imports soon after start for the managed accounts and shows it on /metrics', async () => {
    const { exporter, flex, logs, calls } = await start();
    await vi.waitFor(() => expect(calls).toHaveLength(1), { timeout: 15_000, interval: 20 });
    const [call] = calls;
    expect(call?.xml).toBe(STATEMENT);
    expect(call?.accounts).toEqual(exporter.health.accounts);
    expect(call?.accounts.length).toBeGreaterThan(0);
    expect(flex.requests.every((r) => /^ibkr-pnl-exporter\/\d+\.\d+\.\d+/.test(r.userAgent ?? ''))).toBe(
      true,
    );

    const account = call!.accounts[0]!;
    await vi.waitFor(async () => {
      const samples = await scrape(exporter);
      expect(valueOf(samples, 'ibkr_flex_last_success_timestamp_seconds')).toBeGreaterThan(0);
    });
    const response = await fetch(`${exporter.url}/metrics`);
    const text = await response.text();
    const samples = await scrape(exporter);
    expect(valueOf(samples, 'ibkr_flex_imported_fills_total', { outcome: 'add' })).toBe(3);
    expect(valueOf(samples, 'ibkr_flex_imported_fills_total', { outcome: 'merge' })).toBe(1);
    expect(valueOf(samples, 'ibkr_flex_imported_fills_total', { outcome: 'skip' })).toBe(2);
    expect(valueOf(samples, 'ibkr_flex_import_failures_total', { reason: 'token_expired' })).toBe(0);
    expect(valueOf(samples, 'ibkr_flex_import_duration_seconds')).toBeGreaterThanOrEqual(0);
    // Applied to the Portfolio like recorded fills: no restart needed.
    expect(valueOf(samples, 'ibkr_executions_total', { account })).toBe(42);
    expect(text).not.toContain(TOKEN);
    expect(logs.join('')).not.toContain(TOKEN);
  });

  it('meters and logs an expired token once, without the token anywhere', async () => {
    const { exporter, logs, calls } = await start('expired-token');
    await vi.waitFor(
      async () =>
        expect(
          valueOf(await scrape(exporter), 'ibkr_flex_import_failures_total', { reason: 'token_expired' }),
        ).toBe(1),
      { timeout: 15_000, interval: 20 },
    );
    const text = await (await fetch(`${exporter.url}/metrics`)).text();
    expect(valueOf(await scrape(exporter), 'ibkr_flex_last_success_timestamp_seconds')).toBe(0);
    expect(text).not.toContain(TOKEN);
    expect(calls).toEqual([]);
    const failed = logs.filter((l) => l.includes('flex import failed'));
    expect(failed).toHaveLength(1);
    expect(failed[0]).toContain('1012');
    expect(logs.join('')).not.toContain(TOKEN);
  });
});
