// Renders every overlay with `kubectl kustomize`, validates each object against the Kubernetes
// and Prometheus Operator schemas, and checks the policies a schema cannot see.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Container, Deployment, PodSpec, Service } from '../exporter/test/support/k8s-objects.js';
import { containersOf, envValue, named, ofKind, selects } from '../exporter/test/support/k8s-objects.js';
import type { K8sObject, Overlay } from '../exporter/test/support/kustomize.js';
import { hasCommand, KUBECTL, kustomize, OVERLAYS, prepareTree } from '../exporter/test/support/kustomize.js';
import { unknownFields, validateObject } from '../exporter/test/support/k8s-schema.js';
import { parseRuleGroups, readSources, ROOT } from './scripts/manifests.js';

const GATEWAY = 'ib-gateway';
const EXPORTER = 'ibkr-exporter';
/** The gateway's socat port (what clients use) and its API port inside the container, by mode. */
const PORTS = { paper: { socat: 4004, api: 4002 }, live: { socat: 4003, api: 4001 } } as const;
/** What every account shares, installed once per cluster: kind/name → namespace. */
const SHARED = new Map([
  ['PrometheusRule/ibkr-exporter', 'monitoring'],
  ['ConfigMap/ibkr-grafana-dashboards', 'monitoring'],
]);

type Policy = K8sObject & {
  spec: {
    podSelector: { matchLabels: Record<string, string> };
    policyTypes: string[];
    ingress?: Array<{
      from?: Array<{
        podSelector?: { matchLabels: Record<string, string> };
        namespaceSelector?: { matchLabels?: Record<string, string> };
      }>;
      ports: Array<{ port: string | number; protocol?: string }>;
    }>;
    egress?: Array<{
      to?: Array<{ podSelector?: { matchLabels: Record<string, string> } }>;
      ports: Array<{ port: string | number; protocol?: string }>;
    }>;
  };
};

if (!KUBECTL) {
  // Said once, loudly, instead of silently passing: the overlays were not rendered.
  process.stderr.write(
    'k8s/manifests.test.ts: kubectl not found; overlay rendering and policy tests SKIPPED\n',
  );
}

