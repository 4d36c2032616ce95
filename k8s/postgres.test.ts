// The ledger in PostgreSQL on Kubernetes, rendered offline: the postgres component in the aks
// overlay (an external, managed database) and the postgres-cnpg component added to the paper
// overlay as its documentation says (a CloudNativePG Cluster). Each is checked against the schemas
// like the other manifests, and for what a schema cannot see: the URL is a mounted secret file,
// the NetworkPolicy lets the exporter reach the database and nothing more on 5432, the Cluster
// makes the roles ledger-readonly.sql grants for, and no committed secret is a real one.
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDatabaseUrl } from '../exporter/src/config/database-url.js';
import type { Container, Deployment } from '../exporter/test/support/k8s-objects.js';
import { envValue, named, ofKind, selects } from '../exporter/test/support/k8s-objects.js';
import type { K8sObject } from '../exporter/test/support/kustomize.js';
import { KUBECTL, kustomize, prepareTree } from '../exporter/test/support/kustomize.js';
import { unknownFields, validateObject } from '../exporter/test/support/k8s-schema.js';
import { ROOT } from './scripts/manifests.js';

const EXPORTER = 'ibkr-exporter';
const READONLY_SQL = join(ROOT, 'k8s/components/postgres-cnpg/ledger-readonly.sql');

type EgressRule = {
  to?: Array<{ podSelector?: { matchLabels: Record<string, string> }; ipBlock?: { cidr: string } }>;
  ports: Array<{ port: string | number; protocol?: string }>;
};
type Policy = K8sObject & { spec: { egress?: EgressRule[] } };
type Cluster = K8sObject & {
  spec: {
    instances: number;
    imageName: string;
    bootstrap: {
      initdb: {
        database: string;
        owner: string;
        postInitApplicationSQLRefs: { configMapRefs: Array<{ name: string; key: string }> };
      };
    };
    managed: {
      roles: Array<{ name: string; ensure: string; login: boolean; passwordSecret: { name: string } }>;
    };
  };
};

const exporterOf = (objects: K8sObject[]): { pod: Deployment; container: Container } => {
  const pod = named<Deployment>(objects, 'Deployment', EXPORTER);
  const container = pod.spec.template.spec.containers.find((c) => c.name === 'exporter');
  if (container === undefined) throw new Error('no exporter container');
  return { pod, container };
};
/** The Secret volume holding the file IBKR_DATABASE_URL_FILE names: its secret, key and mode. */
function databaseUrlSource(objects: K8sObject[]) {
  const { pod, container } = exporterOf(objects);
  const path = envValue(container, 'IBKR_DATABASE_URL_FILE') ?? '';
  const mount = container.volumeMounts?.find((m) => path.startsWith(`${m.mountPath}/`));
  const volume = pod.spec.template.spec.volumes?.find((v) => v.name === mount?.name);
  const item = volume?.secret?.items?.find((i) => `${mount?.mountPath}/${i.path}` === path);
  return { path, secret: volume?.secret?.secretName, key: item?.key, mode: volume?.secret?.defaultMode };
}
const egressTo5432 = (objects: K8sObject[]) =>
  (named<Policy>(objects, 'NetworkPolicy', EXPORTER).spec.egress ?? []).filter((r) =>
    r.ports.some((p) => p.port === 5432),
  );
/** No IBKR_DB_PATH, no volume but secrets, no claim but the gateway's. */
function expectNoSqlite(objects: K8sObject[]): void {
  const { pod, container } = exporterOf(objects);
  expect(envValue(container, 'IBKR_DB_PATH')).toBeUndefined();
  expect(
    container.volumeMounts?.map((m) => m.mountPath).filter((p) => !p.startsWith('/var/run/secrets/')),
  ).toEqual([]);
  expect(pod.spec.template.spec.volumes?.filter((v) => v.secret === undefined)).toEqual([]);
  expect(ofKind(objects, 'PersistentVolumeClaim').map((c) => c.metadata.name)).toEqual([
    'ib-gateway-settings',
  ]);
}
/** Every problem of the schema checks, as manifests.test.ts runs them on the overlays. */
const schemaProblems = (objects: K8sObject[]) =>
  objects.flatMap((o) => [
    ...validateObject(o).map((p) => `${o.kind}/${o.metadata.name}: ${p}`),
    ...unknownFields(o),
  ]);

