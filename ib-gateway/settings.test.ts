// Each setting of the image, under our name and under the other image's alias, on its way into
// IBC's config.ini, IBC's arguments and environment, and the JVM options; and every refusal.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Env, Run } from '../exporter/test/support/gateway-scripts.js';
import {
  has,
  HERE,
  ibcEnv,
  iniSettings,
  lines,
  read,
  startScript,
  started,
  stopRuns,
  VERSION,
  VMOPTIONS,
} from '../exporter/test/support/gateway-scripts.js';

const runs: Run[] = [];
afterEach(() => stopRuns(runs));
const start = (env: Env) => startScript('entrypoint.sh', runs, env);
const VMOPTIONS_FILE = `opt/ibgateway/${VERSION}/ibgateway.vmoptions`;

/** variable, its alias in the other image, a value other than the default, config.ini key, default */
const SETTINGS: Array<[string, string | undefined, string, string, string]> = [
  ['TRADING_MODE', undefined, 'live', 'TradingMode', 'paper'],
  ['READ_ONLY_API', undefined, 'no', 'ReadOnlyApi', 'yes'],
  ['MASTER_CLIENT_ID', 'TWS_MASTER_CLIENT_ID', '7', 'OverrideTwsMasterClientID', '1'],
  [
    'RELOGIN_AFTER_2FA_TIMEOUT',
    'RELOGIN_AFTER_TWOFA_TIMEOUT',
    'no',
    'ReloginAfterSecondFactorAuthenticationTimeout',
    'yes',
  ],
  ['TWOFA_EXIT_INTERVAL', undefined, '120', 'SecondFactorAuthenticationExitInterval', '60'],
  ['TWOFA_DEVICE', undefined, 'IB Key', 'SecondFactorDevice', ''],
  ['EXISTING_SESSION_DETECTED_ACTION', undefined, 'secondary', 'ExistingSessionDetectedAction', 'primary'],
  ['TWS_ACCEPT_INCOMING', undefined, 'accept', 'AcceptIncomingConnectionAction', 'reject'],
  ['ALLOW_BLIND_TRADING', undefined, 'yes', 'AllowBlindTrading', 'no'],
  ['AUTO_RESTART_TIME', undefined, '11:30 PM', 'AutoRestartTime', '11:45 PM'],
  ['TWS_COLD_RESTART', undefined, '07:05', 'ColdRestartTime', ''],
  ['SAVE_TWS_SETTINGS', undefined, 'Every 30 mins 08:00', 'SaveTwsSettingsAt', ''],
  ['IBC_COMMAND_PORT', undefined, '7470', 'CommandServerPort', '7462'],
];
/** Not in config.ini: the time zone (IBC's environment), the 2FA action (IBC's arguments), the heap. */
const OTHERS: Array<[string, string | undefined, string]> = [
  ['TZ', 'TIME_ZONE', 'Europe/Zurich'],
  ['TWOFA_TIMEOUT_ACTION', undefined, 'exit'],
  ['JAVA_HEAP_SIZE', undefined, '2048'],
];

const envOf = (spelling: 'ours' | 'alias'): Env =>
  Object.fromEntries(
    [...SETTINGS, ...OTHERS].map(([name, alias, value]) => [
      spelling === 'alias' ? (alias ?? name) : name,
      value,
    ]),
  );

