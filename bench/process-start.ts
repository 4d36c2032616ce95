// One server process timed from spawn to its first /metrics answer, and its RSS after that
// scrape, read from /proc as the kernel counts it. Used for the compiled exporter (what
// `npm start` and the image run) and for the floor it is compared with.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { getText } from './scrape-client.js';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
const MB = 1024 * 1024;
/** Both print their URL in a JSON line: the floor on its own, the exporter in "exporter listening". */
const URL_LINE = /"url":"(http:\/\/[^"]+)"/;

export interface ProcessStart {
  /** Spawn until the first /metrics body arrived. */
  startMs: number;
  rssMb: number;
  /** The /metrics text of the first scrape, for the caller's checks. */
  metrics: string;
}

/** Brings dist/ up to date, so the benchmark runs the sources as they are. */
export function buildExporter(): void {
  const result = spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error('npm run build failed');
}

function rssOf(pid: number): number {
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return (Number(kb) * 1024) / MB;
}

export async function timeProcessStart(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
  ready?: (metrics: string) => boolean,
): Promise<ProcessStart> {
  const spawned = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`no URL within ${timeoutMs} ms:\n${out}`)), timeoutMs);
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const url = URL_LINE.exec(out)?.[1];
        if (url !== undefined) {
          clearTimeout(timer);
          resolve(url);
        }
      });
      void exited.then(() => reject(new Error(`exited before listening:\n${out}`)));
    });
    // Without `ready`, the first answer; with it, the first that shows what the caller waits for.
    let metrics = await getText(`${url}/metrics`);
    while (ready !== undefined && !ready(metrics)) {
      if (performance.now() - spawned > timeoutMs) throw new Error(`not ready within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      metrics = await getText(`${url}/metrics`);
    }
    const startMs = performance.now() - spawned;
    return { startMs, rssMb: rssOf(child.pid!), metrics };
  } finally {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
