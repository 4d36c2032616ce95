// Runs the real entrypoint.sh with stub Xvfb, socat and IBC start script on PATH, and checks
// what it would hand to IBC: the rendered config.ini, the IBC arguments and environment, the
// socat forwards, the compose-mode restart and SIGTERM handling.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

const ENTRYPOINT = join(import.meta.dirname, 'entrypoint.sh');

/** Resolves once `condition` holds, failing after 10 s; polls, since files have no events. */
const waitFor = (condition: () => boolean) =>
  vi.waitFor(
    () => {
      if (!condition()) throw new Error('condition not met');
    },
    { timeout: 10_000, interval: 50 },
  );
const TEMPLATE = join(import.meta.dirname, 'config.ini.tmpl');
// Characters that Java's Properties or a shell substitution would mangle if passed naively.
const PASSWORD = String.raw`p&ss\word "$HOME" 'x'`;

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
  ibcstart: `#!/usr/bin/env bash
n=$(( $(cat "$STUB_DIR/ibc-starts" 2>/dev/null || echo 0) + 1 ))
echo "$n" >"$STUB_DIR/ibc-starts"
printf '%s\\n' "$@" >"$STUB_DIR/ibc-args"
env >"$STUB_DIR/ibc-env"
trap 'echo stopped >>"$STUB_DIR/ibc-stops"; kill "$s"; exit 0' TERM
sleep 1000 & s=$!
wait "$s"
`,
};

