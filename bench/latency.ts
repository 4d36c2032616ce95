// Benchmark 3: a PnL update sent by the simulator until a scrape of /metrics shows it. The
// scraper polls back to back, so each measurement includes up to one scrape of waiting; the
// baseline column is the duration of one scrape on its own, the resolution of the measurement.
import { performance } from 'node:perf_hooks';
import { GatewaySimulator } from '../exporter/src/sim/server.js';
import { accountOf, contractOf, scenarioOf } from './fixtures.js';
import { exporterEnv, tempDir } from '../exporter/test/support/env.js';
import { getText, scrapeUntil, waitSynced } from './scrape-client.js';
import { row, summarize } from './stats.js';
import type { Row } from './stats.js';
import { spawnSubject } from './subject.js';

export interface LatencyOptions {
  updates: number;
  positions: number;
  subjects: 'process' | 'inline';
}

export async function latencyBench(options: LatencyOptions): Promise<Row[]> {
  const dir = tempDir('latency');
  const sim = await GatewaySimulator.start({ scenario: scenarioOf({ positions: options.positions }) });
  const subject = await spawnSubject(options.subjects);
  const latencies: number[] = [];
  const scrapes: number[] = [];
  try {
    const { url } = await subject.startExporter(exporterEnv(sim.port, dir.file('latency.db')));
    await waitSynced(url, options.positions);
    for (let i = 0; i < options.updates; i++) {
      const j = i % options.positions;
      const account = accountOf(j);
      const conId = contractOf(j).conId;
      // A value no earlier update had, so only this update can make the line appear.
      const daily = 100_000 + i + 0.25;
      const line = `con_id="${conId}",symbol="SYM${j}",sec_type="STK",currency="USD"} ${daily}\n`;
      const expected = `ibkr_position_daily_pnl{account="${account}",${line}`;
      const sent = performance.now();
      sim.updatePnl({ account, conId, daily });
      const seen = await scrapeUntil(url, (text) => text.includes(expected), {
        timeoutMs: 10_000,
        what: `daily PnL ${daily} of ${conId}`,
      });
      latencies.push(seen - sent);
      const started = performance.now();
      await getText(`${url}/metrics`);
      scrapes.push(performance.now() - started);
    }
  } finally {
    await subject.close();
    await sim.stop();
    dir.cleanup();
  }
  return [
    row({
      benchmark: 'latency',
      metric: `PnL update → visible on /metrics (${options.positions} positions, ${options.updates} updates)`,
      unit: 'ms',
      value: summarize(latencies, true),
      baseline: summarize(scrapes, true),
      target: { on: 'value', op: '<=', limit: 5 },
      note: 'baseline column: one scrape of /metrics alone, the resolution of the measurement (a poll that just missed the update adds up to one)',
    }),
  ];
}