describe.skipIf(!KUBECTL)('kustomize overlays', () => {
  const rendered = new Map<Overlay, K8sObject[]>();
  let cleanup = () => {};

  beforeAll(() => {
    const tree = prepareTree();
    cleanup = tree.cleanup;
    for (const overlay of OVERLAYS) rendered.set(overlay, kustomize(join(tree.root, 'overlays', overlay)));
  });
  afterAll(() => cleanup());

  const objects = (overlay: Overlay) => rendered.get(overlay) ?? [];
  const gateway = (overlay: Overlay) => named<Deployment>(objects(overlay), 'Deployment', GATEWAY);
  const exporter = (overlay: Overlay) => named<Deployment>(objects(overlay), 'Deployment', EXPORTER);
  const container = (d: Deployment, name: string): Container => {
    const found = d.spec.template.spec.containers.find((c) => c.name === name);
    if (found === undefined) throw new Error(`${d.metadata.name} has no container ${name}`);
    return found;
  };

  describe.each(OVERLAYS)('overlay %s', (overlay) => {
    it('renders the whole application', () => {
      const kinds = objects(overlay).map((o) => `${o.kind}/${o.metadata.name}`);
      for (const expected of [
        'Namespace',
        'Deployment/ibkr-exporter',
        'Deployment/ib-gateway',
        'Service/ibkr-exporter',
        'Service/ib-gateway',
        'Service/ib-gateway-command',
        'PersistentVolumeClaim/ib-gateway-settings',
        'ServiceAccount/ibkr-exporter',
        'Role/ibkr-exporter-gateway-restart',
        'RoleBinding/ibkr-exporter-gateway-restart',
        'NetworkPolicy/ib-gateway',
        'ServiceMonitor/ibkr-exporter',
        'PrometheusRule/ibkr-exporter',
        'ConfigMap/ibkr-grafana-dashboards',
      ]) {
        expect(kinds.some((k) => k === expected || k.startsWith(`${expected}/`))).toBe(true);
      }
    });

    it('is valid against the Kubernetes and Prometheus Operator schemas', () => {
      const problems = objects(overlay).flatMap((o) =>
        validateObject(o).map((p) => `${o.kind}/${o.metadata.name}: ${p}`),
      );
      expect(problems).toEqual([]);
    });

    it('has no field the schemas do not know', () => {
      const problems = objects(overlay).flatMap(unknownFields);
      expect(problems).toEqual([]);
    });

    it('puts everything in the overlay namespace', () => {
      const namespaces = ofKind(objects(overlay), 'Namespace');
      expect(namespaces).toHaveLength(1);
      const namespace = namespaces[0]?.metadata.name;
      expect(namespace).toMatch(/^ibkr-(paper|live)$/);
      for (const o of objects(overlay).filter((x) => x.kind !== 'Namespace')) {
        const id = `${o.kind}/${o.metadata.name}`;
        expect(`${id} in ${o.metadata.namespace}`).toBe(`${id} in ${SHARED.get(id) ?? namespace}`);
      }
    });

    it('reads secret modes as YAML 1.1 octal, as Kubernetes does', () => {
      const modes = ofKind<Deployment>(objects(overlay), 'Deployment').flatMap((d) =>
        (d.spec.template.spec.volumes ?? []).flatMap((v) => (v.secret ? [v.secret.defaultMode] : [])),
      );
      expect(modes.length).toBeGreaterThan(0);
      // 0400 in the manifest; YAML 1.2 would have read it as four hundred.
      expect(new Set(modes)).toEqual(new Set([0o400]));
    });

    it('selects its own pods with every Deployment, Service and NetworkPolicy', () => {
      const deployments = ofKind<Deployment>(objects(overlay), 'Deployment');
      for (const d of deployments) {
        expect(selects(d.spec.selector.matchLabels, d.spec.template.metadata.labels)).toBe(true);
      }
      const pods = (name: string) => named<Deployment>(objects(overlay), 'Deployment', name).spec.template;
      for (const service of ofKind<Service>(objects(overlay), 'Service')) {
        const targets = deployments.filter((d) =>
          selects(service.spec.selector, d.spec.template.metadata.labels),
        );
        expect(targets.map((d) => d.metadata.name)).toHaveLength(1);
        // Every named target port exists on a container of the selected pods.
        const portNames = (targets[0] as Deployment).spec.template.spec.containers.flatMap((c) =>
          (c.ports ?? []).map((p) => p.name),
        );
        for (const port of service.spec.ports) {
          expect(typeof port.targetPort === 'string' && portNames.includes(port.targetPort)).toBe(true);
        }
      }
      const policy = named(objects(overlay), 'NetworkPolicy', GATEWAY) as K8sObject & {
        spec: {
          podSelector: { matchLabels: Record<string, string> };
          policyTypes: string[];
          ingress: Array<{
            from: Array<{ podSelector?: { matchLabels: Record<string, string> } }>;
            ports: Array<{ port: string | number }>;
          }>;
        };
      };
      expect(selects(policy.spec.podSelector.matchLabels, pods(GATEWAY).metadata.labels)).toBe(true);
      expect(policy.spec.policyTypes).toEqual(['Ingress']);
      // Exactly one rule: from the exporter's pods, to the API and IBC command ports.
      expect(policy.spec.ingress).toHaveLength(1);
      const rule = policy.spec.ingress[0];
      expect(rule?.from).toHaveLength(1);
      expect(selects(rule?.from[0]?.podSelector?.matchLabels ?? {}, pods(EXPORTER).metadata.labels)).toBe(
        true,
      );
      expect(selects(rule?.from[0]?.podSelector?.matchLabels ?? {}, pods(GATEWAY).metadata.labels)).toBe(
        false,
      );
      const gatewayPorts = container(gateway(overlay), GATEWAY).ports ?? [];
      expect(rule?.ports.map((p) => p.port).sort()).toEqual(['api', 'ibc-command']);
      expect(gatewayPorts.map((p) => p.name).sort()).toEqual(['api', 'ibc-command']);
    });

    it('scrapes the exporter Service by a port name it has, with the release label', () => {
      const monitor = named(objects(overlay), 'ServiceMonitor', EXPORTER) as K8sObject & {
        spec: { selector: { matchLabels: Record<string, string> }; endpoints: Array<{ port: string }> };
      };
      const services = ofKind<Service>(objects(overlay), 'Service').filter((s) =>
        selects(monitor.spec.selector.matchLabels, s.metadata.labels),
      );
      expect(services.map((s) => s.metadata.name)).toEqual([EXPORTER]);
      const portNames = (services[0] as Service).spec.ports.map((p) => p.name);
      for (const endpoint of monitor.spec.endpoints) expect(portNames).toContain(endpoint.port);
      expect(monitor.metadata.labels?.release).toBe('kube-prometheus-stack');
      expect(named(objects(overlay), 'PrometheusRule', EXPORTER).metadata.labels?.release).toBe(
        'kube-prometheus-stack',
      );
      const dashboards = named(objects(overlay), 'ConfigMap', 'ibkr-grafana-dashboards');
      expect(dashboards.metadata.labels?.grafana_dashboard).toBe('1');
    });

    it('gives the job label the alerts select from a Service label, not the Service name', () => {
      const config = parse(readFileSync(join(ROOT, 'prometheus', 'prometheus.yml'), 'utf8'), {
        version: '1.1',
      }) as { scrape_configs: Array<{ job_name: string }> };
      const jobs = config.scrape_configs.map((c) => c.job_name);
      const monitor = named(objects(overlay), 'ServiceMonitor', EXPORTER) as K8sObject & {
        spec: { jobLabel?: string };
      };
      expect(monitor.spec.jobLabel).toBe('app.kubernetes.io/name');
      const service = named<Service>(objects(overlay), 'Service', EXPORTER);
      expect(jobs).toContain(service.metadata.labels?.[monitor.spec.jobLabel!]);
      const alerts = readFileSync(join(ROOT, 'prometheus', 'rules', 'ibkr-alerts.yml'), 'utf8');
      expect(alerts).toContain(`job="${service.metadata.labels?.[monitor.spec.jobLabel!]}"`);
    });

    it("lets Prometheus reach the exporter's metrics, ordering namespaces its API, and the exporter only what it uses", () => {
      const policy = named<Policy>(objects(overlay), 'NetworkPolicy', EXPORTER);
      const pods = (name: string) => named<Deployment>(objects(overlay), 'Deployment', name).spec.template;
      expect(selects(policy.spec.podSelector.matchLabels, pods(EXPORTER).metadata.labels)).toBe(true);
      expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
      const c = container(exporter(overlay), 'exporter');
      const portOf = (name: string) => c.ports?.find((p) => p.name === name)?.containerPort;
      expect(envValue(c, 'IBKR_API_PORT')).toBe(String(portOf('api')));
      const ingress = policy.spec.ingress ?? [];
      expect(ingress.map((r) => r.ports.map((p) => p.port))).toEqual([['http'], ['api']]);
      expect(ingress[0]?.from?.[0]?.podSelector?.matchLabels).toEqual({
        'app.kubernetes.io/name': 'prometheus',
      });
      expect(ingress[1]?.from?.[0]?.namespaceSelector?.matchLabels).toEqual({
        'ibkr-pnl-exporter/orders': 'allowed',
      });
      const egress = policy.spec.egress ?? [];
      const toGateway = egress.find((r) =>
        r.to?.some((t) => selects(t.podSelector?.matchLabels ?? {}, pods(GATEWAY).metadata.labels)),
      );
      expect(toGateway?.ports.map((p) => p.port).sort()).toEqual(['api', 'ibc-command']);
      expect(egress.some((r) => r.ports.some((p) => p.port === 53 && p.protocol === 'UDP'))).toBe(true);
      // The ledger database only where a PostgreSQL component is listed (k8s/postgres.test.ts).
      expect(egress.some((r) => r.ports.some((p) => p.port === 5432))).toBe(overlay === 'aks');
    });

    it('carries every rule of prometheus/rules in the PrometheusRule', () => {
      const rule = named(objects(overlay), 'PrometheusRule', EXPORTER) as K8sObject & {
        spec: { groups: unknown[] };
      };
      const groups = readSources(join(ROOT, 'prometheus', 'rules'), ['.yml', '.yaml']).flatMap(
        parseRuleGroups,
      );
      expect(rule.spec.groups).toEqual(groups);
    });

    it('lets the exporter get and patch the gateway Deployment and nothing else', () => {
      const role = named(objects(overlay), 'Role', 'ibkr-exporter-gateway-restart') as K8sObject & {
        rules: Array<{ apiGroups: string[]; resources: string[]; resourceNames?: string[]; verbs: string[] }>;
      };
      const env = container(exporter(overlay), 'exporter');
      const deploymentName = envValue(env, 'IBKR_GATEWAY_DEPLOYMENT');
      expect(deploymentName).toBe(gateway(overlay).metadata.name);
      expect(role.rules).toEqual([
        {
          apiGroups: ['apps'],
          resources: ['deployments'],
          resourceNames: [deploymentName],
          verbs: ['get', 'patch'],
        },
      ]);
      // The namespace the exporter restarts in is its own, where the Role applies.
      expect(env.env?.find((e) => e.name === 'IBKR_GATEWAY_NAMESPACE')?.valueFrom?.fieldRef?.fieldPath).toBe(
        'metadata.namespace',
      );
    });

    it('binds the Role to the ServiceAccount the exporter runs as', () => {
      const binding = named(objects(overlay), 'RoleBinding', 'ibkr-exporter-gateway-restart') as K8sObject & {
        roleRef: { apiGroup: string; kind: string; name: string };
        subjects: Array<{ kind: string; name: string; namespace?: string }>;
      };
      const account = named(objects(overlay), 'ServiceAccount', EXPORTER);
      expect(binding.roleRef).toEqual({
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'Role',
        name: 'ibkr-exporter-gateway-restart',
      });
      expect(binding.subjects).toEqual([
        { kind: 'ServiceAccount', name: account.metadata.name, namespace: account.metadata.namespace },
      ]);
      expect(exporter(overlay).spec.template.spec.serviceAccountName).toBe(account.metadata.name);
      // Only the exporter holds an API token.
      expect(gateway(overlay).spec.template.spec.automountServiceAccountToken).toBe(false);
    });

    it('exposes nothing outside the cluster', () => {
      for (const service of ofKind<Service>(objects(overlay), 'Service')) {
        expect(`${service.metadata.name}: ${service.spec.type}`).toBe(`${service.metadata.name}: ClusterIP`);
      }
      for (const d of ofKind<Deployment>(objects(overlay), 'Deployment')) {
        expect(d.spec.template.spec.hostNetwork).toBeUndefined();
        for (const c of containersOf(d)) for (const p of c.ports ?? []) expect(p.hostPort).toBeUndefined();
      }
      expect(ofKind(objects(overlay), 'Ingress')).toEqual([]);
      // VNC listens on the pod's localhost: no container declares it, no Service carries it.
      const ports = ofKind<Service>(objects(overlay), 'Service').flatMap((s) =>
        s.spec.ports.map((p) => p.port),
      );
      expect(ports).not.toContain(5900);
    });

    it('pins every image to a version tag, never latest', () => {
      const images = ofKind<Deployment>(objects(overlay), 'Deployment').flatMap((d) =>
        containersOf(d).map((c) => c.image),
      );
      expect(images.length).toBeGreaterThan(0);
      for (const image of images) {
        const tag = /^[^@]+:([^:/@]+)(@sha256:[0-9a-f]{64})?$/.exec(image)?.[1];
        expect(`${image}: ${tag}`).toMatch(/: \d+\.\d+\.\d+[a-z0-9.-]*$/);
      }
    });

    it('runs every container non-root, without privilege escalation or capabilities', () => {
      for (const d of ofKind<Deployment>(objects(overlay), 'Deployment')) {
        const pod: PodSpec = d.spec.template.spec;
        expect(pod.securityContext?.runAsNonRoot).toBe(true);
        expect(pod.securityContext?.runAsUser).toBeGreaterThan(0);
        expect(pod.securityContext?.seccompProfile?.type).toBe('RuntimeDefault');
        for (const c of containersOf(d)) {
          const where = `${d.metadata.name}/${c.name}`;
          expect({ where, ...c.securityContext }).toMatchObject({
            where,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ['ALL'] },
          });
          expect(c.securityContext?.privileged).toBeUndefined();
          expect(c.securityContext?.capabilities?.add).toBeUndefined();
          expect(c.securityContext?.runAsUser ?? pod.securityContext?.runAsUser).not.toBe(0);
        }
      }
      expect(container(exporter(overlay), 'exporter').securityContext?.readOnlyRootFilesystem).toBe(true);
    });

    it('runs one replica of each, replaced with Recreate', () => {
      for (const d of [exporter(overlay), gateway(overlay)]) {
        expect(d.spec.replicas).toBe(1);
        expect(d.spec.strategy?.type).toBe('Recreate');
      }
    });

    it('probes the exporter on /readyz and /healthz', () => {
      const c = container(exporter(overlay), 'exporter');
      expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });
      expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(envValue(c, 'IBKR_HTTP_PORT')).toBe(
        String(c.ports?.find((p) => p.name === 'http')?.containerPort),
      );
      // The SQLite ledger is on the volume; nothing else is writable (compiled JavaScript needs no
      // /tmp). On PostgreSQL (aks) nothing at all is (k8s/postgres.test.ts).
      const mounts = new Map(c.volumeMounts?.map((m) => [m.mountPath, m.name]));
      const writable = [...mounts.keys()].filter((path) => !path.startsWith('/var/run/secrets/'));
      if (overlay === 'aks') {
        expect(writable).toEqual([]);
        return;
      }
      expect(envValue(c, 'IBKR_DB_PATH')).toBe('/data/ibkr.db');
      const volumes = exporter(overlay).spec.template.spec.volumes ?? [];
      expect(volumes.find((v) => v.name === mounts.get('/data'))?.persistentVolumeClaim?.claimName).toBe(
        'ibkr-exporter-data',
      );
      expect(ofKind(objects(overlay), 'PersistentVolumeClaim').map((o) => o.metadata.name)).toContain(
        'ibkr-exporter-data',
      );
      expect(writable).toEqual(['/data']);
    });

    it('probes the gateway with the API handshake inside the container and never kills it for its login', () => {
      const c = container(gateway(overlay), GATEWAY);
      expect(c.livenessProbe).toBeUndefined();
      for (const probe of [c.startupProbe, c.readinessProbe]) {
        // No port argument: the healthcheck uses TRADING_MODE's API port on 127.0.0.1.
        expect(probe?.exec?.command).toEqual(['/usr/local/bin/ib-gateway-healthcheck']);
      }
    });

    it('connects the exporter to the socat port of the gateway trading mode', () => {
      const gw = container(gateway(overlay), GATEWAY);
      const mode = envValue(gw, 'TRADING_MODE') as keyof typeof PORTS;
      expect(Object.keys(PORTS)).toContain(mode);
      const api = gw.ports?.find((p) => p.name === 'api');
      expect(api?.containerPort).toBe(PORTS[mode].socat);
      const service = named<Service>(objects(overlay), 'Service', GATEWAY);
      const servicePort = service.spec.ports.find((p) => p.targetPort === 'api')?.port;
      const ex = container(exporter(overlay), 'exporter');
      expect(envValue(ex, 'IBKR_HOST')).toBe(service.metadata.name);
      expect(envValue(ex, 'IBKR_PORT')).toBe(String(servicePort));
      expect(servicePort).toBe(PORTS[mode].socat);
      // The master API client id is the exporter's sync client id.
      expect(envValue(gw, 'MASTER_CLIENT_ID')).toBe(envValue(ex, 'IBKR_CLIENT_ID'));
      // Soft restarts go to IBC's command server through its always-published Service.
      const command = named<Service>(
        objects(overlay),
        'Service',
        envValue(ex, 'IBKR_GATEWAY_COMMAND_HOST') ?? '',
      );
      expect((command.spec as { publishNotReadyAddresses?: boolean }).publishNotReadyAddresses).toBe(true);
      expect(String(command.spec.ports.find((p) => p.targetPort === 'ibc-command')?.port)).toBe(
        envValue(ex, 'IBKR_GATEWAY_COMMAND_PORT'),
      );
    });

    it('mounts secrets as files and passes no secret in the environment', () => {
      const secrets = ofKind<K8sObject & { data?: Record<string, string> }>(objects(overlay), 'Secret');
      for (const d of ofKind<Deployment>(objects(overlay), 'Deployment')) {
        for (const c of containersOf(d)) {
          for (const e of c.env ?? []) {
            if (/PASSWORD|TOKEN|SECRET/.test(e.name)) {
              expect(`${e.name} ends with _FILE`).toBe(
                `${e.name.replace(/_FILE$/, '')}_FILE ends with _FILE`,
              );
              expect(e.valueFrom?.secretKeyRef).toBeUndefined();
            }
          }
        }
        for (const v of d.spec.template.spec.volumes ?? []) {
          if (v.secret === undefined) continue;
          // Each referenced secret is generated, with a content hash, and has the keys mounted.
          const secret = secrets.find((s) => s.metadata.name === v.secret?.secretName);
          expect(v.secret.secretName).toMatch(/-[a-z0-9]{10}$/);
          for (const item of v.secret.items ?? [])
            expect(Object.keys(secret?.data ?? {})).toContain(item.key);
        }
      }
      const gw = container(gateway(overlay), GATEWAY);
      expect(envValue(gw, 'TWS_PASSWORD_FILE')).toMatch(/^\/run\/secrets\//);
      expect(envValue(gw, 'TWS_PASSWORD')).toBeUndefined();
      expect(envValue(container(exporter(overlay), 'exporter'), 'IBKR_API_TOKEN_FILE')).toMatch(
        /^\/var\/run\/secrets\//,
      );
    });

    it('keeps the gateway settings on their volume and config.ini in memory', () => {
      const d = gateway(overlay);
      const c = container(d, GATEWAY);
      const volumeAt = (path: string) => {
        const mount = c.volumeMounts?.find((m) => m.mountPath === path);
        return d.spec.template.spec.volumes?.find((v) => v.name === mount?.name);
      };
      expect(volumeAt('/home/ibgateway/Jts')?.persistentVolumeClaim?.claimName).toBe('ib-gateway-settings');
      expect(volumeAt('/run/ibc')?.emptyDir?.medium).toBe('Memory');
      // The VNC sidecar shares only the X socket directory.
      const vnc = container(d, 'vnc');
      const shared = vnc.volumeMounts?.filter((m) => c.volumeMounts?.some((g) => g.name === m.name));
      expect(shared?.map((m) => m.mountPath)).toEqual(['/tmp/.X11-unix']);
    });
  });

  it('installs the rules and dashboards once when the paper and live overlays share a cluster', () => {
    // kubectl apply of both: objects with the same kind, namespace and name are one object.
    const applied = new Map<string, K8sObject>();
    for (const o of [...objects('paper'), ...objects('live')]) {
      const id = `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
      const earlier = applied.get(id);
      // The same object from both, not two versions fighting over one name.
      if (earlier && SHARED.has(`${o.kind}/${o.metadata.name}`)) expect(o).toEqual(earlier);
      applied.set(id, o);
    }
    const rules = [...applied.values()].filter((o) => o.kind === 'PrometheusRule') as Array<
      K8sObject & { spec: { groups: Array<{ name: string }> } }
    >;
    const groups = rules.flatMap((r) => r.spec.groups.map((g) => g.name));
    expect(groups.length).toBeGreaterThan(0);
    expect(groups.filter((g, i) => groups.indexOf(g) !== i)).toEqual([]);
    expect([...applied.values()].filter((o) => o.metadata.name === 'ibkr-grafana-dashboards')).toHaveLength(
      1,
    );
    // While each account keeps its own exporter and ServiceMonitor.
    expect([...applied.values()].filter((o) => o.kind === 'ServiceMonitor')).toHaveLength(2);
  });

  it('paper lets the exporter place orders; live is read-only on port 4003', () => {
    const paperGateway = container(gateway('paper'), GATEWAY);
    expect(envValue(paperGateway, 'TRADING_MODE')).toBe('paper');
    expect(envValue(paperGateway, 'READ_ONLY_API')).toBe('no');
    expect(envValue(container(exporter('paper'), 'exporter'), 'IBKR_READONLY')).toBe('false');
    for (const overlay of ['live', 'aks'] as const) {
      const gw = container(gateway(overlay), GATEWAY);
      expect(envValue(gw, 'TRADING_MODE')).toBe('live');
      expect(envValue(gw, 'READ_ONLY_API')).toBe('yes');
      expect(envValue(container(exporter(overlay), 'exporter'), 'IBKR_READONLY')).toBe('true');
      expect(envValue(container(exporter(overlay), 'exporter'), 'IBKR_PORT')).toBe('4003');
    }
  });

  it('aks uses managed-csi disks and Linux nodes', () => {
    const claims = ofKind<K8sObject & { spec: { storageClassName?: string } }>(
      objects('aks'),
      'PersistentVolumeClaim',
    );
    // The gateway's settings only: the ledger is in PostgreSQL there.
    expect(claims.map((c) => `${c.metadata.name}: ${c.spec.storageClassName}`)).toEqual([
      'ib-gateway-settings: managed-csi',
    ]);
    for (const d of ofKind<Deployment>(objects('aks'), 'Deployment')) {
      expect(d.spec.template.spec.nodeSelector?.['kubernetes.io/os']).toBe('linux');
    }
    for (const overlay of ['paper', 'live'] as const) {
      expect(
        ofKind<Deployment>(objects(overlay), 'Deployment').map((d) => d.spec.template.spec.nodeSelector),
      ).toEqual([undefined, undefined]);
    }
  });
});

describe.skipIf(!hasCommand('promtool', ['--version']))('generated PrometheusRule', () => {
  it('passes promtool check rules', () => {
    const text = readFileSync(join(ROOT, 'k8s/components/monitoring/prometheusrule.yaml'), 'utf8');
    const rule = parse(text, { version: '1.1' }) as { spec: { groups: unknown[] } };
    const dir = mkdtempSync(join(tmpdir(), 'k8s-promtool-'));
    try {
      writeFileSync(join(dir, 'rules.yml'), JSON.stringify({ groups: rule.spec.groups }));
      const result = spawnSync('promtool', ['check', 'rules', join(dir, 'rules.yml')], { encoding: 'utf8' });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
