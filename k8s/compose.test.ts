// docker-compose.yml: `docker compose config` when the Compose CLI exists (it does not on this
// project's machines), and in any case the wiring a schema check would not see: mounts of the
// observability files, the shared restart flag, ports, secrets and health checks.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { pinnedTag } from '../exporter/test/support/dockerfile.js';
import { hasCommand } from '../exporter/test/support/kustomize.js';
import { ROOT } from './scripts/manifests.js';

interface ComposeService {
  image?: string;
  build?: { context: string; args?: Record<string, string> };
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  secrets?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  user?: string;
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
  command?: string[];
}
interface Compose {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
  secrets: Record<string, { file: string }>;
}

const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');
const compose = parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as Compose;
const service = (name: string): ComposeService => {
  const found = compose.services[name];
  if (found === undefined) throw new Error(`no service ${name}`);
  return found;
};
/** host path (or volume) → container path of a service's mounts. */
const mounts = (s: ComposeService) =>
  new Map((s.volumes ?? []).map((v) => [v.split(':')[1] ?? '', v.split(':')[0] ?? '']));
const readYaml = <T>(path: string): T => parse(readFileSync(join(ROOT, path), 'utf8')) as T;

const COMPOSE_CLI = hasCommand('docker', ['compose', 'version']);
if (!COMPOSE_CLI)
  process.stderr.write('k8s/compose.test.ts: no `docker compose` CLI; `docker compose config` SKIPPED\n');

