// docker-compose.yml: rendered by a real Compose implementation (`docker compose` when the plugin
// is installed, Debian's docker-compose 1.29 otherwise; .ci/run installs it) for each gateway
// profile, and the wiring a schema check would not see: mounts of the observability files, the
// shared restart flag, ports, secrets, health checks, the swap of gateway images, and the ledger in
// PostgreSQL with Grafana's read-only datasource on it.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { pinnedTag } from '../exporter/test/support/dockerfile.js';
import { POSTGRES_TYPE, PROVISIONED_LEDGER_UID } from '../grafana/src/sql.js';
import { hasCommand } from '../exporter/test/support/kustomize.js';
import { ROOT } from './scripts/manifests.js';

interface ComposeService {
  image?: string;
  build?: { context: string; args?: Record<string, string> };
  profiles?: string[];
  environment?: Record<string, string>;
  volumes?: Array<string | { source: string; target: string }>;
  ports?: string[];
  /** Names in the file; `{ source }` objects as docker-compose 1.29 renders them. */
  secrets?: Array<string | { source: string }>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  networks?: Record<string, { aliases?: string[] } | null>;
  network_mode?: string;
  entrypoint?: string[];
  user?: string;
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
  command?: string[];
}
interface Compose {
  services: Record<string, ComposeService>;
  volumes: Record<string, { driver_opts?: Record<string, string> } | null>;
  secrets: Record<string, { file: string }>;
}

const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');
const compose = parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as Compose;
const service = (name: string, from: Compose = compose): ComposeService => {
  const found = from.services[name];
  if (found === undefined) throw new Error(`no service ${name}`);
  return found;
};
/** host path (or volume) → container path of a service's mounts. */
const mounts = (s: ComposeService) =>
  new Map(
    (s.volumes ?? []).map((v) =>
      typeof v === 'string' ? [v.split(':')[1] ?? '', v.split(':')[0] ?? ''] : [v.target, v.source],
    ),
  );
const readYaml = <T>(path: string): T => parse(readFileSync(join(ROOT, path), 'utf8')) as T;
const secretsOf = (s: ComposeService) =>
  (s.secrets ?? []).map((secret) => (typeof secret === 'string' ? secret : secret.source));
/** The secret a `…_FILE` path names, /run/secrets/<name>, checked to be one the service has. */
const secretAt = (s: ComposeService, path: string | undefined) => {
  const name = /^\/run\/secrets\/(\w+)$/.exec(path ?? '')?.[1];
  expect(secretsOf(s)).toContain(name);
  return name;
};

const PROFILES = ['gateway', 'gnzsnz'] as const;
type Profile = (typeof PROFILES)[number];
const SHARED = ['alertmanager', 'exporter', 'grafana', 'postgres', 'prometheus'];
const GATEWAYS: Record<Profile, string[]> = {
  gateway: ['ib-gateway', 'ib-gateway-vnc'],
  gnzsnz: ['ib-gateway-gnzsnz', 'ib-gateway-gnzsnz-command'],
};

// Debian's 1.29 (what .ci/run installs) renders every service with its `profiles`; the plugin,
// used where only it exists, leaves out the inactive ones. Both count as `active` below.
const CLI: string[] | undefined = hasCommand('docker-compose', ['version'])
  ? ['docker-compose']
  : hasCommand('docker', ['compose', 'version'])
    ? ['docker', 'compose']
    : undefined;

