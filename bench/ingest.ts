// Benchmark 2: executions with their commission reports per second, from the simulator through
// the exporter into SQLite until /metrics counts them, against a bare @stoqey/ib client that only
// decodes the same stream from the same simulator. Live fills are pre-encoded and sent in one
// write, so the simulator costs nothing while the subject works; the backfill is the simulator's
// own answer to reqExecutions from a scenario with that many of today's fills. With PostgreSQL's
// server binaries installed, the same exporter on a throwaway PostgreSQL cluster runs each
// repetition too, against the SQLite rate of the same run.
import { performance } from 'node:perf_hooks';
import * as msg from '../exporter/src/sim/messages.js';
import { formatIbExecTime } from '../exporter/src/sim/ib-time.js';
import { GatewaySimulator } from '../exporter/src/sim/server.js';
import type { RecordedRequest } from '../exporter/src/sim/requests.js';
import { encodeFrame } from '../exporter/src/sim/wire.js';
import { accountOf, contractOf, execIdOf, scenarioOf } from './fixtures.js';
import { exporterEnv, tempDir } from '../exporter/test/support/env.js';
import { benchPostgres } from './postgres.js';
import type { BenchPostgres } from './postgres.js';
import { parseMetrics, scrapeUntil, sumOf, waitSynced } from './scrape-client.js';
import { row, summarize } from './stats.js';
import type { Row } from './stats.js';
import { spawnSubject } from './subject.js';

export interface IngestOptions {
  /** Live fills per repetition. */
  liveFills: number;
  /** Executions in the backfill at connect. */
  backfill: number;
  reps: number;
  subjects: 'process' | 'inline';
}

const POSITIONS = 30;
const BARE_CLIENT_ID = 7;

/** `count` live fills (execDetails reqId -1 + commissionReport) as one buffer; every second one closes. */
function liveBurst(serverVersion: number, count: number, prefix: string): Buffer {
  const time = formatIbExecTime(Date.now(), 'UTC');
  const frames: Buffer[] = [];
  for (let k = 0; k < count; k++) {
    const j = k % POSITIONS;
    const c = contractOf(j);
    const execId = execIdOf(k, prefix);
    const closing = k % 2 === 1;
    frames.push(
      encodeFrame(
        msg.execDetails(
          serverVersion,
          -1,
          { conId: c.conId, symbol: c.symbol, secType: c.secType, exchange: 'SMART', currency: c.currency },
          {
            execId,
            orderId: 0,
            time,
            account: accountOf(j),
            exchange: 'SMART',
            side: closing ? 'SLD' : 'BOT',
            shares: 10,
            price: 100,
            permId: 0,
            clientId: 0,
            cumQty: 10,
            avgPrice: 100,
            orderRef: '',
          },
        ),
      ),
      encodeFrame(msg.commissionReport(execId, 1, 'USD', closing ? 2.5 : null)),
    );
  }
  return Buffer.concat(frames);
}

/** /metrics shows `fills` stored executions and their 1 USD commission reports. */
const ingested = (fills: number) => (text: string) => {
  const samples = parseMetrics(text);
  return (
    sumOf(samples, 'ibkr_executions_total') === fills &&
    sumOf(samples, 'ibkr_commissions_paid_total') === fills
  );
};

