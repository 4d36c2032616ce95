// The benchmarks by name, at three sizes: `full` (the numbers), `quick` (a look in a few
// minutes) and `smoke` (seconds, inside `npm test`, so that none of them can rot).
import { detectionBench } from './detection.js';
import { ingestBench } from './ingest.js';
import { latencyBench } from './latency.js';
import { loadBench } from './load.js';
import { scrapeBench } from './scrape.js';
import type { Row } from './stats.js';
import { startupBench } from './startup.js';

export type Size = 'full' | 'quick' | 'smoke';

export interface SuiteOptions {
  size: Size;
  /** Repetitions, instead of the size's default. */
  reps?: number;
  /** Duration of the load benchmark, instead of the size's default (30 s at full size). */
  loadSeconds?: number;
  /** Where the exporter and the bare client run: their own processes, or inline for the smoke test. */
  subjects: 'process' | 'inline';
}

const by = <T>(size: Size, full: T, quick: T, smoke: T): T =>
  size === 'full' ? full : size === 'quick' ? quick : smoke;

export const BENCHMARKS: Record<string, (o: SuiteOptions) => Promise<Row[]>> = {
  scrape: (o) =>
    scrapeBench({
      sizes: by(o.size, [100, 1000, 10_000], [100, 1000, 10_000], [10, 50]),
      reps: o.reps ?? by(o.size, 9, 5, 2),
    }),
  ingest: (o) =>
    ingestBench({
      liveFills: by(o.size, 10_000, 5000, 50),
      backfill: by(o.size, 100_000, 20_000, 100),
      reps: o.reps ?? by(o.size, 3, 2, 1),
      subjects: o.subjects,
    }),
  latency: (o) =>
    latencyBench({
      updates: by(o.size, 300, 100, 5),
      positions: by(o.size, 30, 30, 6),
      subjects: o.subjects,
    }),
  startup: (o) =>
    startupBench({
      executions: by(o.size, 1_000_000, 100_000, 500),
      positions: by(o.size, 10_000, 1000, 20),
      reps: o.reps ?? by(o.size, 5, 3, 1),
      subjects: o.subjects,
    }),
  load: (o) =>
    loadBench({
      durationS: o.loadSeconds ?? by(o.size, 30, 10, 1),
      scrapers: by(o.size, 20, 20, 3),
      eventsPerSecond: by(o.size, 1000, 1000, 100),
      positions: by(o.size, 1000, 1000, 10),
      subjects: o.subjects,
    }),
  detection: (o) =>
    detectionBench({
      reps: o.reps ?? by(o.size, 3, 2, 1),
      keepaliveS: 1,
      minDelayS: by(o.size, 1, 1, 0.1),
      hang: o.size !== 'smoke',
      subjects: o.subjects,
    }),
};