/** `config` of the real Compose, in a bare environment plus `env`; .env is read as users get it. */
function render(profile: Profile, env: Record<string, string> = {}): Compose {
  if (CLI === undefined)
    throw new Error('no Compose CLI: install docker-compose (Debian) or the compose plugin');
  const [command = '', ...args] = CLI;
  const result = spawnSync(command, [...args, '-f', COMPOSE_FILE, '--profile', profile, 'config'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return parse(result.stdout) as Compose;
}
/** The services a profile runs: those without profiles, and its own. */
const active = (model: Compose, profile: Profile) =>
  Object.entries(model.services)
    .filter(([, s]) => s.profiles === undefined || s.profiles.includes(profile))
    .map(([name]) => name)
    .sort();

describe('docker-compose.yml rendered by Compose', () => {
  const rendered = new Map<Profile, Compose>();
  beforeAll(() => {
    for (const profile of PROFILES) rendered.set(profile, render(profile));
  });
  const model = (p: Profile) => rendered.get(p) as Compose;

  it.each(PROFILES)('runs the shared services and one gateway with profile %s', (profile) => {
    expect(active(model(profile), profile)).toEqual([...SHARED, ...GATEWAYS[profile]].sort());
    // Exactly one active service answers to the host name the exporter connects to.
    const host = service('exporter', model(profile)).environment?.IBKR_HOST ?? '';
    const answering = active(model(profile), profile).filter((name) => {
      const s = service(name, model(profile));
      return name === host || Object.values(s.networks ?? {}).some((n) => n?.aliases?.includes(host));
    });
    expect(answering).toHaveLength(1);
  });

  it('makes this project’s image the default profile, and names the project, in .env', () => {
    const env = Object.fromEntries(
      readFileSync(join(ROOT, '.env'), 'utf8')
        .split('\n')
        .filter((l) => l !== '' && !l.startsWith('#'))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(env).toEqual({ COMPOSE_PROJECT_NAME: 'ibkr-pnl-exporter', COMPOSE_PROFILES: 'gateway' });
  });

  it('keeps the restart flag file for our gateway, and lets the gnzsnz profile empty it', () => {
    const exporter = service('exporter', model('gateway')).environment ?? {};
    expect(exporter.IBKR_GATEWAY_RESTART_FILE).toBe(
      service('ib-gateway', model('gateway')).environment?.RESTART_FLAG_FILE,
    );
    const emptied = render('gnzsnz', { IBKR_GATEWAY_RESTART_FILE: '' });
    expect(service('exporter', emptied).environment?.IBKR_GATEWAY_RESTART_FILE).toBe('');
    // The flag's volume is owned by uid 1000 whichever container creates it.
    expect(model('gateway').volumes['gateway-restart']?.driver_opts).toMatchObject({
      type: 'tmpfs',
      device: 'tmpfs',
    });
    expect(model('gateway').volumes['gateway-restart']?.driver_opts?.o).toContain('uid=1000');
  });

  it('wires the gnzsnz image for sync, orders, soft restarts and the handshake health check', () => {
    const gnzsnz = model('gnzsnz');
    const gateway = service('ib-gateway-gnzsnz', gnzsnz);
    const env = gateway.environment ?? {};
    const exporter = service('exporter', gnzsnz).environment ?? {};
    expect(gateway.image).toMatch(/^ghcr\.io\/gnzsnz\/ib-gateway:\d+\.\d+\.\d+[a-z]$/);
    // Same socat port for the trading mode as our image.
    expect(env.TRADING_MODE).toBe('paper');
    expect(exporter.IBKR_PORT).toBe('4004');
    expect(env.TWS_MASTER_CLIENT_ID).toBe(exporter.IBKR_CLIENT_ID);
    // Its command server reaches the exporter through a socat in the gateway's network namespace.
    const command = service('ib-gateway-gnzsnz-command', gnzsnz);
    expect(command.network_mode).toBe('service:ib-gateway-gnzsnz');
    expect(command.entrypoint).toEqual([
      'socat',
      `TCP-LISTEN:${exporter.IBKR_GATEWAY_COMMAND_PORT},fork,reuseaddr`,
      `TCP:127.0.0.1:${env.IBC_COMMAND_PORT}`,
    ]);
    // The start-up hook and the health check: files of this repository, mounted.
    const byTarget = mounts(gateway);
    const hookDir = `/home/ibgateway/${env.START_SCRIPTS}`;
    expect(byTarget.get(`${hookDir}/command-server.sh`)).toBe(
      join(ROOT, 'k8s/components/gnzsnz-gateway/command-server.sh'),
    );
    expect(byTarget.get(`${hookDir}/healthcheck`)).toBe(join(ROOT, 'ib-gateway/healthcheck'));
    expect(gateway.healthcheck?.test).toEqual(['CMD', 'bash', `${hookDir}/healthcheck`]);
    // Settings on a volume of their own, nothing over its installation in /home/ibgateway/Jts.
    expect(Object.keys(gnzsnz.volumes)).toContain(byTarget.get(env.TWS_SETTINGS_PATH ?? ''));
    expect(byTarget.has('/home/ibgateway/Jts')).toBe(false);
    expect(env.TWS_PASSWORD_FILE).toBe('/run/secrets/tws_password');
    expect(env.VNC_SERVER_PASSWORD_FILE).toBe('/run/secrets/vnc_password');
    // Its config.ini, with the password, in memory.
    expect((gateway as { tmpfs?: string[] }).tmpfs).toEqual([
      `${env.IBC_INI?.slice(0, env.IBC_INI.lastIndexOf('/'))}:uid=1000,gid=1000,mode=0700`,
    ]);
  });
});

describe('docker-compose.yml', () => {
  it('runs the whole stack, each service with a health check', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      [...SHARED, ...GATEWAYS.gateway, ...GATEWAYS.gnzsnz].sort(),
    );
    for (const [name, s] of Object.entries(compose.services)) {
      expect(`${name}: ${s.healthcheck?.test[0]}`).toBe(`${name}: CMD`);
      // PostgreSQL numbers its releases major.minor.
      const version = name === 'postgres' ? '\\d+\\.\\d+' : 'v?\\d+\\.\\d+\\.\\d+';
      expect(`${name}: ${pinnedTag(s.image ?? '')}`).toMatch(new RegExp(`^${name}: ${version}`));
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
    // The database is reached on the compose network only.
    expect(service('postgres').ports).toBeUndefined();
  });

  it('mounts files that exist, and declares every named volume and secret', () => {
    for (const s of Object.values(compose.services)) {
      for (const [, source] of mounts(s)) {
        if (source.startsWith('./')) expect(existsSync(join(ROOT, source))).toBe(true);
        else expect(Object.keys(compose.volumes)).toContain(source);
      }
      for (const secret of secretsOf(s)) expect(Object.keys(compose.secrets)).toContain(secret);
    }
    for (const secret of Object.values(compose.secrets)) expect(secret.file).toMatch(/^\.\/secrets\/\w+$/);
    // The secrets directory exists and keeps its contents out of git.
    expect(readFileSync(join(ROOT, 'secrets', '.gitignore'), 'utf8')).toMatch(/^\*$/m);
  });

  it('shares the restart flag file between the exporter and the gateway entrypoint', () => {
    // The exporter's value is `${IBKR_GATEWAY_RESTART_FILE-…}`: its default is the gateway's file.
    const flag = service('ib-gateway').environment?.RESTART_FLAG_FILE ?? '';
    expect(service('exporter').environment?.IBKR_GATEWAY_RESTART_FILE).toBe(
      `\${IBKR_GATEWAY_RESTART_FILE-${flag}}`,
    );
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
    const settings = readFileSync(join(ROOT, 'ib-gateway', 'settings.sh'), 'utf8');
    const forward = /^COMMAND_FORWARD_PORT=\$\{COMMAND_FORWARD_PORT:-(\d+)\}/m.exec(settings)?.[1];
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

describe('the ledger in PostgreSQL, rendered by Compose', () => {
  let model: Compose;
  beforeAll(() => {
    model = render('gateway');
  });

  it('starts the exporter once the postgres service is healthy, on a URL from a secret', () => {
    const exporter = service('exporter', model);
    const postgres = service('postgres', model);
    expect(exporter.depends_on?.postgres).toEqual({ condition: 'service_healthy' });
    // Healthy only once the real server listens on TCP, not the image's first-start server.
    expect(postgres.healthcheck?.test.slice(0, 3)).toEqual(['CMD', 'pg_isready', '--host=127.0.0.1']);
    expect(postgres.image).toMatch(/^postgres:1[56]\.\d+(-\w+)?$/);
    const env = exporter.environment ?? {};
    // The URL is a secret file, never an environment value.
    expect(env.IBKR_DATABASE_URL).toBeUndefined();
    const url = secretAt(exporter, env.IBKR_DATABASE_URL_FILE);
    // The database's first start takes the exporter's role and password from the same secret.
    expect(secretAt(postgres, postgres.environment?.LEDGER_URL_FILE)).toBe(url);
    expect(secretAt(postgres, postgres.environment?.POSTGRES_PASSWORD_FILE)).toBe('postgres_password');
    expect(model.secrets[url ?? '']?.file).toBe(join(ROOT, 'secrets', url ?? ''));
    // Orders too are in the database: no SQLite file, and no volume for one.
    expect(env.IBKR_DB_PATH).toBeUndefined();
    expect(mounts(exporter).has('/data')).toBe(false);
    expect(Object.keys(model.volumes)).not.toContain('exporter-data');
  });

  it('keeps the database on a named volume and runs the role script on its first start', () => {
    const postgres = service('postgres', model);
    const byTarget = mounts(postgres);
    expect(Object.keys(model.volumes)).toContain(byTarget.get('/var/lib/postgresql/data'));
    expect(byTarget.get('/docker-entrypoint-initdb.d/10-ibkr-ledger.sh')).toBe(
      join(ROOT, 'k8s/compose/postgres-init.sh'),
    );
    expect(byTarget.get(postgres.environment?.LEDGER_READONLY_SQL ?? '')).toBe(
      join(ROOT, 'k8s/components/postgres-cnpg/ledger-readonly.sql'),
    );
    // The image's own user: no root needed, so every capability stays dropped.
    expect(postgres.user).toBe('999:999');
    expect(postgres.cap_drop).toEqual(['ALL']);
  });

  it('provisions Grafana with the ledger datasource on the read-only role, as Trades & history expects', () => {
    const grafana = service('grafana', model);
    const postgres = service('postgres', model);
    const provisioning = mounts(grafana).get('/etc/grafana/provisioning');
    expect(provisioning).toBe(join(ROOT, 'grafana/provisioning'));
    const file = join(provisioning ?? '', 'datasources', 'ledger.yaml');
    expect(existsSync(file)).toBe(true);
    const { datasources } = parse(readFileSync(file, 'utf8')) as {
      datasources: Array<{
        uid: string;
        type: string;
        url: string;
        user: string;
        jsonData: { database: string; sslmode: string };
        secureJsonData: { password: string };
      }>;
    };
    expect(datasources).toHaveLength(1);
    const ledger = datasources[0];
    expect(ledger?.uid).toBe(PROVISIONED_LEDGER_UID);
    expect(ledger?.type).toBe(POSTGRES_TYPE);
    expect(ledger?.url).toBe('postgres:5432');
    expect(ledger?.jsonData.database).toBe('ibkr');
    // The role ledger-readonly.sql makes, with the password of the secret postgres-init.sh sets.
    expect(ledger?.user).toBe('ibkr_grafana');
    const sql = readFileSync(join(ROOT, 'k8s/components/postgres-cnpg/ledger-readonly.sql'), 'utf8');
    expect(sql).toContain(`CREATE ROLE ${ledger?.user} LOGIN`);
    const passwordFile = /^\$__file\{(.+)\}$/.exec(ledger?.secureJsonData.password ?? '')?.[1];
    const secret = secretAt(grafana, passwordFile);
    expect(secretAt(postgres, postgres.environment?.GRAFANA_LEDGER_PASSWORD_FILE)).toBe(secret);
    // The dashboard reaches it: its `ledger` variable defaults to that uid, and it is provisioned.
    const dashboard = readYaml<{
      templating: { list: Array<{ name: string; current?: { value: string } }> };
    }>('grafana/dashboards/ibkr-trades.json');
    expect(dashboard.templating.list.find((v) => v.name === 'ledger')?.current?.value).toBe(ledger?.uid);
    expect(mounts(grafana).get('/var/lib/grafana/dashboards/ibkr')).toBe(join(ROOT, 'grafana/dashboards'));
    expect(grafana.depends_on?.postgres).toEqual({ condition: 'service_healthy' });
  });
});
