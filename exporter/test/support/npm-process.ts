// `npm run <script>` as a user runs it, in its own process group so that a signal reaches npm
// and everything under it the way Ctrl-C does, with its output collected.
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { expect, vi } from 'vitest';
import { parseMetrics } from './metrics-text.js';

export interface NpmProcess {
  readonly child: ChildProcessWithoutNullStreams;
  out(): string;
  err(): string;
  /** SIGKILLs the whole group if it is still running. */
  kill(): void;
}

export function runNpm(script: string, env: Record<string, string>, cwd: string): NpmProcess {
  const child = spawn('npm', ['run', '--silent', script], {
    cwd,
    env: { ...process.env, ...env },
    detached: true,
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return {
    child,
    out: () => out,
    err: () => err,
    kill() {
      if (child.pid && child.exitCode === null && child.signalCode === null)
        process.kill(-child.pid, 'SIGKILL');
    },
  };
}

/** The first match of `pattern`'s group 1 in the process's stdout, waited for. */
export async function waitForOutput(proc: NpmProcess, pattern: RegExp, timeout = 20_000): Promise<string> {
  return vi.waitFor(
    () => {
      const match = pattern.exec(proc.out());
      if (!match?.[1]) throw new Error(`no ${pattern} in the output yet:\n${proc.out()}${proc.err()}`);
      return match[1];
    },
    { timeout, interval: 50 },
  );
}

/** The demo prints its metrics URL, serves PnL there, and stops in order on SIGINT. */
export async function expectDemoServesAndStops(proc: NpmProcess): Promise<void> {
  const url = await waitForOutput(proc, /metrics\s+(http:\/\/\S+\/metrics)/);
  await vi.waitFor(
    async () => {
      const samples = parseMetrics(await (await fetch(url)).text());
      expect(samples.filter((s) => s.name === 'ibkr_position_unrealized_pnl').length).toBeGreaterThan(5);
      expect(samples.find((s) => s.name === 'ibkr_account_net_liquidation')).toBeDefined();
    },
    { timeout: 10_000, interval: 100 },
  );
  const exited = once(proc.child, 'close'); // after every process holding its stdout is gone
  const started = Date.now();
  process.kill(-proc.child.pid!, 'SIGINT');
  await exited;
  // npm itself dies of the SIGINT; the demo under it must have shut down in order and said so.
  expect(proc.out()).toMatch(/SIGINT: stopping\nstopped\n$/);
  expect(proc.err()).toBe('');
  expect(Date.now() - started).toBeLessThan(5000);
}
