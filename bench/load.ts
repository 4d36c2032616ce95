// Benchmark 5: 20 scrapers scraping /metrics back to back while the simulator sends 1,000 PnL
// updates a second, for a given duration. Measures scrape latency, the exporter's event-loop
// delay, errors, RSS growth after warm-up, and that the last update of every position arrived.
import { performance } from 'node:perf_hooks';
import { GatewaySimulator } from '../exporter/src/sim/server.js';
import { accountOf, contractOf, scenarioOf } from './fixtures.js';
import { exporterEnv, tempDir } from '../exporter/test/support/env.js';
import { getText, matching, parseMetrics, waitSynced } from './scrape-client.js';
import { row, single, summarize } from './stats.js';
import type { Row } from './stats.js';
import { spawnSubject } from './subject.js';

export interface LoadOptions {
  durationS: number;
  scrapers: number;
  eventsPerSecond: number;
  positions: number;
  subjects: 'process' | 'inline';
}

const MB = 1024 * 1024;

export async function loadBench(options: LoadOptions): Promise<Row[]> {
  const dir = tempDir('load');
  const sim = await GatewaySimulator.start({ scenario: scenarioOf({ positions: options.positions }) });
  const subject = await spawnSubject(options.subjects);
  const latencies: number[] = [];
  let errors = 0;
  let sent = 0;
  const lastSent = new Map<number, number>();
  const rss: Array<{ at: number; mb: number }> = [];
  const warmupMs = Math.max(1000, options.durationS * 200);
  let lag: { p99: number; max: number } | undefined;
  let applied: number | undefined;
  try {
    const { url } = await subject.startExporter(exporterEnv(sim.port, dir.file('load.db')));
    await waitSynced(url, options.positions);
    const start = performance.now();
    const end = start + options.durationS * 1000;
    let warmedUp = false;

    // The events: PnL updates round-robin over the positions, paced against the clock.
    const events = setInterval(() => {
      const due = Math.floor(((performance.now() - start) / 1000) * options.eventsPerSecond);
      for (; sent < due; sent++) {
        const j = sent % options.positions;
        const conId = contractOf(j).conId;
        const daily = 1_000_000 + sent + 0.5;
        sim.updatePnl({ account: accountOf(j), conId, daily });
        lastSent.set(conId, daily);
      }
    }, 10);

    const sampler = setInterval(() => {
      const at = performance.now() - start;
      void subject.stats(!warmedUp && at >= warmupMs).then((s) => {
        rss.push({ at, mb: s.rssBytes / MB });
        // The event-loop monitor is reset at the end of warm-up; the final read covers the rest.
        if (at >= warmupMs) warmedUp = true;
      });
    }, 1000);

    const scraper = async () => {
      while (performance.now() < end) {
        const started = performance.now();
        try {
          await getText(`${url}/metrics`);
          latencies.push(performance.now() - started);
        } catch {
          errors++;
        }
      }
    };
    await Promise.all(Array.from({ length: options.scrapers }, scraper));
    clearInterval(events);
    clearInterval(sampler);
    const final = await subject.stats();
    rss.push({ at: performance.now() - start, mb: final.rssBytes / MB });
    lag = { p99: final.lagP99Ms, max: final.lagMaxMs };

    // Every position's last update must be what /metrics shows once the backlog is drained.
    const deadline = performance.now() + 10_000;
    for (;;) {
      const samples = parseMetrics(await getText(`${url}/metrics`));
      applied = [...lastSent].filter(
        ([conId, daily]) =>
          matching(samples, 'ibkr_position_daily_pnl', { con_id: String(conId) })[0]?.value === daily,
      ).length;
      if (applied === lastSent.size || performance.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await subject.close();
    await sim.stop();
    dir.cleanup();
  }
  // RSS swings by tens of MB with each garbage collection while 20 renders are in flight, so a
  // single sample says little: compare the median of the first and of the last few seconds.
  const after = rss.filter((s) => s.at >= warmupMs).map((s) => s.mb);
  const window = Math.max(1, Math.min(5, Math.floor(after.length / 3)));
  const first = summarize(after.slice(0, window));
  const last = summarize(after.slice(-window));
  const peak = Math.max(...after);
  const what = `${options.scrapers} scrapers, ${options.eventsPerSecond} events/s, ${options.positions} positions, ${options.durationS} s`;
  return [
    row({
      benchmark: 'load',
      metric: `scrape latency (${what})`,
      unit: 'ms',
      value: summarize(latencies, true),
      note: `${latencies.length} scrapes, ${sent} events sent`,
    }),
    row({
      benchmark: 'load',
      metric: 'scrape errors',
      unit: '',
      value: single(errors),
      target: { on: 'value', op: '<=', limit: 0 },
    }),
    row({
      benchmark: 'load',
      metric: 'exporter event-loop delay after warm-up, p99',
      unit: 'ms',
      value: single(lag?.p99 ?? Number.NaN),
      note: `max ${(lag?.max ?? Number.NaN).toFixed(0)} ms`,
    }),
    row({
      benchmark: 'load',
      metric: `RSS, last ${window} s vs first ${window} s after a ${(warmupMs / 1000).toFixed(0)} s warm-up`,
      unit: 'MB',
      value: last,
      baseline: first,
      target: { on: 'ratio', op: '<=', limit: 1.1 },
      note: `peak after warm-up ${peak.toFixed(0)} MB`,
    }),
    row({
      benchmark: 'load',
      metric: 'positions whose last update is on /metrics',
      unit: '',
      value: single(applied ?? 0),
      target: { on: 'value', op: '>=', limit: lastSent.size },
    }),
  ];
}
