// Benchmark 4: start-up. The compiled exporter (node dist/main.js, what npm start and the image
// run) from spawn to its first /metrics and its RSS after it: on an empty database against the
// floor (bare Node serving one prom-client registry with express), and on a ledger with a million
// executions and 10,000 positions against the empty database. Then the restore alone (modules
// already loaded, in a subject process), which must not scan history: the ledger keeps running
// totals, so the time should not grow with the executions. Last, the same ledger on PostgreSQL
// against SQLite, both started against a simulator holding the book's accounts and positions: on
// PostgreSQL an exporter restores an account only once its gateway names it (several exporters
// share one database), so both are timed until /metrics shows the restored ledger.
import { copyFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { SqliteStore } from '../exporter/src/store/sqlite-store.js';
import { buildLedgerDb } from './fixtures.js';
import { exporterEnv, tempDir } from '../exporter/test/support/env.js';
import { getText, matching, parseMetrics, sumOf } from './scrape-client.js';
import { row, summarize } from './stats.js';
import type { Row } from './stats.js';
import { buildExporter, timeProcessStart } from './process-start.js';
import type { ProcessStart } from './process-start.js';
import { spawnSubject } from './subject.js';
import { GatewaySimulator } from '../exporter/src/sim/server.js';
import { scenarioOf } from './fixtures.js';
import { benchPostgres } from './postgres.js';
import { buildPostgresLedger } from './postgres-ledger.js';

export interface StartupOptions {
  executions: number;
  positions: number;
  reps: number;
  subjects: 'process' | 'inline';
}

const MB = 1024 * 1024;

interface Start {
  /** Process spawn until /metrics served the restored state: what a restarted pod takes. */
  processMs: number;
  /** startExporter() until then, with the modules already loaded: the restore itself. */
  restoreMs: number;
  rssMb: number;
}

async function startOnce(
  dbPath: string,
  subjects: 'process' | 'inline',
  expect: { executions: number; positions: number },
): Promise<Start> {
  const spawned = performance.now();
  const subject = await spawnSubject(subjects);
  try {
    const started = performance.now();
    const { url } = await subject.startExporter({
      IBKR_AUTO_SYNC: 'false',
      IBKR_DB_PATH: dbPath,
      IBKR_HTTP_HOST: '127.0.0.1',
      IBKR_HTTP_PORT: '0',
      IBKR_LOG_LEVEL: 'silent',
    });
    const samples = parseMetrics(await getText(`${url}/metrics`));
    const served = performance.now();
    const positions = matching(samples, 'ibkr_position_quantity').length;
    const executions = sumOf(samples, 'ibkr_executions_total');
    if (positions !== expect.positions || executions !== expect.executions) {
      throw new Error(
        `restored ${positions} positions and ${executions} executions, expected ${expect.positions} and ${expect.executions}`,
      );
    }
    const { rssBytes } = await subject.stats();
    return { processMs: served - spawned, restoreMs: served - started, rssMb: rssBytes / MB };
  } finally {
    await subject.close();
  }
}

const EXPORTER = ['--enable-source-maps', 'dist/main.js'];
const FLOOR = ['bench/floor-server.mjs'];

async function startCompiled(dbPath: string, expect: { executions: number; positions: number }) {
  const start = await timeProcessStart(EXPORTER, {
    IBKR_AUTO_SYNC: 'false',
    IBKR_DB_PATH: dbPath,
    IBKR_HTTP_HOST: '127.0.0.1',
    IBKR_HTTP_PORT: '0',
    IBKR_LOG_LEVEL: 'info',
  });
  const samples = parseMetrics(start.metrics);
  const positions = matching(samples, 'ibkr_position_quantity').length;
  const executions = sumOf(samples, 'ibkr_executions_total');
  if (positions !== expect.positions || executions !== expect.executions) {
    throw new Error(`compiled exporter restored ${positions} positions and ${executions} executions`);
  }
  return start;
}

/** Process spawn until /metrics shows `expect` restored, with a gateway naming the accounts. */
async function startWithGateway(
  simPort: number,
  ledger: { dbPath: string; extra?: Record<string, string> },
  expect: { executions: number; positions: number },
): Promise<ProcessStart> {
  const restored = (text: string) => {
    const samples = parseMetrics(text);
    return (
      matching(samples, 'ibkr_position_quantity').length === expect.positions &&
      sumOf(samples, 'ibkr_executions_total') === expect.executions
    );
  };
  return timeProcessStart(
    EXPORTER,
    // Logging at info: timeProcessStart reads the URL from the "exporter listening" line.
    exporterEnv(simPort, ledger.dbPath, { IBKR_LOG_LEVEL: 'info', ...ledger.extra }),
    120_000,
    restored,
  );
}

export async function startupBench(options: StartupOptions): Promise<Row[]> {
  buildExporter();
  const dir = tempDir('startup');
  const runs = { full: [] as Start[], empty: [] as Start[], noHistory: [] as Start[] };
  const compiled = { full: [] as ProcessStart[], empty: [] as ProcessStart[], floor: [] as ProcessStart[] };
  const gateway = { sqlite: [] as ProcessStart[], postgres: [] as ProcessStart[] };
  let buildSeconds: number | undefined;
  let pgBuildSeconds: number | undefined;
  const postgres = await benchPostgres();
  const sim = await GatewaySimulator.start({ scenario: scenarioOf({ positions: options.positions }) });
  try {
    const emptyDb = dir.file('empty.db');
    new SqliteStore({ path: emptyDb }).close();
    const noHistoryDb = dir.file('positions-only.db');
    buildLedgerDb(noHistoryDb, { executions: 0, positions: options.positions });
    let databaseUrl: string | undefined;
    if (postgres.cluster) {
      databaseUrl = await postgres.cluster.createDatabase('startup');
      const pgBuilding = performance.now();
      await buildPostgresLedger(databaseUrl, options);
      pgBuildSeconds = (performance.now() - pgBuilding) / 1000;
    }
    const fullDb = dir.file('ledger.db');
    const building = performance.now();
    buildLedgerDb(fullDb, { executions: options.executions, positions: options.positions });
    buildSeconds = (performance.now() - building) / 1000;
    // The gateway rows write what the simulator sends, so they get their own copy of the ledger.
    // Their first start is a first sync (each reported position checked against its stored fills
    // once, ever; on SQLite that blocks /metrics for a minute on this book) and is not counted:
    // the rows time a restart, what a rescheduled pod does.
    const gatewayDb = dir.file('gateway.db');
    copyFileSync(fullDb, gatewayDb);
    const sqliteLedger = { dbPath: gatewayDb };
    const postgresLedger =
      databaseUrl === undefined
        ? undefined
        : { dbPath: dir.file('unused.db'), extra: { IBKR_DATABASE_URL: databaseUrl } };
    await startWithGateway(sim.port, sqliteLedger, options);
    if (postgresLedger) await startWithGateway(sim.port, postgresLedger, options);
    // Alternate, so machine load and the page cache treat all three alike.
    for (let rep = 0; rep < options.reps; rep++) {
      compiled.floor.push(await timeProcessStart(FLOOR));
      compiled.empty.push(await startCompiled(emptyDb, { executions: 0, positions: 0 }));
      compiled.full.push(await startCompiled(fullDb, options));
      runs.full.push(await startOnce(fullDb, options.subjects, options));
      runs.empty.push(await startOnce(emptyDb, options.subjects, { executions: 0, positions: 0 }));
      runs.noHistory.push(
        await startOnce(noHistoryDb, options.subjects, { executions: 0, positions: options.positions }),
      );
      gateway.sqlite.push(await startWithGateway(sim.port, sqliteLedger, options));
      if (postgresLedger) gateway.postgres.push(await startWithGateway(sim.port, postgresLedger, options));
    }
  } finally {
    await sim.stop();
    await postgres.cluster?.destroy();
    dir.cleanup();
  }
  if (postgres.skipped) console.warn(`startup: PostgreSQL row skipped: ${postgres.skipped}`);
  const n = (x: number) => x.toLocaleString('en-US');
  const what = `${n(options.executions)} executions, ${n(options.positions)} positions`;
  const of = (starts: Start[], key: keyof Start) => summarize(starts.map((s) => s[key]));
  const c = (starts: ProcessStart[], key: 'startMs' | 'rssMb') => summarize(starts.map((s) => s[key]));
  const postgresRows = postgres.cluster
    ? [
        row({
          benchmark: 'startup',
          metric: `PostgreSQL: process start → /metrics serves the restored state, ${what}, with a gateway (baseline: SQLite)`,
          unit: 'ms',
          value: c(gateway.postgres, 'startMs'),
          baseline: c(gateway.sqlite, 'startMs'),
          target: { on: 'ratio', op: '<=', limit: 1.5 },
          note: `both compiled, restarted against one simulator holding the book's accounts and positions (first sync not counted); the PostgreSQL ledger was built in ${(pgBuildSeconds ?? Number.NaN).toFixed(1)} s with INSERT … SELECT generate_series (not counted)`,
        }),
      ]
    : [];
  return [
    row({
      benchmark: 'startup',
      metric: 'process start → first /metrics, empty database (compiled, node dist/main.js)',
      unit: 'ms',
      value: c(compiled.empty, 'startMs'),
      baseline: c(compiled.floor, 'startMs'),
      target: { on: 'ratio', op: '<=', limit: 1.5 },
      note: 'baseline column: the floor, bare Node importing express and prom-client and serving one registry (bench/floor-server.mjs)',
    }),
    row({
      benchmark: 'startup',
      metric: 'RSS after the first scrape, empty database (compiled)',
      unit: 'MB',
      value: c(compiled.empty, 'rssMb'),
      baseline: c(compiled.floor, 'rssMb'),
      target: { on: 'ratio', op: '<=', limit: 1.5 },
    }),
    row({
      benchmark: 'startup',
      metric: `process start → /metrics serves the restored state, ${what} (compiled)`,
      unit: 'ms',
      value: c(compiled.full, 'startMs'),
      baseline: c(compiled.empty, 'startMs'),
      target: { on: 'ratio', op: '<=', limit: 2 },
      note: `baseline column: an empty database; the ledger was built in ${(buildSeconds ?? Number.NaN).toFixed(1)} s with bulk SQL (not counted)`,
    }),
    row({
      benchmark: 'startup',
      metric: `RSS after the first scrape, ${what} (compiled)`,
      unit: 'MB',
      value: c(compiled.full, 'rssMb'),
      baseline: c(compiled.empty, 'rssMb'),
      target: { on: 'value', op: '<=', limit: 150 },
    }),
    row({
      benchmark: 'startup',
      metric: `startExporter() → restored state served (modules loaded), ${what}`,
      unit: 'ms',
      value: of(runs.full, 'restoreMs'),
      baseline: of(runs.empty, 'restoreMs'),
      note: 'restoring and rendering the positions is the difference; it grows with positions, not executions (next row)',
    }),
    row({
      benchmark: 'startup',
      metric: `history: ${n(options.executions)} executions vs none, both ${n(options.positions)} positions`,
      unit: 'ms',
      value: of(runs.full, 'restoreMs'),
      baseline: of(runs.noHistory, 'restoreMs'),
      note: 'a ratio near 1 shows that start-up does not scan the execution history',
    }),
    ...postgresRows,
  ];
}