describe.skipIf(!KUBECTL)('PostgreSQL components, rendered by kustomize', () => {
  const rendered: Record<'aks' | 'paper' | 'cnpg', K8sObject[]> = { aks: [], paper: [], cnpg: [] };
  let cleanup = () => {};

  beforeAll(() => {
    const tree = prepareTree();
    cleanup = tree.cleanup;
    rendered.aks = kustomize(join(tree.root, 'overlays', 'aks'));
    rendered.paper = kustomize(join(tree.root, 'overlays', 'paper'));
    // The paper overlay with the CNPG component listed, as its kustomization.yaml says to.
    const cnpg = join(tree.root, 'overlays', 'paper-cnpg');
    cpSync(join(tree.root, 'overlays', 'paper'), cnpg, { recursive: true });
    const file = join(cnpg, 'kustomization.yaml');
    const before = readFileSync(file, 'utf8');
    const after = before.replace(
      'components:\n  - ../../components/monitoring\n',
      'components:\n  - ../../components/monitoring\n  - ../../components/postgres-cnpg\n',
    );
    expect(after).not.toBe(before);
    writeFileSync(file, after);
    rendered.cnpg = kustomize(cnpg);
  });
  afterAll(() => cleanup());

  describe('external database (aks)', () => {
    it('reads the URL from a generated Secret, mounted as a file, never from the environment', () => {
      const source = databaseUrlSource(rendered.aks);
      expect(source.path).toMatch(/^\/var\/run\/secrets\//);
      expect(source.secret).toMatch(/^ibkr-exporter-database-[a-z0-9]{10}$/);
      expect(source.mode).toBe(0o400);
      const secret = named<K8sObject & { data: Record<string, string> }>(
        rendered.aks,
        'Secret',
        source.secret ?? '',
      );
      expect(secret.metadata.namespace).toBe('ibkr-live');
      expect(Object.keys(secret.data)).toEqual([source.key]);
      const { container } = exporterOf(rendered.aks);
      expect(container.env?.map((e) => e.name)).not.toContain('IBKR_DATABASE_URL');
    });

    it('documents a URL the exporter accepts, with TLS, and no real password', () => {
      const example = readFileSync(join(ROOT, 'k8s/overlays/aks/database.env.example'), 'utf8');
      const url = /^database-url=(.+)$/m.exec(example)?.[1] ?? '';
      expect('problem' in parseDatabaseUrl(url)).toBe(false);
      const parsed = new URL(url);
      expect(['require', 'verify-full']).toContain(parsed.searchParams.get('sslmode'));
      expect(parsed.hostname).toMatch(/\.postgres\.database\.azure\.com$/);
      expect(parsed.password).toBe('REPLACE-WITH-THE-PASSWORD');
    });

    it('lets the exporter reach port 5432 outside the cluster, in a rule of its own', () => {
      const rules = egressTo5432(rendered.aks);
      expect(rules).toHaveLength(1);
      expect(rules[0]?.ports).toEqual([{ port: 5432, protocol: 'TCP' }]);
      expect(rules[0]?.to?.map((t) => t.ipBlock?.cidr)).toEqual(['0.0.0.0/0']);
      // Without a PostgreSQL component, no egress to 5432 at all.
      expect(egressTo5432(rendered.paper)).toEqual([]);
      expect(envValue(exporterOf(rendered.paper).container, 'IBKR_DATABASE_URL_FILE')).toBeUndefined();
    });

    it('drops the SQLite file, its volume and its claim: the orders are in the database too', () => {
      expectNoSqlite(rendered.aks);
      // Which the overlays on SQLite keep.
      expect(envValue(exporterOf(rendered.paper).container, 'IBKR_DB_PATH')).toBe('/data/ibkr.db');
      expect(ofKind(rendered.paper, 'PersistentVolumeClaim').map((c) => c.metadata.name)).toContain(
        'ibkr-exporter-data',
      );
    });
  });

  describe('CloudNativePG (the paper overlay with postgres-cnpg)', () => {
    const cluster = () => ofKind<Cluster>(rendered.cnpg, 'Cluster')[0] as Cluster;

    it('is valid against the schemas, the Cluster against the fields it relies on', () => {
      expect(ofKind(rendered.cnpg, 'Cluster')).toHaveLength(1);
      expect(cluster().apiVersion).toBe('postgresql.cnpg.io/v1');
      expect(schemaProblems(rendered.cnpg)).toEqual([]);
      // The structural check can fail: a Cluster without storage or with no instance.
      const broken = { ...cluster(), spec: { ...cluster().spec, instances: 0, storage: undefined } };
      expect(validateObject(broken)).toEqual([expect.stringMatching(/spec\.instances.*spec\.storage\.size/)]);
      expect(unknownFields({ ...cluster(), spec: { ...cluster().spec, instance: 2 } })).toEqual([
        'Cluster.spec.instance',
      ]);
    });

    it('puts the Cluster and its script in the overlay namespace, with a pinned image', () => {
      expect(cluster().metadata.namespace).toBe('ibkr-paper');
      expect(cluster().spec.instances).toBeGreaterThanOrEqual(1);
      expect(cluster().spec.imageName).toMatch(/^ghcr\.io\/cloudnative-pg\/postgresql:1[3-7]\.\d+$/);
      const [ref] = cluster().spec.bootstrap.initdb.postInitApplicationSQLRefs.configMapRefs;
      const config = named<K8sObject & { data: Record<string, string> }>(
        rendered.cnpg,
        'ConfigMap',
        ref?.name ?? '',
      );
      expect(config.metadata.namespace).toBe('ibkr-paper');
      expect(config.data[ref?.key ?? '']).toBe(readFileSync(READONLY_SQL, 'utf8'));
    });

    it('makes the roles ledger-readonly.sql grants for', () => {
      const sql = readFileSync(READONLY_SQL, 'utf8');
      const { initdb } = cluster().spec.bootstrap;
      expect(initdb.database).toBe('ibkr');
      expect(sql).toContain(`ALTER DEFAULT PRIVILEGES FOR ROLE ${initdb.owner} IN SCHEMA public`);
      expect(cluster().spec.managed.roles).toEqual([
        {
          name: 'ibkr_grafana',
          ensure: 'present',
          login: true,
          passwordSecret: { name: 'ibkr-ledger-grafana' },
        },
      ]);
      expect(sql).toContain('CREATE ROLE ibkr_grafana LOGIN');
    });

    it("reads the operator's <cluster>-app secret, key uri, as the URL file", () => {
      expect(databaseUrlSource(rendered.cnpg)).toMatchObject({
        secret: `${cluster().metadata.name}-app`,
        key: 'uri',
        mode: 0o400,
      });
      expectNoSqlite(rendered.cnpg);
    });

    it("lets the exporter reach the Cluster's instances on 5432 and nothing else there", () => {
      const rules = egressTo5432(rendered.cnpg);
      expect(rules).toHaveLength(1);
      expect(rules[0]?.ports).toEqual([{ port: 5432, protocol: 'TCP' }]);
      expect(rules[0]?.to).toHaveLength(1);
      const selector = rules[0]?.to?.[0]?.podSelector?.matchLabels ?? {};
      expect(selector).toEqual({ 'cnpg.io/cluster': cluster().metadata.name });
      // The label the operator puts on its instance pods matches; the exporter's own pods do not.
      expect(selects(selector, { 'cnpg.io/cluster': 'ibkr-ledger', 'cnpg.io/instanceRole': 'primary' })).toBe(
        true,
      );
      expect(selects(selector, exporterOf(rendered.cnpg).pod.spec.template.metadata.labels)).toBe(false);
    });
  });
});

describe('secrets in the repository', () => {
  // What git would commit: tracked files and new ones it does not ignore.
  it('commits no secret file, only examples with placeholder values', () => {
    const tracked = spawnSync(
      'git',
      ['ls-files', '--cached', '--others', '--exclude-standard', 'k8s', 'secrets'],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(tracked.status).toBe(0);
    const files = tracked.stdout.split('\n').filter((f) => f !== '');
    expect(files.filter((f) => f.startsWith('secrets/'))).toEqual(['secrets/.gitignore']);
    expect(files.filter((f) => f.endsWith('.env'))).toEqual([]);
    const examples = files.filter((f) => f.endsWith('.env.example'));
    expect(examples).toContain('k8s/overlays/aks/database.env.example');
    for (const example of examples) {
      for (const line of readFileSync(join(ROOT, example), 'utf8')
        .split('\n')
        .filter((l) => l !== '')) {
        // Every value says what to put there: your-…, a-…, at-least-…, REPLACE-WITH-….
        expect(`${example}: ${line}`).toMatch(/=(your-|a-|at-least-|.*REPLACE-WITH-)/);
      }
    }
    // And no committed manifest is a Secret: each is generated from git-ignored files.
    for (const file of files.filter((f) => /\.ya?ml$/.test(f))) {
      expect(`${file}: ${/^kind: Secret$/m.test(readFileSync(join(ROOT, file), 'utf8'))}`).toBe(
        `${file}: false`,
      );
    }
  });
});