interface Run {
  dir: string;
  proc: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

const runs: Run[] = [];

afterEach(async () => {
  for (const run of runs.splice(0)) {
    if (run.proc.exitCode === null && run.proc.pid !== undefined) {
      // The entrypoint was started in its own process group: end it and its stubs.
      process.kill(-run.proc.pid, 'SIGKILL');
      await run.exit;
    }
    rmSync(run.dir, { recursive: true, force: true });
  }
});

type Env = Record<string, string>;

/** Starts the entrypoint in a fresh directory; `env` may depend on that directory. */
function start(env: Env | ((dir: string) => Env)): Run {
  const dir = mkdtempSync(join(tmpdir(), 'ib-gateway-entrypoint-'));
  for (const [name, text] of Object.entries(STUBS)) {
    writeFileSync(join(dir, name), text);
    chmodSync(join(dir, name), 0o755);
  }
  writeFileSync(join(dir, 'password'), `${PASSWORD}\n`);
  writeFileSync(join(dir, 'username'), 'gatewayuser\n');
  const proc = spawn('bash', [ENTRYPOINT], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: `${dir}:${process.env.PATH ?? ''}`,
      HOME: dir,
      STUB_DIR: dir,
      IB_GATEWAY_VERSION: '10.37.1l',
      IBC_START: join(dir, 'ibcstart'),
      IBC_INI: join(dir, 'run', 'config.ini'),
      CONFIG_TEMPLATE: TEMPLATE,
      TWS_SETTINGS_PATH: join(dir, 'Jts'),
      X11_SOCKET_DIR: dir,
      XVFB_LOCK_FILE: join(dir, 'X1-lock'),
      TWS_USERID_FILE: join(dir, 'username'),
      TWS_PASSWORD_FILE: join(dir, 'password'),
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

const read = (run: Run, file: string) => readFileSync(join(run.dir, file), 'utf8');
const lines = (run: Run, file: string) => read(run, file).trimEnd().split('\n');

/** config.ini as key → raw value (after the first '='), comments dropped. */
function settings(run: Run): Map<string, string> {
  const ini = readFileSync(join(run.dir, 'run', 'config.ini'), 'utf8');
  const entries = ini
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const);
  return new Map(entries);
}

const started = (run: Run, count = 1) =>
  waitFor(() => existsSync(join(run.dir, 'ibc-starts')) && Number(read(run, 'ibc-starts')) >= count);

describe('ib-gateway entrypoint', () => {
  it('renders config.ini for paper trading and starts IBC with the 2FA restart action', async () => {
    const run = start({ AUTO_RESTART_TIME: '11:30 PM', MASTER_CLIENT_ID: '7' });
    await started(run);

    const ini = settings(run);
    expect(ini.get('IbLoginId')).toBe('gatewayuser');
    // Java Properties: each backslash doubled, nothing else touched.
    expect(ini.get('IbPassword')).toBe(PASSWORD.replaceAll('\\', '\\\\'));
    expect(ini.get('TradingMode')).toBe('paper');
    expect(ini.get('ReadOnlyApi')).toBe('yes');
    expect(ini.get('OverrideTwsApiPort')).toBe('4002');
    expect(ini.get('OverrideTwsMasterClientID')).toBe('7');
    expect(ini.get('AutoRestartTime')).toBe('11:30 PM');
    expect(ini.get('ReloginAfterSecondFactorAuthenticationTimeout')).toBe('yes');
    expect(ini.get('ExistingSessionDetectedAction')).toBe('primary');
    expect(ini.get('CommandServerPort')).toBe('7462');
    expect(ini.get('BindAddress')).toBe('127.0.0.1');
    expect(ini.get('AcceptIncomingConnectionAction')).toBe('reject');
    expect([...ini.values()].some((value) => value.includes('${'))).toBe(false);
    expect(statSync(join(run.dir, 'run', 'config.ini')).mode & 0o777).toBe(0o600);

    expect(lines(run, 'ibc-args')).toEqual([
      '10.37.1l',
      '--gateway',
      '--tws-path=/opt/ibkr',
      `--tws-settings-path=${join(run.dir, 'Jts')}`,
      '--ibc-path=/opt/ibc',
      `--ibc-ini=${join(run.dir, 'run', 'config.ini')}`,
      '--mode=paper',
      '--on2fatimeout=restart',
    ]);
    // The secrets reach IBC through config.ini only: not in its arguments or environment.
    const ibcEnv = read(run, 'ibc-env');
    expect(ibcEnv).not.toContain('TWS_PASSWORD');
    expect(ibcEnv).not.toContain('TWS_USERID');
    expect(ibcEnv).not.toContain('ss\\word');
    expect(run.output()).not.toContain('ss\\word');

    await waitFor(() => existsSync(join(run.dir, 'calls')) && read(run, 'calls').split('\n').length > 3);
    const calls = lines(run, 'calls').sort();
    expect(calls).toEqual([
      'Xvfb :1 -screen 0 1280x800x24 -nolisten tcp',
      'socat TCP-LISTEN:4004,fork,reuseaddr TCP:127.0.0.1:4002',
      'socat TCP-LISTEN:7463,fork,reuseaddr TCP:127.0.0.1:7462',
    ]);

    run.proc.kill('SIGTERM');
    expect(await run.exit).toBe(0);
    expect(lines(run, 'ibc-stops')).toEqual(['stopped']);
  });

  it('uses the live ports and takes the password from TWS_PASSWORD when no file is given', async () => {
    const run = start({
      TRADING_MODE: 'live',
      READ_ONLY_API: 'yes',
      TWS_PASSWORD_FILE: '',
      TWS_PASSWORD: 'plain-secret',
    });
    await started(run);
    const ini = settings(run);
    expect(ini.get('TradingMode')).toBe('live');
    expect(ini.get('OverrideTwsApiPort')).toBe('4001');
    expect(ini.get('IbPassword')).toBe('plain-secret');
    expect(lines(run, 'ibc-args')).toContain('--mode=live');
    expect(read(run, 'ibc-env')).not.toContain('plain-secret');
    await waitFor(() => existsSync(join(run.dir, 'calls')) && read(run, 'calls').includes(':4001'));
    expect(read(run, 'calls')).toContain('socat TCP-LISTEN:4003,fork,reuseaddr TCP:127.0.0.1:4001');
  });

  it('restarts IBC when the compose restart flag file changes', async () => {
    const run = start((dir) => ({
      RESTART_FLAG_FILE: join(dir, 'restart-requested'),
      RESTART_POLL_SECONDS: '1',
    }));
    await started(run);
    writeFileSync(join(run.dir, 'restart-requested'), '2026-11-25T14:35:00Z\n');
    await started(run, 2);
    expect(lines(run, 'ibc-stops')).toEqual(['stopped']);
    expect(run.output()).toContain('restart requested through');
  });

  it.each([
    [{ TWS_PASSWORD_FILE: '' }, 'TWS_PASSWORD_FILE (or TWS_PASSWORD) is required'],
    [{ TWS_PASSWORD: 'also-set' }, 'set either TWS_PASSWORD or TWS_PASSWORD_FILE, not both'],
    [{ TRADING_MODE: 'demo' }, 'TRADING_MODE must be live or paper (got "demo")'],
    [{ AUTO_RESTART_TIME: '23:45' }, 'AUTO_RESTART_TIME must look like "11:45 PM" (got "23:45")'],
    [{ READ_ONLY_API: 'true' }, 'READ_ONLY_API must be yes or no (got "true")'],
  ])('refuses to start with %o', async (env, message) => {
    const run = start(env);
    expect(await run.exit).toBe(64);
    expect(run.output()).toContain(`error: ${message}`);
    expect(run.output()).not.toContain('ss\\word');
    expect(existsSync(join(run.dir, 'ibc-starts'))).toBe(false);
  });
});