export async function ingestBench(options: IngestOptions): Promise<Row[]> {
  const dir = tempDir('ingest');
  const live = { exporter: [] as number[], bare: [] as number[], postgres: [] as number[] };
  const backfill = {
    exporter: [] as number[],
    bare: [] as number[],
    simMs: [] as number[],
    postgres: [] as number[],
  };
  const postgres: BenchPostgres = await benchPostgres();
  /** The exporter's environment on SQLite, or with its ledger in a fresh PostgreSQL database. */
  const envFor = async (port: number, file: string, onPostgres: boolean) =>
    exporterEnv(
      port,
      dir.file(file),
      onPostgres ? { IBKR_DATABASE_URL: await postgres.cluster!.createDatabase('ingest') } : {},
    );
  const backends = postgres.cluster ? [false, true] : [false];
  try {
    // ---- live fills on a synced connection ----
    const liveSim = await GatewaySimulator.start({ scenario: scenarioOf({ positions: POSITIONS }) });
    try {
      for (let rep = 0; rep < options.reps; rep++) {
        const burst = liveBurst(
          liveSim.scenario.serverVersion,
          options.liveFills,
          `0000b${rep.toString(16).padStart(3, '0')}`,
        );
        for (const onPostgres of backends) {
          const exporter = await spawnSubject(options.subjects);
          try {
            const env = await envFor(
              liveSim.port,
              `live-${rep}-${onPostgres ? 'pg' : 'sqlite'}.db`,
              onPostgres,
            );
            const { url } = await exporter.startExporter(env);
            await waitSynced(url, POSITIONS);
            const started = performance.now();
            liveSim.sendRaw(burst);
            const done = await scrapeUntil(url, ingested(options.liveFills), {
              timeoutMs: 120_000,
              intervalMs: 20,
              what: `${options.liveFills} live fills`,
            });
            (onPostgres ? live.postgres : live.exporter).push(options.liveFills / ((done - started) / 1000));
          } finally {
            await exporter.close();
          }
        }
        const bare = await spawnSubject(options.subjects);
        try {
          await bare.request({
            type: 'client',
            port: liveSim.port,
            clientId: BARE_CLIENT_ID,
            backfill: false,
          });
          const started = performance.now();
          liveSim.sendRaw(burst);
          await bare.request({ type: 'awaitReports', reports: options.liveFills, timeoutMs: 120_000 });
          live.bare.push(options.liveFills / ((performance.now() - started) / 1000));
        } finally {
          await bare.close();
        }
      }
    } finally {
      await liveSim.stop();
    }

    // ---- backfill at connect ----
    const sim = await GatewaySimulator.start({
      scenario: scenarioOf({ positions: POSITIONS, executions: options.backfill }),
    });
    // The clock starts when the simulator has written its whole answer (it does so synchronously
    // right after the request event, corked into a few writes): from then on the backlog waits in
    // the socket and only the subject's speed counts.
    let answered: number | undefined;
    const onRequest = (r: RecordedRequest) => {
      if (r.name !== 'reqExecutions') return;
      const asked = performance.now();
      setImmediate(() => {
        answered = performance.now();
        backfill.simMs.push(answered - asked);
      });
    };
    sim.on('request', onRequest);
    const waitAnswered = async () => {
      const deadline = performance.now() + 120_000;
      while (answered === undefined) {
        if (performance.now() > deadline) throw new Error('no answer to reqExecutions within 120 s');
        await new Promise((r) => setTimeout(r, 5));
      }
      return answered;
    };
    try {
      for (let rep = 0; rep < options.reps; rep++) {
        for (const onPostgres of backends) {
          answered = undefined;
          const exporter = await spawnSubject(options.subjects);
          try {
            const env = await envFor(
              sim.port,
              `backfill-${rep}-${onPostgres ? 'pg' : 'sqlite'}.db`,
              onPostgres,
            );
            const { url } = await exporter.startExporter(env);
            const started = await waitAnswered();
            const done = await scrapeUntil(url, ingested(options.backfill), {
              timeoutMs: 300_000,
              intervalMs: 50,
              what: `a backfill of ${options.backfill} fills`,
            });
            (onPostgres ? backfill.postgres : backfill.exporter).push(
              options.backfill / ((done - started) / 1000),
            );
          } finally {
            await exporter.close();
          }
        }
        answered = undefined;
        const bare = await spawnSubject(options.subjects);
        try {
          await bare.request({ type: 'client', port: sim.port, clientId: BARE_CLIENT_ID, backfill: true });
          const started = await waitAnswered();
          await bare.request({ type: 'awaitReports', reports: options.backfill, timeoutMs: 300_000 });
          backfill.bare.push(options.backfill / ((performance.now() - started) / 1000));
        } finally {
          await bare.close();
        }
      }
    } finally {
      sim.off('request', onRequest);
      await sim.stop();
    }
  } finally {
    await postgres.cluster?.destroy();
    dir.cleanup();
  }
  const n = (x: number) => x.toLocaleString('en-US');
  const simMs = summarize(backfill.simMs).median;
  const postgresRows = postgres.cluster
    ? [
        row({
          benchmark: 'ingest',
          metric: `PostgreSQL: live fills, ${n(options.liveFills)} per burst (baseline: SQLite)`,
          unit: 'fills/s',
          value: summarize(live.postgres),
          baseline: summarize(live.exporter),
          target: { on: 'ratio', op: '>=', limit: 0.5 },
        }),
        row({
          benchmark: 'ingest',
          metric: `PostgreSQL: backfill of ${n(options.backfill)} fills (baseline: SQLite)`,
          unit: 'fills/s',
          value: summarize(backfill.postgres),
          baseline: summarize(backfill.exporter),
          target: { on: 'ratio', op: '>=', limit: 0.5 },
        }),
      ]
    : [];
  if (postgres.skipped) console.warn(`ingest: PostgreSQL rows skipped: ${postgres.skipped}`);
  return [
    row({
      benchmark: 'ingest',
      metric: `live fills (+ commission reports), ${n(options.liveFills)} per burst`,
      unit: 'fills/s',
      value: summarize(live.exporter),
      baseline: summarize(live.bare),
      target: { on: 'ratio', op: '>=', limit: 0.7 },
    }),
    row({
      benchmark: 'ingest',
      metric: `backfill of ${n(options.backfill)} fills at connect`,
      unit: 'fills/s',
      value: summarize(backfill.exporter),
      baseline: summarize(backfill.bare),
      target: { on: 'ratio', op: '>=', limit: 0.35 },
      note: `timed from the moment the simulator had written its whole answer (${(simMs / 1000).toFixed(1)} s of encoding, not counted) until the last fill was visible`,
    }),
    ...postgresRows,
  ];
}
