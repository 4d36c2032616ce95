// The exporter as a real process (node + tsx on main.ts), optionally under a wrapper command such
// as setpriv (another user) or unshare (a private mount namespace).
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

export interface ExporterProcess {
  process: ChildProcessWithoutNullStreams;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The HTTP URL from the "exporter listening" log line; rejects if the process exits first. */
  url: Promise<string>;
  stdout(): string;
  stderr(): string;
}

/**
 * Whether the exporter can run under `wrapper` (for example as another user): node, tsx and the
 * sources must be readable through every parent directory of the checkout, which a clone under a
 * 0700 directory is not.
 */
export function canSpawnExporter(wrapper: string[]): boolean {
  const probe = [...wrapper, process.execPath, '--import', 'tsx', '--input-type=module', '-e'];
  const code = `import(${JSON.stringify(pathToFileURL(MAIN.replace(/main\.ts$/, 'package-info.ts')).href)})`;
  return spawnSync(probe[0]!, [...probe.slice(1), code], { cwd: ROOT }).status === 0;
}

/** Runs main.ts with `env` over the test's environment; `wrapper` is argv put in front of node. */
export function spawnExporter(env: Record<string, string>, wrapper: string[] = []): ExporterProcess {
  const argv = [...wrapper, process.execPath, '--import', 'tsx', MAIN];
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: ROOT,
    env: {
      ...process.env,
      IBKR_HTTP_HOST: '127.0.0.1',
      IBKR_HTTP_PORT: '0',
      IBKR_RECONNECT_MIN_DELAY: '0.1',
      IBKR_RECONNECT_MAX_DELAY: '0.5',
      IBKR_LOG_LEVEL: 'info',
      ...env,
    },
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    void exited.then(() => reject(new Error(`exporter exited before listening:\n${out}${err}`)));
  });
  url.catch(() => undefined);
  return { process: child, exited, url, stdout: () => out, stderr: () => err };
}
