// Durability across exporter restarts: the same day replayed adds nothing, a restart while the
// gateway is down still serves the last known state, and positions IB stops reporting go away.
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import type { Exporter } from '../src/exporter.js';
import { parseScenario } from '../src/sim/scenario.js';
import { GatewaySimulator } from '../src/sim/server.js';
import {
  BASIC,
  SCENARIOS,
  maskMetrics,
  scrape,
  startSim,
  startTestExporter,
  testConfig,
  useRig,
  valueOf,
  waitSynced,
} from './support/exporter.js';

const LEDGER_TABLES = [
  'contracts',
  'executions',
  'commission_reports',
  'ledger_totals',
  'account_executions',
  'positions',
  'position_snapshots',
  'account_values',
  'account_pnl',
];

function dump(path: string): Record<string, unknown[]> {
  const db = new Database(path, { readonly: true });
  const tables = Object.fromEntries(
    LEDGER_TABLES.map((t) => [t, db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all()]),
  );
  db.close();
  return tables;
}

describe('exporter restarts', () => {
  const rig = useRig();
  const { track } = rig;

  it('replaying the same day adds no rows and gives identical metrics', async () => {
    const db = `${rig.dir}/replay.db`;
    const sim = track(await startSim('basic'));
    const first = await startTestExporter(testConfig(sim.port, db));
    await waitSynced(first, BASIC);
    const before = maskMetrics(await (await fetch(`${first.url}/metrics`)).text());
    await first.stop();
    const rowsBefore = dump(db);

    const second = track(await startTestExporter(testConfig(sim.port, db)));
    await waitSynced(second, BASIC);
    // The restarted exporter backfilled from its last completed backfill, and the simulator answered.
    const backfill = await sim.waitForRequest('reqExecutions', (r) => r.at >= second.health.startedAt);
    expect(backfill.filter?.time).toMatch(/^\d{8}-\d{2}:\d{2}:\d{2}$/);
    await vi.waitFor(() =>
      expect(second.health.streams.get('executions')).toBeGreaterThanOrEqual(backfill.at),
    );
    expect(second.health.connects).toBe(1);
    await second.stop();

    expect(dump(db)).toEqual(rowsBefore);
    const third = track(await startTestExporter(testConfig(sim.port, db)));
    await waitSynced(third, BASIC);
    const after = maskMetrics(await (await fetch(`${third.url}/metrics`)).text());
    expect(after).toEqual(before);
  });

  it('serves the last known positions, marked stale, when it restarts while the gateway is down', async () => {
    const db = `${rig.dir}/down.db`;
    const sim = await startSim('basic');
    const first = await startTestExporter(testConfig(sim.port, db));
    await waitSynced(first, BASIC);
    const synced = await scrape(first);
    await first.stop();
    const port = sim.port;
    await sim.stop();

    const restarted = track(await startTestExporter(testConfig(port, db)));
    const m = await scrape(restarted);
    expect(valueOf(m, 'ibkr_gateway_up')).toBe(0);
    for (const name of [
      'ibkr_position_quantity',
      'ibkr_position_unrealized_pnl',
      'ibkr_position_realized_pnl',
    ]) {
      expect(m.filter((s) => s.name === name)).toEqual(synced.filter((s) => s.name === name));
    }
    expect(valueOf(m, 'ibkr_executions_total', { account: 'DU0000001' })).toBe(3);
    // Staleness is visible: the stream timestamps are those of the last sync, not of now.
    const lastPositions = valueOf(m, 'ibkr_sync_last_update_timestamp_seconds', { stream: 'positions' });
    expect(lastPositions).toBeDefined();
    expect(lastPositions).toBeLessThanOrEqual(
      valueOf(synced, 'ibkr_sync_last_update_timestamp_seconds', { stream: 'positions' })! + 1,
    );
    const health = (await (await fetch(`${restarted.url}/sync/health`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ running: true, connected: false, ibkr_connected: false });
  });

  it('drops the series of a position the gateway no longer reports, but keeps its realized PnL in the ledger', async () => {
    const db = `${rig.dir}/gone.db`;
    const sim = await startSim('basic');
    const first = await startTestExporter(testConfig(sim.port, db));
    await waitSynced(first, BASIC);
    await first.stop();
    await sim.stop();

    // Next day: IB no longer reports the call that was closed yesterday.
    const basic = JSON.parse(readFileSync(new URL('basic.json', SCENARIOS), 'utf8')) as {
      positions: Array<{ conId: number }>;
      executions: unknown[];
    };
    basic.positions = basic.positions.filter((p) => p.conId !== 712345678);
    basic.executions = [];
    const nextDay = track(await GatewaySimulator.start({ scenario: parseScenario(basic) }));
    const second = track(await startTestExporter(testConfig(nextDay.port, db)));
    await vi.waitFor(() => expect(second.portfolio.positions.size).toBe(2), { timeout: 10_000 });
    const m = await scrape(second);
    expect(m.filter((s) => s.name.startsWith('ibkr_position_') && s.labels.con_id === '712345678')).toEqual(
      [],
    );
    expect(valueOf(m, 'ibkr_account_ledger_realized_pnl', { account: 'DU0000001', currency: 'USD' })).toBe(
      79.35,
    );
    expect(dump(db).positions).toHaveLength(2);
  });

  it('reconnects after a gateway restart and backfills the fill made meanwhile, once', async () => {
    const sim = track(await startSim('basic'));
    const exporter: Exporter = track(await startTestExporter(testConfig(sim.port, `${rig.dir}/drop.db`)));
    await waitSynced(exporter, BASIC);
    // The gateway restarts; a fill happens while nobody is connected, so it is pushed to no one.
    sim.restart(300);
    sim.addExecution({
      execId: '0000e0d5.6554f3e5.01.01',
      account: 'DU0000001',
      conId: 76792991,
      side: 'BOT',
      shares: 20,
      price: 240,
      commission: { commission: 1, currency: 'USD', realizedPnl: 198 },
    });
    await vi.waitFor(() => expect(exporter.health.disconnects).toBe(1), { timeout: 5000 });
    expect((await scrape(exporter)).find((s) => s.name === 'ibkr_gateway_up')?.value).toBe(0);
    await vi.waitFor(() => expect(exporter.health.connects).toBe(2), { timeout: 5000 });
    await vi.waitFor(() => expect(exporter.portfolio.executionCounts.get('DU0000001')).toBe(4), {
      timeout: 5000,
    });
    const m = await scrape(exporter);
    expect(valueOf(m, 'ibkr_gateway_up')).toBe(1);
    expect(valueOf(m, 'ibkr_gateway_disconnects_total')).toBe(1);
    expect(valueOf(m, 'ibkr_position_realized_pnl', { con_id: '76792991', currency: 'USD' })).toBe(198);
  });
});