describe('docker-compose.yml', () => {
  it.skipIf(!COMPOSE_CLI)('is accepted by docker compose config', () => {
    const result = spawnSync(
      'docker',
      ['compose', '-f', COMPOSE_FILE, 'config', '--quiet', '--no-interpolate'],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('runs the whole stack, each service with a health check', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['alertmanager', 'exporter', 'grafana', 'ib-gateway', 'ib-gateway-vnc', 'prometheus'].sort(),
    );
    for (const [name, s] of Object.entries(compose.services)) {
      expect(`${name}: ${s.healthcheck?.test[0]}`).toBe(`${name}: CMD`);
      expect(`${name}: ${pinnedTag(s.image ?? '')}`).toMatch(new RegExp(`^${name}: v?\\d+\\.\\d+\\.\\d+`));
      expect(s.cap_drop).toEqual(['ALL']);
      expect(s.security_opt).toEqual(['no-new-privileges:true']);
    }
    expect(service('exporter').build?.context).toBe('.');
    expect(service('ib-gateway').build?.context).toBe('./ib-gateway');
    expect(service('exporter').read_only).toBe(true);
  });

  it('publishes ports on the host loopback only', () => {
    const ports = Object.values(compose.services).flatMap((s) => s.ports ?? []);
    expect(ports.length).toBeGreaterThan(0);
    for (const port of ports) expect(port).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    expect(service('ib-gateway').ports).toBeUndefined();
  });

  it('mounts files that exist, and declares every named volume and secret', () => {
    for (const s of Object.values(compose.services)) {
      for (const [, source] of mounts(s)) {
        if (source.startsWith('./')) expect(existsSync(join(ROOT, source))).toBe(true);
        else expect(Object.keys(compose.volumes)).toContain(source);
      }
      for (const secret of s.secrets ?? []) expect(Object.keys(compose.secrets)).toContain(secret);
    }
    for (const secret of Object.values(compose.secrets)) expect(secret.file).toMatch(/^\.\/secrets\/\w+$/);
    // The secrets directory exists and keeps its contents out of git.
    expect(readFileSync(join(ROOT, 'secrets', '.gitignore'), 'utf8')).toMatch(/^\*$/m);
  });

  it('shares the restart flag file between the exporter and the gateway entrypoint', () => {
    const flag = service('exporter').environment?.IBKR_GATEWAY_RESTART_FILE ?? '';
    expect(service('ib-gateway').environment?.RESTART_FLAG_FILE).toBe(flag);
    const dir = flag.slice(0, flag.lastIndexOf('/'));
    const volume = mounts(service('exporter')).get(dir);
    expect(volume).toBeDefined();
    expect(mounts(service('ib-gateway')).get(dir)).toBe(volume);
    // The gateway image creates the mount point owned by uid 1000, so the exporter can write.
    expect(readFileSync(join(ROOT, 'ib-gateway', 'Dockerfile'), 'utf8')).toContain(
      `install -d -o 1000 -g 1000 -m 0755 ${dir}`,
    );
    expect(service('exporter').user).toBe('1000:1000');
  });

  it('points the exporter at the gateway socat port and IBC command forward', () => {
    const env = service('exporter').environment ?? {};
    expect(env.IBKR_HOST).toBe('ib-gateway');
    // Paper by default: the socat port of TRADING_MODE=paper.
    expect(service('ib-gateway').environment?.TRADING_MODE).toBe('${TRADING_MODE:-paper}');
    expect(env.IBKR_PORT).toBe('${IBKR_PORT:-4004}');
    expect(env.IBKR_GATEWAY_COMMAND_HOST).toBe('ib-gateway');
    const entrypoint = readFileSync(join(ROOT, 'ib-gateway', 'entrypoint.sh'), 'utf8');
    const forward = /COMMAND_FORWARD_PORT=\$\{COMMAND_FORWARD_PORT:-(\d+)\}/.exec(entrypoint)?.[1];
    expect(env.IBKR_GATEWAY_COMMAND_PORT).toBe(forward);
    expect(env.IBKR_API_TOKEN_FILE).toBe('/run/secrets/api_token');
    expect(service('ib-gateway').environment?.TWS_PASSWORD_FILE).toBe('/run/secrets/tws_password');
    expect(service('exporter').healthcheck?.test.join(' ')).toContain('/readyz');
  });

  it('runs Prometheus with the project rules, scraping and alerting through compose service names', () => {
    const prometheus = mounts(service('prometheus'));
    expect(prometheus.get('/etc/prometheus/prometheus.yml')).toBe('./prometheus/prometheus.yml');
    expect(prometheus.get('/etc/prometheus/rules')).toBe('./prometheus/rules');
    const config = readYaml<{
      rule_files: string[];
      scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }>;
      alerting: { alertmanagers: Array<{ static_configs: Array<{ targets: string[] }> }> };
    }>('prometheus/prometheus.yml');
    // Rule files are relative to the config file, so they must sit under the mounted rules/.
    for (const file of config.rule_files) {
      expect(file.startsWith('rules/')).toBe(true);
      expect(existsSync(join(ROOT, 'prometheus', file))).toBe(true);
    }
    const targets = config.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets));
    expect(targets).toContain(`exporter:${service('exporter').environment?.IBKR_HTTP_PORT ?? '8000'}`);
    expect(config.alerting.alertmanagers.flatMap((a) => a.static_configs.flatMap((s) => s.targets))).toEqual([
      'alertmanager:9093',
    ]);
    expect(mounts(service('alertmanager')).get('/etc/alertmanager/alertmanager.yml')).toBe(
      './prometheus/alertmanager.yml',
    );
  });

  it('provisions Grafana from grafana/, with the dashboards where the provider looks', () => {
    const grafana = mounts(service('grafana'));
    expect(grafana.get('/etc/grafana/provisioning')).toBe('./grafana/provisioning');
    const provider = readYaml<{ providers: Array<{ options: { path: string } }> }>(
      'grafana/provisioning/dashboards/ibkr.yaml',
    );
    const path = provider.providers[0]?.options.path ?? '';
    expect(grafana.get(path)).toBe('./grafana/dashboards');
    const datasources = readYaml<{ datasources: Array<{ url: string }> }>(
      'grafana/provisioning/datasources/prometheus.yaml',
    );
    expect(datasources.datasources.map((d) => d.url)).toEqual(['http://prometheus:9090']);
    expect(service('grafana').environment?.GF_SECURITY_ADMIN_PASSWORD__FILE).toBe(
      '/run/secrets/grafana_admin_password',
    );
  });
});
