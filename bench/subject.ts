// The subject of a benchmark, the exporter or the baseline (a bare @stoqey/ib client that only
// decodes), in a process of its own so its RSS and event loop are its own and the simulator and
// the scrapers run elsewhere. The driver talks to it over IPC; `inline` runs the same handler in
// the driver's process, for the smoke test where isolation does not matter but speed does.
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { EventName, IBApi } from '@stoqey/ib';
import pino from 'pino';
import { loadConfig } from '../exporter/src/config/config.js';
import { startExporter } from '../exporter/src/exporter.js';
import type { Exporter } from '../exporter/src/exporter.js';

export type Command =
  | { type: 'exporter'; env: Record<string, string> }
  /** Connects a bare client; with `backfill` it asks for every execution as the exporter does. */
  | { type: 'client'; port: number; clientId: number; backfill: boolean }
  /** Answers once the bare client has decoded `reports` commission reports in all. */
  | { type: 'awaitReports'; reports: number; timeoutMs: number }
  | { type: 'stats'; resetLag?: boolean }
  | { type: 'stop' };

export interface Started {
  url: string;
  /** startExporter() until it returned, inside the subject. */
  startMs: number;
}

export interface Stats {
  rssBytes: number;
  heapUsedBytes: number;
  /** Event-loop delay since the last reset, milliseconds. */
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
}

/** The handler behind both the child process and the inline subject. */
export function createHandler(): { handle(cmd: Command): Promise<unknown>; close(): Promise<void> } {
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  let exporter: Exporter | undefined;
  let client: IBApi | undefined;
  let reports = 0;
  let waiters: Array<{ reports: number; resolve: () => void }> = [];

  const onReport = () => {
    reports++;
    const ready = waiters.filter((w) => reports >= w.reports);
    if (ready.length === 0) return;
    waiters = waiters.filter((w) => reports < w.reports);
    for (const w of ready) w.resolve();
  };

  const close = async () => {
    lag.disable();
    client?.disconnect();
    client = undefined;
    await exporter?.stop();
    exporter = undefined;
  };

  return {
    close,
    async handle(cmd) {
      switch (cmd.type) {
        case 'exporter': {
          const started = performance.now();
          exporter = await startExporter(loadConfig(cmd.env), { logger: pino({ level: 'silent' }) });
          return { url: exporter.url, startMs: performance.now() - started } satisfies Started;
        }
        case 'client': {
          const api = new IBApi({ host: '127.0.0.1', port: cmd.port });
          client = api;
          api.on(EventName.commissionReport, onReport);
          // Without an error listener stoqey's emitter would throw on the first notice.
          api.on(EventName.error, () => undefined);
          await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(
              () => reject(new Error('bare client: no nextValidId within 10 s')),
              10_000,
            );
            api.once(EventName.nextValidId, () => {
              clearTimeout(timer);
              resolve();
            });
            api.connect(cmd.clientId);
          });
          if (cmd.backfill) api.reqExecutions(1, {});
          return {};
        }
        case 'awaitReports':
          if (reports >= cmd.reports) return { reports };
          await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(
              () => reject(new Error(`bare client: ${reports} of ${cmd.reports} commission reports`)),
              cmd.timeoutMs,
            );
            waiters.push({
              reports: cmd.reports,
              resolve: () => {
                clearTimeout(timer);
                resolve();
              },
            });
          });
          return { reports };
        case 'stats': {
          const memory = process.memoryUsage();
          const stats: Stats = {
            rssBytes: memory.rss,
            heapUsedBytes: memory.heapUsed,
            lagP50Ms: lag.percentile(50) / 1e6,
            lagP99Ms: lag.percentile(99) / 1e6,
            lagMaxMs: lag.max / 1e6,
          };
          if (cmd.resetLag) lag.reset();
          return stats;
        }
        case 'stop':
          await close();
          return {};
      }
    },
  };
}

export interface Subject {
  readonly pid: number;
  request<T>(cmd: Command): Promise<T>;
  startExporter(env: Record<string, string>): Promise<Started>;
  stats(resetLag?: boolean): Promise<Stats>;
  close(): Promise<void>;
}

type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

function withHelpers(pid: number, request: Subject['request'], close: () => Promise<void>): Subject {
  return {
    pid,
    request,
    startExporter: (env) => request<Started>({ type: 'exporter', env }),
    stats: (resetLag) => request<Stats>({ type: 'stats', resetLag }),
    close,
  };
}

const CHILD = new URL('./subject-main.ts', import.meta.url).pathname;

/** A subject in a child process (`process`) or in this one (`inline`). */
export async function spawnSubject(mode: 'process' | 'inline'): Promise<Subject> {
  if (mode === 'inline') {
    const handler = createHandler();
    return withHelpers(process.pid, (cmd) => handler.handle(cmd) as never, handler.close);
  }
  const child: ChildProcess = fork(CHILD, [], {
    // BENCH_CPU_PROF=<dir> profiles every subject (node --cpu-prof), to find what limits a result.
    execArgv: [
      '--import',
      'tsx',
      ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 1;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  child.on('message', (reply: Reply) => {
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    if (reply.ok) p.resolve(reply.value);
    else p.reject(new Error(reply.error));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => {
    for (const p of pending.values()) p.reject(new Error('subject process exited'));
    pending.clear();
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) =>
      reject(new Error(`subject process exited with ${code} before it was ready`)),
    );
  });
  const request = <T>(cmd: Command) =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ id, cmd });
    });
  const close = async () => {
    if (child.exitCode === null && child.connected) {
      await request({ type: 'stop' }).catch(() => undefined);
      child.disconnect();
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  return withHelpers(child.pid!, request, close);
}
