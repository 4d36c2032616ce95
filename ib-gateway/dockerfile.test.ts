// The IB Gateway image's Dockerfile, checked with dockerfile-ast (no Docker engine here); the
// checksum guard of its download stage is run for real with bash.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  envs,
  flag,
  jsonWords,
  labels,
  ofKeyword,
  parseDockerfile,
  pinnedTag,
  runScripts,
} from '../exporter/test/support/dockerfile.js';

const dockerfile = parseDockerfile(join(import.meta.dirname, 'Dockerfile'));
const [download, runtime] = dockerfile.stages;
if (download === undefined || runtime === undefined)
  throw new Error('expected a download and a runtime stage');

describe('ib-gateway Dockerfile', () => {
  it('pins the base image, IB Gateway and IBC', () => {
    expect(dockerfile.stages).toHaveLength(2);
    expect(download.name).toBe('download');
    for (const stage of dockerfile.stages) expect(pinnedTag(stage.image)).toMatch(/^12\.\d+-slim$/);
    expect(dockerfile.args.get('IB_GATEWAY_VERSION')).toMatch(/^10\.\d+\.\d+[a-z]$/);
    expect(dockerfile.args.get('IBC_VERSION')).toMatch(/^3\.\d+\.\d+$/);
    const scripts = runScripts(download).join('\n');
    // Both downloads are verified before use, against build arguments.
    expect(scripts).toContain('echo "${IB_GATEWAY_SHA256}  ibgateway.sh" | sha256sum --check --strict -');
    expect(scripts).toContain('echo "${IBC_SHA256}  ibc.zip" | sha256sum --check --strict -');
    expect(scripts).toContain('curl -fsSL -o ibgateway.sh "${IB_GATEWAY_URL}"');
    expect(scripts).toContain('curl -fsSL -o ibc.zip "${IBC_URL}"');
    expect(scripts).not.toMatch(/latest/);
  });

  it('downloads every pinned version from a source that keeps old versions', () => {
    // Build arguments, so a rebuild can name any version and its checksum.
    const declared = ofKeyword(download, 'ARG').map((a) => a.getArgumentsContent()?.split('=')[0]);
    for (const arg of [
      'IB_GATEWAY_VERSION',
      'IB_GATEWAY_SHA256',
      'IB_GATEWAY_URL',
      'IBC_VERSION',
      'IBC_SHA256',
      'IBC_URL',
    ])
      expect(declared).toContain(arg);
    expect(dockerfile.args.get('IB_GATEWAY_URL')).toBe(
      'https://github.com/gnzsnz/ib-gateway-docker/releases/download/ibgateway-${IB_GATEWAY_CHANNEL}%40${IB_GATEWAY_VERSION}/ibgateway-${IB_GATEWAY_VERSION}-standalone-linux-x64.sh',
    );
    expect(dockerfile.args.get('IB_GATEWAY_CHANNEL')).toBe('stable');
    expect(dockerfile.args.get('IBC_URL')).toBe(
      'https://github.com/IbcAlpha/IBC/releases/download/${IBC_VERSION}/IBCLinux-${IBC_VERSION}.zip',
    );
  });

  it('refuses to build without real checksums', () => {
    const guard = runScripts(download).find((s) => s.includes('IB_GATEWAY_SHA256 IBC_SHA256'));
    expect(guard).toBeDefined();
    const run = (env: Record<string, string>) =>
      spawnSync('bash', ['-o', 'pipefail', '-c', guard!], {
        env: { PATH: process.env.PATH, ...env },
        encoding: 'utf8',
        // stdin must not be a socket: bash would take itself for an rsh session and read ~/.bashrc.
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    const placeholders = {
      IB_GATEWAY_SHA256: dockerfile.args.get('IB_GATEWAY_SHA256') ?? '',
      IBC_SHA256: dockerfile.args.get('IBC_SHA256') ?? '',
    };
    const refused = run(placeholders);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('error: pass --build-arg IB_GATEWAY_SHA256=<64 hex digits>');
    const digest = 'a'.repeat(64);
    expect(run({ ...placeholders, IB_GATEWAY_SHA256: digest }).stderr).toContain('--build-arg IBC_SHA256=');
    expect(run({ IB_GATEWAY_SHA256: digest, IBC_SHA256: digest }).status).toBe(0);
  });

  it('installs Xvfb, socat, tini and x11vnc, and no sudo', () => {
    const scripts = runScripts(runtime).join('\n');
    for (const pkg of ['xvfb', 'x11vnc', 'socat', 'tini'])
      expect(scripts).toMatch(new RegExp(`\\b${pkg}\\b`));
    expect(runScripts(download).concat(runScripts(runtime)).join('\n')).not.toMatch(/\bsudo\b/);
    expect(scripts).toContain('useradd --uid 1000 --gid 1000');
  });

  it('runs as uid 1000 under tini, with the handshake health check', () => {
    expect(ofKeyword(runtime, 'USER').map((u) => u.getArgumentsContent())).toEqual(['1000:1000']);
    expect(jsonWords(ofKeyword(runtime, 'ENTRYPOINT')[0]!)).toEqual([
      '/usr/bin/tini',
      '--',
      '/usr/local/bin/ib-gateway-entrypoint',
    ]);
    const healthcheck = ofKeyword(runtime, 'HEALTHCHECK')[0]?.getArgumentsContent() ?? '';
    expect(healthcheck).toContain('CMD ["/usr/local/bin/ib-gateway-healthcheck"]');
    expect(labels(runtime).get('org.opencontainers.image.version')).toBe(
      '${IB_GATEWAY_VERSION}-ibc${IBC_VERSION}',
    );
  });

  it('copies the scripts of this folder to the paths the entrypoint and the manifests use', () => {
    const copies = ofKeyword(runtime, 'COPY')
      .filter((c) => flag(c, 'from') === undefined)
      .map((c) =>
        c
          .getArguments()
          .map((a) => a.getValue())
          .filter((w) => !w.startsWith('--')),
      );
    expect(copies).toEqual([
      ['config.ini.tmpl', '/etc/ib-gateway/config.ini.tmpl'],
      ['settings.sh', 'alias.sh', '/usr/local/lib/ib-gateway/'],
      ['entrypoint.sh', '/usr/local/bin/ib-gateway-entrypoint'],
      ['healthcheck', '/usr/local/bin/ib-gateway-healthcheck'],
      ['vnc.sh', '/usr/local/bin/ib-gateway-vnc'],
    ]);
    for (const copy of copies)
      for (const source of copy.slice(0, -1))
        expect(existsSync(join(import.meta.dirname, source))).toBe(true);
    const env = envs(runtime);
    // Where the entrypoint and vnc.sh source settings.sh and alias.sh from.
    expect(env.get('IB_GATEWAY_LIB')).toBe('/usr/local/lib/ib-gateway');
    // No TZ or TRADING_MODE in the image: set there, they would clash with TIME_ZONE and the
    // entrypoint's own defaults.
    expect(env.has('TZ')).toBe(false);
    expect(env.has('TRADING_MODE')).toBe(false);
    expect(env.get('CONFIG_TEMPLATE')).toBe('/etc/ib-gateway/config.ini.tmpl');
    // config.ini holds the password: it lives where the manifests mount memory.
    expect(env.get('IBC_INI')).toBe('/run/ibc/config.ini');
    expect(env.get('IB_GATEWAY_VERSION')).toBe('${IB_GATEWAY_VERSION}');
    // The install directory IBC looks in: <TWS_PATH>/ibgateway/<version>.
    expect(runScripts(download).join('\n')).toContain(
      `-dir "${env.get('TWS_PATH')}/ibgateway/\${IB_GATEWAY_VERSION}"`,
    );
  });
});