describe('ib-gateway settings', () => {
  it('renders every setting at its default when nothing is set', async () => {
    const run = start({});
    await started(run);
    const ini = iniSettings(run);
    for (const [name, , , key, fallback] of SETTINGS)
      expect(`${name}: ${ini.get(key)}`).toBe(`${name}: ${fallback}`);
    expect(ini.get('AutoLogoffTime')).toBe('');
    expect(ibcEnv(run, 'paper').get('TZ')).toBe('America/New_York');
    expect(lines(run, 'ibc-args-paper')).toContain('--on2fatimeout=restart');
    // No JAVA_HEAP_SIZE: the installer's JVM options as they are.
    expect(read(run, VMOPTIONS_FILE)).toBe(VMOPTIONS);
  });

  it.each(['ours', 'alias'] as const)(
    'puts each setting where IBC and the JVM read it (%s names)',
    async (spelling) => {
      const run = start(envOf(spelling));
      await started(run);
      const ini = iniSettings(run);
      for (const [name, , value, key] of SETTINGS)
        expect(`${name}: ${ini.get(key)}`).toBe(`${name}: ${value}`);
      expect(ini.get('OverrideTwsApiPort')).toBe('4001');
      expect(ibcEnv(run, 'live').get('TZ')).toBe('Europe/Zurich');
      expect(ibcEnv(run, 'live').has('TIME_ZONE')).toBe(false);
      expect(lines(run, 'ibc-args-live')).toContain('--on2fatimeout=exit');
      expect(read(run, VMOPTIONS_FILE)).toBe(VMOPTIONS.replace('-Xmx768m', '-Xmx2048m'));
    },
  );

  it('accepts both spellings of a setting when they agree', async () => {
    const run = start({
      MASTER_CLIENT_ID: '3',
      TWS_MASTER_CLIENT_ID: '3',
      TZ: 'Etc/UTC',
      TIME_ZONE: 'Etc/UTC',
    });
    await started(run);
    expect(iniSettings(run).get('OverrideTwsMasterClientID')).toBe('3');
    expect(ibcEnv(run, 'paper').get('TZ')).toBe('Etc/UTC');
  });

  it('replaces the default restart time with AUTO_LOGOFF_TIME', async () => {
    const run = start({ AUTO_LOGOFF_TIME: '11:00 PM' });
    await started(run);
    const ini = iniSettings(run);
    expect([ini.get('AutoLogoffTime'), ini.get('AutoRestartTime')]).toEqual(['11:00 PM', '']);
  });

  it('adds the heap option when the installer has none', async () => {
    const run = startScript('entrypoint.sh', runs, (dir) => {
      // An installer without -Xmx: the option is added, nothing else changes.
      writeFileSync(`${dir}/${VMOPTIONS_FILE}`, '-XX:+UseG1GC\n');
      return { JAVA_HEAP_SIZE: '1024' };
    });
    await started(run);
    expect(read(run, VMOPTIONS_FILE)).toBe('-XX:+UseG1GC\n-Xmx1024m\n');
  });

  it.each([
    [{ TWS_PASSWORD_FILE: '' }, 'TWS_PASSWORD_FILE (or TWS_PASSWORD) is required'],
    [{ TWS_PASSWORD: 'also-set' }, 'set either TWS_PASSWORD or TWS_PASSWORD_FILE, not both'],
    [{ TRADING_MODE: 'demo' }, 'TRADING_MODE must be one of live|paper|both (got "demo")'],
    [{ AUTO_RESTART_TIME: '23:45' }, 'AUTO_RESTART_TIME must look like "11:45 PM" (got "23:45")'],
    [{ AUTO_LOGOFF_TIME: '11 PM' }, 'AUTO_LOGOFF_TIME must look like "11:45 PM" (got "11 PM")'],
    [
      { AUTO_RESTART_TIME: '11:45 PM', AUTO_LOGOFF_TIME: '11:00 PM' },
      'set AUTO_RESTART_TIME or AUTO_LOGOFF_TIME, not both (IBC would apply only the restart time)',
    ],
    [{ READ_ONLY_API: 'true' }, 'READ_ONLY_API must be one of yes|no (got "true")'],
    [{ TWS_ACCEPT_INCOMING: 'yes' }, 'TWS_ACCEPT_INCOMING must be one of accept|reject|manual (got "yes")'],
    [{ ALLOW_BLIND_TRADING: 'true' }, 'ALLOW_BLIND_TRADING must be one of yes|no (got "true")'],
    [{ RELOGIN_AFTER_TWOFA_TIMEOUT: 'true' }, 'RELOGIN_AFTER_2FA_TIMEOUT must be one of yes|no (got "true")'],
    [{ CUSTOM_CONFIG: 'maybe' }, 'CUSTOM_CONFIG must be one of yes|no (got "maybe")'],
    [
      { TWS_COLD_RESTART: '7:05 AM' },
      'TWS_COLD_RESTART must be a 24-hour time such as 07:05 (got "7:05 AM")',
    ],
    [
      { JAVA_HEAP_SIZE: '1g' },
      'JAVA_HEAP_SIZE must be a number of megabytes without a unit, such as 1024 (got "1g")',
    ],
    [{ TWOFA_EXIT_INTERVAL: '1m' }, 'TWOFA_EXIT_INTERVAL must be a whole number (got "1m")'],
    [
      { TWS_MASTER_CLIENT_ID: '2', MASTER_CLIENT_ID: '1' },
      'MASTER_CLIENT_ID="1" and its alias TWS_MASTER_CLIENT_ID="2" differ: set only one of them',
    ],
    [
      { RELOGIN_AFTER_2FA_TIMEOUT: 'yes', RELOGIN_AFTER_TWOFA_TIMEOUT: 'no' },
      'RELOGIN_AFTER_2FA_TIMEOUT="yes" and its alias RELOGIN_AFTER_TWOFA_TIMEOUT="no" differ: set only one of them',
    ],
    [
      { TZ: 'America/New_York', TIME_ZONE: 'Etc/UTC' },
      'TZ="America/New_York" and its alias TIME_ZONE="Etc/UTC" differ: set only one of them',
    ],
  ])('refuses to start with %o', async (env, message) => {
    const run = start(env);
    expect(await run.exit).toBe(64);
    expect(run.output()).toContain(`error: ${message}`);
    expect(run.output()).not.toContain('ss\\word');
    expect(has(run, 'ibc-starts')).toBe(false);
  });
});

