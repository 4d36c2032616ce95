// Runs the real entrypoint.sh with stub Xvfb, socat and IBC start script on PATH, and checks
// what it would hand to IBC: the rendered config.ini, the IBC arguments and environment, the
// socat forwards, TRADING_MODE=both, the compose-mode restart and SIGTERM handling.
// settings.test.ts covers each setting's way into config.ini and the JVM options.
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Env, Run } from '../exporter/test/support/gateway-scripts.js';
import {
  has,
  iniSettings,
  lines,
  PASSWORD,
  read,
  startScript,
  started,
  stopRuns,
  VERSION,
  waitFor,
} from '../exporter/test/support/gateway-scripts.js';

const runs: Run[] = [];
afterEach(() => stopRuns(runs));
const start = (env: Env | ((dir: string) => Env)) => startScript('entrypoint.sh', runs, env);
const callsCount = (run: Run, count: number) =>
  waitFor(() => has(run, 'calls') && lines(run, 'calls').length >= count);

describe('ib-gateway entrypoint', () => {
  it('renders config.ini for paper trading and starts IBC with the 2FA restart action', async () => {
    const run = start({ AUTO_RESTART_TIME: '11:30 PM', MASTER_CLIENT_ID: '7' });
    await started(run);

    const ini = iniSettings(run);
    expect(ini.get('IbLoginId')).toBe('gatewayuser');
    // Java Properties: each backslash doubled, nothing else touched.
    expect(ini.get('IbPassword')).toBe(PASSWORD.replaceAll('\\', '\\\\'));
    expect(ini.get('TradingMode')).toBe('paper');
    expect(ini.get('OverrideTwsApiPort')).toBe('4002');
    expect(ini.get('OverrideTwsMasterClientID')).toBe('7');
    expect(ini.get('AutoRestartTime')).toBe('11:30 PM');
    expect(ini.get('CommandServerPort')).toBe('7462');
    expect(ini.get('BindAddress')).toBe('127.0.0.1');
    expect([...ini.values()].some((value) => value.includes('${'))).toBe(false);
    expect(statSync(join(run.dir, 'run', 'config.ini')).mode & 0o777).toBe(0o600);

    expect(lines(run, 'ibc-args-paper')).toEqual([
      VERSION,
      '--gateway',
      `--tws-path=${join(run.dir, 'opt')}`,
      `--tws-settings-path=${join(run.dir, 'Jts')}`,
      '--ibc-path=/opt/ibc',
      `--ibc-ini=${join(run.dir, 'run', 'config.ini')}`,
      '--mode=paper',
      '--on2fatimeout=restart',
    ]);
    // The secrets reach IBC through config.ini only: not in its arguments or environment.
    const ibcEnvText = read(run, 'ibc-env-paper');
    expect(ibcEnvText).not.toContain('TWS_PASSWORD');
    expect(ibcEnvText).not.toContain('TWS_USERID');
    expect(ibcEnvText).not.toContain('ss\\word');
    expect(run.output()).not.toContain('ss\\word');

    await callsCount(run, 3);
    expect(lines(run, 'calls').sort()).toEqual([
      'Xvfb :1 -screen 0 1280x800x24 -nolisten tcp',
      'socat TCP-LISTEN:4004,fork,reuseaddr TCP:127.0.0.1:4002',
      'socat TCP-LISTEN:7463,fork,reuseaddr TCP:127.0.0.1:7462',
    ]);

    run.proc.kill('SIGTERM');
    expect(await run.exit).toBe(0);
    expect(lines(run, 'ibc-stops')).toEqual(['stopped paper']);
  });

  it('uses the live ports and takes the password from TWS_PASSWORD when no file is given', async () => {
    const run = start({
      TRADING_MODE: 'live',
      TWS_PASSWORD_FILE: '',
      TWS_PASSWORD: 'plain-secret',
    });
    await started(run);
    const ini = iniSettings(run);
    expect(ini.get('TradingMode')).toBe('live');
    expect(ini.get('OverrideTwsApiPort')).toBe('4001');
    expect(ini.get('IbPassword')).toBe('plain-secret');
    expect(lines(run, 'ibc-args-live')).toContain('--mode=live');
    expect(read(run, 'ibc-env-live')).not.toContain('plain-secret');
    await waitFor(() => has(run, 'calls') && read(run, 'calls').includes(':4001'));
    expect(read(run, 'calls')).toContain('socat TCP-LISTEN:4003,fork,reuseaddr TCP:127.0.0.1:4001');
  });

  describe('TRADING_MODE=both', () => {
    const both = (dir: string): Env => {
      writeFileSync(join(dir, 'paper-password'), 'paper-secret\n');
      return {
        TRADING_MODE: 'both',
        TWS_USERID_PAPER: 'paperuser',
        TWS_PASSWORD_PAPER_FILE: join(dir, 'paper-password'),
      };
    };

    it('runs a live and a paper gateway, each with its own credentials, ports and settings', async () => {
      const run = start(both);
      await started(run, 2);
      const live = iniSettings(run, join('run', 'live', 'config.ini'));
      const paper = iniSettings(run, join('run', 'paper', 'config.ini'));
      expect([live.get('TradingMode'), paper.get('TradingMode')]).toEqual(['live', 'paper']);
      expect([live.get('IbLoginId'), paper.get('IbLoginId')]).toEqual(['gatewayuser', 'paperuser']);
      expect(paper.get('IbPassword')).toBe('paper-secret');
      expect([live.get('OverrideTwsApiPort'), paper.get('OverrideTwsApiPort')]).toEqual(['4001', '4002']);
      expect([live.get('CommandServerPort'), paper.get('CommandServerPort')]).toEqual(['7462', '7464']);
      // The shared settings apply to both.
      expect(paper.get('OverrideTwsMasterClientID')).toBe(live.get('OverrideTwsMasterClientID'));

      for (const mode of ['live', 'paper']) {
        const args = lines(run, `ibc-args-${mode}`);
        expect(args).toContain(`--mode=${mode}`);
        // Subdirectories of the settings volume, so both survive a container restart.
        expect(args).toContain(`--tws-settings-path=${join(run.dir, 'Jts', mode)}`);
        expect(args).toContain(`--ibc-ini=${join(run.dir, 'run', mode, 'config.ini')}`);
        expect(read(run, `ibc-env-${mode}`)).not.toMatch(/paper-secret|TWS_PASSWORD|TWS_USERID/);
      }
      await callsCount(run, 5);
      expect(
        lines(run, 'calls')
          .filter((c) => c.startsWith('socat'))
          .sort(),
      ).toEqual([
        'socat TCP-LISTEN:4003,fork,reuseaddr TCP:127.0.0.1:4001',
        'socat TCP-LISTEN:4004,fork,reuseaddr TCP:127.0.0.1:4002',
        'socat TCP-LISTEN:7463,fork,reuseaddr TCP:127.0.0.1:7462',
        'socat TCP-LISTEN:7465,fork,reuseaddr TCP:127.0.0.1:7464',
      ]);

      run.proc.kill('SIGTERM');
      expect(await run.exit).toBe(0);
      expect(lines(run, 'ibc-stops').sort()).toEqual(['stopped live', 'stopped paper']);
    });

    it('ends the container, stopping the live gateway, when the paper one exits', async () => {
      const run = start(both);
      await started(run, 2);
      process.kill(Number(read(run, 'ibc-pid-paper')), 'SIGKILL');
      expect(await run.exit).toBe(137);
      expect(lines(run, 'ibc-stops')).toEqual(['stopped live']);
      expect(run.output()).toContain('IBC (paper) exited with status 137');
    });

    it('needs the paper credentials', async () => {
      const run = start({ TRADING_MODE: 'both' });
      expect(await run.exit).toBe(64);
      expect(run.output()).toContain('error: TWS_USERID_PAPER_FILE (or TWS_USERID_PAPER) is required');
    });
  });

  it('restarts IBC when the compose restart flag file changes', async () => {
    const run = start((dir) => ({
      RESTART_FLAG_FILE: join(dir, 'restart-requested'),
      RESTART_POLL_SECONDS: '1',
    }));
    await started(run);
    writeFileSync(join(run.dir, 'restart-requested'), '2026-11-25T14:35:00Z\n');
    await started(run, 2);
    expect(lines(run, 'ibc-stops')).toEqual(['stopped paper']);
    expect(run.output()).toContain('restart requested through');
  });

  it('ends with the status of IBC when IBC exits for good', async () => {
    const run = start({});
    await started(run);
    process.kill(Number(read(run, 'ibc-pid-paper')), 'SIGKILL');
    expect(await run.exit).toBe(137);
    expect(run.output()).toContain('IBC (paper) exited with status 137');
  });

  describe('CUSTOM_CONFIG=yes', () => {
    const custom = (apiPort: string) => (dir: string) => {
      const ini = join(dir, 'mine.ini');
      writeFileSync(ini, `TradingMode=paper\nOverrideTwsApiPort=${apiPort}\nCommandServerPort=7462\n`);
      return { CUSTOM_CONFIG: 'YES', IBC_INI: ini, TWS_USERID_FILE: '', TWS_PASSWORD_FILE: '' };
    };

    it("uses the user's config.ini as it is, without credentials in the environment", async () => {
      const run = start(custom('4002'));
      await started(run);
      expect(read(run, 'mine.ini')).toBe(
        'TradingMode=paper\nOverrideTwsApiPort=4002\nCommandServerPort=7462\n',
      );
      expect(lines(run, 'ibc-args-paper')).toContain(`--ibc-ini=${join(run.dir, 'mine.ini')}`);
      expect(has(run, join('run', 'config.ini'))).toBe(false);
    });

    it('refuses one whose API port is not the one socat and the health check use', async () => {
      const run = start(custom('7497'));
      expect(await run.exit).toBe(64);
      expect(run.output()).toContain('must set OverrideTwsApiPort=4002 (socat and the health check use it)');
    });
  });
});
