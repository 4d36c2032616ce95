// The two commands a user runs, as real processes: `npm start` refusing a bad environment, and
// `npm run demo` serving PnL and stopping cleanly on Ctrl-C.
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseMetrics, tempDir } from './support/exporter.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function run(script: string, env: Record<string, string>): ChildProcessWithoutNullStreams {
  // detached: its own process group, so a signal reaches npm and its children like Ctrl-C does.
  return spawn('npm', ['run', '--silent', script], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    detached: true,
  });
}

function collect(child: ChildProcessWithoutNullStreams): { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return { out: () => out, err: () => err };
}

describe('processes', () => {
  const dir = tempDir();
  let child: ChildProcessWithoutNullStreams | undefined;

  afterEach(() => {
    if (child?.pid && child.exitCode === null && child.signalCode === null)
      process.kill(-child.pid, 'SIGKILL');
    child = undefined;
  });

  it('npm start refuses an invalid environment with exit code 2, naming every bad variable', async () => {
    child = run('start', {
      IBKR_PORT: 'seventy',
      IBKR_READONLY: 'perhaps',
      IBKR_DB_PATH: `${dir.path}/x.db`,
    });
    const output = collect(child);
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(2);
    expect(output.err()).toBe(
      'ibkr-pnl-exporter: invalid configuration:\n' +
        '  IBKR_PORT: must be an integer from 1 to 65535 (got "seventy")\n' +
        '  IBKR_READONLY: must be one of true/false/1/0/yes/no (got "perhaps")\n',
    );
  });

  it('npm run demo serves PnL metrics within seconds and stops cleanly on Ctrl-C', async () => {
    child = run('demo', {
      IBKR_HTTP_PORT: '0',
      IBKR_HTTP_HOST: '127.0.0.1',
      IBKR_DB_PATH: `${dir.path}/demo.db`,
    });
    const output = collect(child);
    const url = await vi.waitFor(
      () => {
        const match = /metrics\s+(http:\/\/\S+\/metrics)/.exec(output.out());
        if (!match) throw new Error(`no metrics URL printed yet:\n${output.out()}${output.err()}`);
        return match[1]!;
      },
      { timeout: 20_000, interval: 50 },
    );
    await vi.waitFor(
      async () => {
        const samples = parseMetrics(await (await fetch(url)).text());
        expect(samples.filter((s) => s.name === 'ibkr_position_unrealized_pnl').length).toBeGreaterThan(5);
        expect(samples.find((s) => s.name === 'ibkr_account_net_liquidation')).toBeDefined();
      },
      { timeout: 10_000, interval: 100 },
    );
    const exited = once(child, 'close'); // after every process holding its stdout is gone
    const started = Date.now();
    process.kill(-child.pid!, 'SIGINT');
    await exited;
    // npm itself dies of the SIGINT; the demo under it must have shut down in order and said so.
    expect(output.out()).toMatch(/SIGINT: stopping\nstopped\n$/);
    expect(output.err()).toBe('');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