describe('the settings table of ib-gateway/README.md', () => {
  const text = (file: string) => readFileSync(join(HERE, file), 'utf8');
  const readme = text('README.md');
  const section = readme.slice(
    readme.indexOf('## Settings'),
    readme.indexOf('\n## ', readme.indexOf('## Settings') + 1),
  );
  const rows = section.split('\n').filter((line) => line.startsWith('| `'));
  /** variable (and alias) names of the table's first two columns; `X(_FILE)` names both. */
  const documented = new Set(
    rows.flatMap((row) =>
      row
        .split('|')
        .slice(1, 3)
        .flatMap((cell) => [...cell.matchAll(/`([A-Z][A-Z0-9_]*)(\(_FILE\))?`/g)])
        .flatMap((m) => (m[2] ? [m[1]!, `${m[1]}_FILE`] : [m[1]!])),
    ),
  );
  // Image internals (paths, the display, the temporary directory), not settings for users.
  const INTERNAL = new Set(['IB_GATEWAY_LIB', 'DISPLAY', 'X11_SOCKET_DIR', 'TMPDIR']);
  const scripts = ['settings.sh', 'vnc.sh', 'healthcheck'].map(text).join('\n');
  const read = new Set([
    ...[...scripts.matchAll(/^\s*([A-Z][A-Z0-9_]+)=\$\{\1[:}-]/gm)].map((m) => m[1]!),
    ...[...scripts.matchAll(/^alias_of ([A-Z0-9_]+) ([A-Z0-9_]+)$/gm)].flatMap((m) => [m[1]!, m[2]!]),
    ...[...scripts.matchAll(/read_secret ([A-Z0-9_]+)$/gm)].flatMap((m) => [m[1]!, `${m[1]}_FILE`]),
    ...[...scripts.matchAll(/\$\{([A-Z][A-Z0-9_]+):-/g)].map((m) => m[1]!),
  ]);

  it('lists every variable the scripts read, with its alias', () => {
    const missing = [...read].filter((name) => !documented.has(name) && !INTERNAL.has(name));
    expect(missing).toEqual([]);
    for (const [name, alias] of [...SETTINGS, ...OTHERS].map(([n, a]) => [n, a] as const)) {
      const row = rows.find((r) => r.split('|')[1]?.includes(`\`${name}\``));
      expect(`${name}: ${row?.split('|')[2]?.trim() ?? 'no row'}`).toBe(
        `${name}: ${alias ? `\`${alias}\`` : ''}`,
      );
    }
  });

  it('lists nothing the scripts do not read', () => {
    const all = ['settings.sh', 'vnc.sh', 'healthcheck', 'entrypoint.sh'].map(text).join('\n');
    expect([...documented].filter((name) => !all.includes(name))).toEqual([]);
  });

  it('gives each setting of the config.ini test its default', () => {
    for (const [name, , , , fallback] of SETTINGS) {
      const row = rows.find((r) => r.split('|')[1]?.includes(`\`${name}\``)) ?? '';
      // A row of two variables (`A` / `B`) gives both defaults the same way.
      expect(`${name}: ${row.split('|')[3]?.trim()}`).toContain(
        `${name}: ${fallback === '' ? 'empty' : `\`${fallback}\``}`,
      );
    }
  });
});
