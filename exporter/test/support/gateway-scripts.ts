// The ib-gateway scripts (entrypoint.sh, vnc.sh) run for real with stub binaries on PATH and a
// fake installation, each in a fresh directory. Imported by the ib-gateway suites only.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';

/** Resolves once `condition` holds, failing after 10 s; polls, since files have no events. */
export const waitFor = (condition: () => boolean) =>
  vi.waitFor(
    () => {
      if (!condition()) throw new Error('condition not met');
    },
    { timeout: 10_000, interval: 50 },
  );

/** The ib-gateway folder, where the scripts and the template are. */
export const HERE = join(import.meta.dirname, '..', '..', '..', 'ib-gateway');
export const VERSION = '10.37.1l';
// Characters that Java's Properties or a shell substitution would mangle if passed naively.
export const PASSWORD = String.raw`p&ss\word "$HOME" 'x'`;
/** The installer's JVM options, as far as the entrypoint cares. */
export const VMOPTIONS = '-Xmx768m\n-XX:+UseG1GC\n-Dsun.java2d.noddraw=true\n';

// Stub binaries on PATH: they record what they were given in the run's directory.
const STUBS: Record<string, string> = {
  Xvfb: `#!/usr/bin/env bash
echo "Xvfb $*" >>"$STUB_DIR/calls"
touch "$X11_SOCKET_DIR/X\${1#:}"
exec sleep 1000
`,
  socat: `#!/usr/bin/env bash
echo "socat $*" >>"$STUB_DIR/calls"
exec sleep 1000
`,
  x11vnc: `#!/usr/bin/env bash
printf '%s\\n' "$@" >"$STUB_DIR/x11vnc-args"
for ((i = 1; i <= $#; i++)); do
  [[ \${!i} == -passwdfile ]] && { j=$((i + 1)); cat -- "\${!j}" >"$STUB_DIR/x11vnc-password.tmp"; }
done
mv "$STUB_DIR/x11vnc-password.tmp" "$STUB_DIR/x11vnc-password"
`,
  // Per trading mode; ibc-starts, appended to last (one line per start: both gateways of
  // TRADING_MODE=both may start at once), counts the starts of every mode.
  ibcstart: `#!/usr/bin/env bash
for arg; do case $arg in --mode=*) mode=\${arg#--mode=} ;; esac; done
printf '%s\\n' "$@" >"$STUB_DIR/ibc-args-$mode"
env >"$STUB_DIR/ibc-env-$mode"
echo $$ >"$STUB_DIR/ibc-pid-$mode"
trap 'echo "stopped $mode" >>"$STUB_DIR/ibc-stops"; kill "$s"; exit 0' TERM
echo "$mode" >>"$STUB_DIR/ibc-starts"
sleep 1000 & s=$!
wait "$s"
`,
};

export interface Run {
  dir: string;
  proc: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

export type Env = Record<string, string>;

/**
 * Runs one of this folder's scripts in a fresh directory with the stubs on PATH and a fake
 * installation (TWS_PATH) holding ibgateway.vmoptions; `env` may depend on that directory.
 * `runs` collects it for `stopRuns`.
 */
export function startScript(script: string, runs: Run[], env: Env | ((dir: string) => Env)): Run {
  const dir = mkdtempSync(join(tmpdir(), 'ib-gateway-script-'));
  for (const [name, text] of Object.entries(STUBS)) {
    writeFileSync(join(dir, name), text);
    chmodSync(join(dir, name), 0o755);
  }
  writeFileSync(join(dir, 'password'), `${PASSWORD}\n`);
  writeFileSync(join(dir, 'username'), 'gatewayuser\n');
  mkdirSync(join(dir, 'opt', 'ibgateway', VERSION), { recursive: true });
  writeFileSync(join(dir, 'opt', 'ibgateway', VERSION, 'ibgateway.vmoptions'), VMOPTIONS);
  const proc = spawn('bash', [join(HERE, script)], {
    detached: true,
    // stdin is not a pipe: node's pipes are sockets, and bash on a socket stdin reads ~/.bashrc.
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: `${dir}:${process.env.PATH ?? ''}`,
      HOME: dir,
      TMPDIR: dir,
      STUB_DIR: dir,
      IB_GATEWAY_LIB: HERE,
      IB_GATEWAY_VERSION: VERSION,
      TWS_PATH: join(dir, 'opt'),
      IBC_START: join(dir, 'ibcstart'),
      IBC_INI: join(dir, 'run', 'config.ini'),
      CONFIG_TEMPLATE: join(HERE, 'config.ini.tmpl'),
      TWS_SETTINGS_PATH: join(dir, 'Jts'),
      X11_SOCKET_DIR: dir,
      XVFB_LOCK_FILE: join(dir, 'X1-lock'),
      TWS_USERID_FILE: join(dir, 'username'),
      TWS_PASSWORD_FILE: join(dir, 'password'),
      DUAL_MODE_START_DELAY: '0',
      ...(typeof env === 'function' ? env(dir) : env),
    },
  });
  let output = '';
  proc.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  proc.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const run = { dir, proc, output: () => output, exit };
  runs.push(run);
  return run;
}

/** Ends what `startScript` started (its process group) and removes the directories. */
export async function stopRuns(runs: Run[]): Promise<void> {
  for (const run of runs.splice(0)) {
    if (run.proc.exitCode === null && run.proc.pid !== undefined) {
      process.kill(-run.proc.pid, 'SIGKILL');
      await run.exit;
    }
    rmSync(run.dir, { recursive: true, force: true });
  }
}

export const read = (run: Run, file: string) => readFileSync(join(run.dir, file), 'utf8');
export const lines = (run: Run, file: string) => read(run, file).trimEnd().split('\n');
export const has = (run: Run, file: string) => existsSync(join(run.dir, file));

/** An IBC config.ini as key → raw value (after the first '='), comments dropped. */
export function iniSettings(run: Run, file = join('run', 'config.ini')): Map<string, string> {
  const entries = read(run, file)
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const);
  return new Map(entries);
}

/** The environment IBC was started with, for one trading mode. */
export function ibcEnv(run: Run, mode: string): Map<string, string> {
  return new Map(
    lines(run, `ibc-env-${mode}`).map((line) => [
      line.slice(0, line.indexOf('=')),
      line.slice(line.indexOf('=') + 1),
    ]),
  );
}

export const started = (run: Run, count = 1) =>
  waitFor(() => has(run, 'ibc-starts') && lines(run, 'ibc-starts').length >= count);
