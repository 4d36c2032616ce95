// Benchmark 6: how fast /metrics tells the truth about the gateway. A hard drop must set
// ibkr_gateway_up to 0 within 100 ms; a silent hang (socket open, nothing answered) must be
// detected within 2 keepalive intervals + 1 s; a gateway that comes back must be synced again
// ("live") within the minimum reconnect delay + 1 s.
import { performance } from 'node:perf_hooks';
import { GatewaySimulator } from '../exporter/src/sim/server.js';
import { scenarioOf } from './fixtures.js';
import { exporterEnv, tempDir } from '../exporter/test/support/env.js';
import { getText, matching, parseMetrics, scrapeUntil } from './scrape-client.js';
import type { Sample } from './scrape-client.js';
import { row, summarize } from './stats.js';
import type { Row } from './stats.js';
import { spawnSubject } from './subject.js';

export interface DetectionOptions {
  reps: number;
  keepaliveS: number;
  minDelayS: number;
  /** The hang needs at least two keepalive intervals per repetition; the smoke test skips it. */
  hang: boolean;
  subjects: 'process' | 'inline';
}

const POSITIONS = 6;
const gatewayUp = (s: Sample[]) => matching(s, 'ibkr_gateway_up')[0]?.value === 1;
/** ibkr_sync_state{state="live"} where the exporter has it; otherwise only the handshake is known. */
const hasSyncState = (s: Sample[]) => matching(s, 'ibkr_sync_state').length > 0;
const isLive = (s: Sample[]) =>
  hasSyncState(s) ? matching(s, 'ibkr_sync_state', { state: 'live' })[0]?.value === 1 : gatewayUp(s);

interface Outcome {
  samples: number[];
  missed: number;
}

export async function detectionBench(options: DetectionOptions): Promise<Row[]> {
  const dir = tempDir('detection');
  const sim = await GatewaySimulator.start({ scenario: scenarioOf({ positions: POSITIONS }) });
  const subject = await spawnSubject(options.subjects);
  const drop: Outcome = { samples: [], missed: 0 };
  const back: Outcome = { samples: [], missed: 0 };
  const hang: Outcome = { samples: [], missed: 0 };
  const hangLimitMs = (2 * options.keepaliveS + 1) * 1000;
  const backLimitMs = (options.minDelayS + 1) * 1000;
  let syncState: boolean | undefined;
  let healthAfterHang: string | undefined;
  const watch = (url: string, until: (s: Sample[]) => boolean, timeoutMs: number, intervalMs = 0) =>
    scrapeUntil(url, (text) => until(parseMetrics(text)), { timeoutMs, intervalMs });
  /** Measures one scenario; a timeout counts as a miss, not a crash of the benchmark. */
  const attempt = async (outcome: Outcome, measure: () => Promise<number>) => {
    try {
      outcome.samples.push(await measure());
    } catch {
      outcome.missed++;
    }
  };
  try {
    const { url } = await subject.startExporter(
      exporterEnv(sim.port, dir.file('detection.db'), {
        IBKR_KEEPALIVE_SECONDS: String(options.keepaliveS),
        IBKR_RECONNECT_MIN_DELAY: String(options.minDelayS),
        IBKR_RECONNECT_MAX_DELAY: String(options.minDelayS * 4),
        IBKR_HANDSHAKE_TIMEOUT: '2',
      }),
    );
    const waitLive = () => watch(url, isLive, 30_000, 20);
    await waitLive();
    syncState = hasSyncState(parseMetrics(await getText(`${url}/metrics`)));
    for (let rep = 0; rep < options.reps; rep++) {
      await attempt(drop, async () => {
        const t0 = performance.now();
        sim.dropConnections();
        return (await watch(url, (s) => !gatewayUp(s), 5000)) - t0;
      });
      await waitLive();

      await attempt(back, async () => {
        const up = new Promise<number>((resolve) => {
          const onLifecycle = (event: string) => {
            if (event !== 'up') return;
            sim.off('lifecycle', onLifecycle);
            resolve(performance.now());
          };
          sim.on('lifecycle', onLifecycle);
        });
        // Down for two minimum delays: the first reconnect attempt fails, the backoff doubles.
        sim.restart(options.minDelayS * 2000);
        const t0 = await up;
        return (await watch(url, isLive, 3 * backLimitMs, 10)) - t0;
      });
      await waitLive();

      if (options.hang) {
        await attempt(hang, async () => {
          const t0 = performance.now();
          sim.setSilent(true);
          try {
            return (await watch(url, (s) => !isLive(s) || !gatewayUp(s), 2 * hangLimitMs, 20)) - t0;
          } finally {
            healthAfterHang ??= await getText(`${url}/sync/health`).catch(() => undefined);
            sim.setSilent(false);
            // An exporter that did not notice still sits on the dead connection: free it.
            sim.dropConnections();
          }
        });
        await waitLive();
      }
    }
  } finally {
    await subject.close();
    await sim.stop();
    dir.cleanup();
  }
  const result = (metric: string, outcome: Outcome, limit: number, extra?: string): Row => {
    const r = row({
      benchmark: 'detection',
      metric,
      unit: 'ms',
      value: summarize(outcome.samples),
      target: { on: 'value', op: '<=', limit },
    });
    const notes = [
      outcome.missed > 0
        ? `${outcome.missed} of ${outcome.missed + outcome.samples.length} runs not detected in time`
        : '',
      extra ?? '',
    ].filter(Boolean);
    if (outcome.missed > 0) r.pass = false;
    if (notes.length > 0) r.note = notes.join('; ');
    return r;
  };
  const liveMeans =
    syncState === true
      ? 'live = ibkr_sync_state{state="live"} 1'
      : 'ibkr_sync_state is not exported yet: live = ibkr_gateway_up 1 (handshake only)';
  const rows = [
    result('hard drop → ibkr_gateway_up 0', drop, 100),
    result(
      `gateway back → live, down ${options.minDelayS * 2} s, min delay ${options.minDelayS} s`,
      back,
      backLimitMs,
      liveMeans,
    ),
  ];
  if (options.hang) {
    rows.push(
      result(
        `silent hang → detected, keepalive ${options.keepaliveS} s`,
        hang,
        hangLimitMs,
        `detected = not live or ibkr_gateway_up 0; /sync/health right after: ${healthAfterHang ? JSON.stringify(pick(healthAfterHang)) : 'unavailable'}`,
      ),
    );
  }
  return rows;
}

function pick(json: string): Record<string, unknown> {
  const body = JSON.parse(json) as Record<string, unknown>;
  return Object.fromEntries(
    ['state', 'connected', 'error'].filter((k) => k in body).map((k) => [k, body[k]]),
  );
}
