// Benchmark 1: GET /metrics on the exporter holding N positions across 3 accounts, against a bare
// prom-client Registry that holds exactly the same series and does nothing at scrape time.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { loadConfig } from '../exporter/src/config/config.js';
import { startExporter } from '../exporter/src/exporter.js';
import { fillPortfolio } from './fixtures.js';
import { getText, parseMetrics } from './scrape-client.js';
import { row, summarize } from './stats.js';
import type { Row } from './stats.js';

export interface ScrapeOptions {
  sizes: number[];
  reps: number;
}

/** A bare Registry with the same ibkr_* families, types, labels and values, set once; default metrics alike. */
function bareRegistry(text: string): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const types = new Map<string, string>();
  const helps = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (m) (m[1] === 'TYPE' ? types : helps).set(m[2]!, m[3]!);
  }
  const families = new Map<string, Gauge | Counter>();
  for (const sample of parseMetrics(text)) {
    if (!sample.name.startsWith('ibkr_')) continue;
    let metric = families.get(sample.name);
    if (!metric) {
      const config = {
        name: sample.name,
        help: helps.get(sample.name) ?? sample.name,
        labelNames: Object.keys(sample.labels),
        registers: [registry],
      };
      metric = types.get(sample.name) === 'counter' ? new Counter(config) : new Gauge(config);
      families.set(sample.name, metric);
    }
    if (metric instanceof Counter) metric.inc(sample.labels, sample.value);
    else metric.set(sample.labels, sample.value);
  }
  return registry;
}

function serve(registry: Registry): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => {
    registry.metrics().then((body) => {
      res.setHeader('Content-Type', registry.contentType);
      res.end(body);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }),
    ),
  );
}

async function timeGet(url: string): Promise<{ ms: number; bytes: number }> {
  const started = performance.now();
  const body = await getText(`${url}/metrics`);
  return { ms: performance.now() - started, bytes: Buffer.byteLength(body) };
}

/**
 * GET /metrics as bytes on the wire, gzip asked for or not, without decompressing: the time, the
 * bytes and the CPU this process spent (the exporter runs inline, so that is its compression).
 */
function rawGet(url: string, gzip: boolean): Promise<{ ms: number; bytes: number; cpuMs: number }> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  return new Promise((resolve, reject) => {
    request(`${url}/metrics`, { headers: gzip ? { 'accept-encoding': 'gzip' } : {}, agent: false }, (res) => {
      if (gzip !== (res.headers['content-encoding'] === 'gzip')) {
        reject(new Error(`content-encoding ${String(res.headers['content-encoding'])} with gzip=${gzip}`));
      }
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => {
        const used = process.cpuUsage(cpu);
        resolve({ ms: performance.now() - started, bytes, cpuMs: (used.user + used.system) / 1000 });
      });
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

async function gzipRows(url: string, label: string, reps: number): Promise<Row[]> {
  type Get = Awaited<ReturnType<typeof rawGet>>;
  const runs = { gzip: [] as Get[], plain: [] as Get[] };
  for (let i = 0; i < reps + 1; i++) {
    const gzip = await rawGet(url, true);
    const plain = await rawGet(url, false);
    if (i === 0) continue; // warm-up
    runs.gzip.push(gzip);
    runs.plain.push(plain);
  }
  const of = (key: 'ms' | 'bytes' | 'cpuMs', r: Get[], scale = 1) => summarize(r.map((x) => x[key] / scale));
  const note = 'baseline column: the same scrape without Accept-Encoding: gzip';
  return [
    row({
      benchmark: 'scrape',
      metric: `GET /metrics with gzip, ${label}`,
      unit: 'ms',
      value: of('ms', runs.gzip),
      baseline: of('ms', runs.plain),
      note,
    }),
    row({
      benchmark: 'scrape',
      metric: `bytes on the wire with gzip, ${label}`,
      unit: 'kB',
      value: of('bytes', runs.gzip, 1024),
      baseline: of('bytes', runs.plain, 1024),
    }),
    row({
      benchmark: 'scrape',
      metric: `CPU per scrape with gzip (exporter and client, one process), ${label}`,
      unit: 'ms',
      value: of('cpuMs', runs.gzip),
      baseline: of('cpuMs', runs.plain),
    }),
  ];
}

export async function scrapeBench(options: ScrapeOptions): Promise<Row[]> {
  const rows: Row[] = [];
  const perSeries = new Map<number, number[]>();
  const gzip: Row[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'ibkr-bench-scrape-'));
  try {
    for (const size of options.sizes) {
      const config = loadConfig({
        IBKR_AUTO_SYNC: 'false',
        IBKR_DB_PATH: join(dir, `scrape-${size}.db`),
        IBKR_HTTP_HOST: '127.0.0.1',
        IBKR_HTTP_PORT: '0',
        IBKR_LOG_LEVEL: 'silent',
      });
      const exporter = await startExporter(config, { logger: pino({ level: 'silent' }) });
      fillPortfolio(exporter.portfolio, size);
      const text = await getText(`${exporter.url}/metrics`);
      const series = parseMetrics(text).filter((s) => s.name.startsWith('ibkr_')).length;
      const bare = await serve(bareRegistry(text));
      const exporterMs: number[] = [];
      const baselineMs: number[] = [];
      let exporterBytes = 0;
      let baselineBytes = 0;
      try {
        // Warm up both (JIT, sockets), then alternate so drift in machine load hits both alike.
        for (let i = 0; i < 2; i++) await Promise.all([timeGet(exporter.url), timeGet(bare.url)]);
        for (let i = 0; i < options.reps; i++) {
          const a = await timeGet(exporter.url);
          const b = await timeGet(bare.url);
          exporterMs.push(a.ms);
          baselineMs.push(b.ms);
          exporterBytes = a.bytes;
          baselineBytes = b.bytes;
        }
        if (size === Math.max(...options.sizes)) {
          gzip.push(
            ...(await gzipRows(exporter.url, `${size.toLocaleString('en-US')} positions`, options.reps)),
          );
        }
      } finally {
        await new Promise<void>((resolve) => {
          bare.server.close(() => resolve());
          bare.server.closeAllConnections();
        });
        await exporter.stop();
      }
      const label = `${size.toLocaleString('en-US')} positions (${series.toLocaleString('en-US')} ibkr series)`;
      rows.push(
        row({
          benchmark: 'scrape',
          metric: `GET /metrics, ${label}`,
          unit: 'ms',
          value: summarize(exporterMs),
          baseline: summarize(baselineMs),
          ...(size >= 10_000 ? { target: { on: 'ratio', op: '<=', limit: 1.3 } as const } : {}),
        }),
        row({
          benchmark: 'scrape',
          metric: `response size, ${size.toLocaleString('en-US')} positions`,
          unit: 'kB',
          value: summarize([exporterBytes / 1024]),
          baseline: summarize([baselineBytes / 1024]),
        }),
      );
      perSeries.set(
        size,
        exporterMs.map((ms) => (ms * 1000) / series),
      );
    }
    const smallest = Math.min(...options.sizes);
    const largest = Math.max(...options.sizes);
    if (largest > smallest) {
      rows.push(
        row({
          benchmark: 'scrape',
          metric: `cost per series, ${largest.toLocaleString('en-US')} vs ${smallest.toLocaleString('en-US')} positions`,
          unit: 'µs',
          value: summarize(perSeries.get(largest)!),
          baseline: summarize(perSeries.get(smallest)!),
          target: { on: 'ratio', op: '<=', limit: 2 },
          note: 'baseline column: the exporter itself at the smallest size; a ratio above 2 means work grows faster than the series',
        }),
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return [...rows, ...gzip];
}
