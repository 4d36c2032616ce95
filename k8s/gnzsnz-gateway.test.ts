// The gnzsnz-gateway component on top of every overlay, rendered with `kubectl kustomize`: the
// other image runs where ours did, and everything the exporter relies on (its Deployment, the
// Services, the NetworkPolicy, the restart Role) is exactly what the overlay renders without it.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { Container, Deployment, Service } from '../exporter/test/support/k8s-objects.js';
import { envValue, named, ofKind } from '../exporter/test/support/k8s-objects.js';
import type { K8sObject, Overlay } from '../exporter/test/support/kustomize.js';
import { KUBECTL, kustomize, OVERLAYS, prepareTree } from '../exporter/test/support/kustomize.js';
import { unknownFields, validateObject } from '../exporter/test/support/k8s-schema.js';
import { ROOT } from './scripts/manifests.js';

const COMPONENT = join(ROOT, 'k8s', 'components', 'gnzsnz-gateway');
const IMAGE = /^ghcr\.io\/gnzsnz\/ib-gateway:\d+\.\d+\.\d+[a-z]$/;
const HOME = '/home/ibgateway';
/** The socat port of each trading mode: the same in both images. */
const SOCAT = { paper: 4004, live: 4003 } as const;

it('carries the very health check of ib-gateway/ (kustomize loads nothing from outside)', () => {
  expect(readFileSync(join(COMPONENT, 'healthcheck'), 'utf8')).toBe(
    readFileSync(join(ROOT, 'ib-gateway', 'healthcheck'), 'utf8'),
  );
});

if (!KUBECTL) process.stderr.write('k8s/gnzsnz-gateway.test.ts: kubectl not found; rendering SKIPPED\n');

describe.skipIf(!KUBECTL)('gnzsnz-gateway component', () => {
  const plain = new Map<Overlay, K8sObject[]>();
  const swapped = new Map<Overlay, K8sObject[]>();
  let cleanup = () => {};

  beforeAll(() => {
    const plainTree = prepareTree();
    const tree = prepareTree();
    cleanup = () => {
      plainTree.cleanup();
      tree.cleanup();
    };
    // What the docs tell a user to do: list the component in the overlay that sets the namespace
    // (aks builds on live), so its ConfigMap lands there too.
    for (const overlay of ['paper', 'live']) {
      const file = join(tree.root, 'overlays', overlay, 'kustomization.yaml');
      const kustomization = parse(readFileSync(file, 'utf8')) as { components?: string[] };
      kustomization.components = [...(kustomization.components ?? []), '../../components/gnzsnz-gateway'];
      writeFileSync(file, stringify(kustomization));
    }
    for (const overlay of OVERLAYS) {
      plain.set(overlay, kustomize(join(plainTree.root, 'overlays', overlay)));
      swapped.set(overlay, kustomize(join(tree.root, 'overlays', overlay)));
    }
  });
  afterAll(() => cleanup());

  describe.each(OVERLAYS)('on overlay %s', (overlay) => {
    const objects = () => swapped.get(overlay) ?? [];
    const gateway = () => named<Deployment>(objects(), 'Deployment', 'ib-gateway');
    const container = (name: string): Container => {
      const found = gateway().spec.template.spec.containers.find((c) => c.name === name);
      if (found === undefined) throw new Error(`no container ${name}`);
      return found;
    };
    const mountOf = (c: Container, path: string) => {
      const mount = c.volumeMounts?.find((m) => m.mountPath === path);
      return gateway().spec.template.spec.volumes?.find((v) => v.name === mount?.name);
    };
    const scripts = () =>
      named<K8sObject & { data: Record<string, string> }>(
        objects(),
        'ConfigMap',
        mountOf(container('ib-gateway'), `${HOME}/ibkr-pnl-exporter`)?.configMap?.name ?? '',
      );

    it('is valid against the Kubernetes schemas', () => {
      expect(
        objects().flatMap((o) => validateObject(o).map((p) => `${o.kind}/${o.metadata.name}: ${p}`)),
      ).toEqual([]);
      expect(objects().flatMap(unknownFields)).toEqual([]);
    });

    it('puts its ConfigMap in the overlay namespace, under the name the pod mounts', () => {
      const namespace = named(objects(), 'Deployment', 'ib-gateway').metadata.namespace;
      expect(scripts().metadata.namespace).toBe(namespace);
      expect(scripts().metadata.name).toMatch(/^ib-gateway-gnzsnz-scripts-[a-z0-9]{10}$/);
    });

    it('runs the other image, and none of ours, in the gateway pod', () => {
      const containers = gateway().spec.template.spec.containers;
      expect(containers.map((c) => c.name)).toEqual(['ib-gateway', 'ibc-command']);
      for (const c of containers) expect(c.image).toMatch(IMAGE);
    });

    it('leaves everything the exporter uses as the overlay has it', () => {
      const same = (kind: string, name: string) =>
        expect(named(objects(), kind, name)).toEqual(named(plain.get(overlay) ?? [], kind, name));
      same('Deployment', 'ibkr-exporter');
      for (const service of ofKind<Service>(plain.get(overlay) ?? [], 'Service'))
        same('Service', service.metadata.name);
      same('NetworkPolicy', 'ib-gateway');
      same('Role', 'ibkr-exporter-gateway-restart');
      same('PersistentVolumeClaim', 'ib-gateway-settings');
    });

    it('serves the API on the socat port of its trading mode and the command server on 7463', () => {
      const gw = container('ib-gateway');
      const mode = envValue(gw, 'TRADING_MODE') as keyof typeof SOCAT;
      expect(gw.ports).toEqual([{ name: 'api', containerPort: SOCAT[mode], protocol: 'TCP' }]);
      // The sidecar shares the pod's network: it forwards to IBC on the pod's 127.0.0.1.
      const command = container('ibc-command');
      expect(command.ports).toEqual([{ name: 'ibc-command', containerPort: 7463, protocol: 'TCP' }]);
      expect(command.command).toEqual([
        'socat',
        'TCP-LISTEN:7463,fork,reuseaddr',
        `TCP:127.0.0.1:${envValue(gw, 'IBC_COMMAND_PORT')}`,
      ]);
      expect(command.securityContext?.readOnlyRootFilesystem).toBe(true);
    });

    it('turns IBC’s command server on with command-server.sh, from its start-up hook', () => {
      const gw = container('ib-gateway');
      expect(envValue(gw, 'START_SCRIPTS')).toBe('ibkr-pnl-exporter');
      expect(scripts().data['command-server.sh']).toBe(
        readFileSync(join(COMPONENT, 'command-server.sh'), 'utf8'),
      );
    });

    it('probes it with our API handshake check, mounted, and never kills it for its login', () => {
      const gw = container('ib-gateway');
      const command = ['bash', `${HOME}/ibkr-pnl-exporter/healthcheck`];
      expect(gw.startupProbe?.exec?.command).toEqual(command);
      expect(gw.readinessProbe?.exec?.command).toEqual(command);
      expect(gw.livenessProbe).toBeUndefined();
      expect(scripts().data.healthcheck).toBe(readFileSync(join(ROOT, 'ib-gateway', 'healthcheck'), 'utf8'));
    });

    it('speaks that image’s settings: credentials from the secret, master client id, settings volume', () => {
      const gw = container('ib-gateway');
      const exporter = named<Deployment>(objects(), 'Deployment', 'ibkr-exporter').spec.template.spec
        .containers[0]!;
      expect(envValue(gw, 'TWS_MASTER_CLIENT_ID')).toBe(envValue(exporter, 'IBKR_CLIENT_ID'));
      // Nothing only our image reads is left behind to mislead.
      for (const name of ['TWS_USERID_FILE', 'MASTER_CLIENT_ID', 'VNC_PASSWORD_FILE'])
        expect(gw.env?.some((e) => e.name === name)).toBe(false);
      const userid = gw.env?.find((e) => e.name === 'TWS_USERID')?.valueFrom?.secretKeyRef as
        { name: string; key: string } | undefined;
      expect(userid?.key).toBe('username');
      expect(userid?.name).toMatch(/^ib-gateway-credentials-[a-z0-9]{10}$/);
      // Secrets as files: the password and the VNC password.
      for (const name of ['TWS_PASSWORD_FILE', 'VNC_SERVER_PASSWORD_FILE']) {
        const path = envValue(gw, name) ?? '';
        const mount = gw.volumeMounts?.find((m) => path.startsWith(`${m.mountPath}/`));
        expect(
          gateway().spec.template.spec.volumes?.find((v) => v.name === mount?.name)?.secret,
        ).toBeDefined();
      }
      expect(gw.env?.some((e) => /PASSWORD$/.test(e.name))).toBe(false);
      // Its installation lives in /home/ibgateway/Jts: the settings volume goes elsewhere.
      expect(mountOf(gw, envValue(gw, 'TWS_SETTINGS_PATH') ?? '')?.persistentVolumeClaim?.claimName).toBe(
        'ib-gateway-settings',
      );
      expect(gw.volumeMounts?.some((m) => m.mountPath === `${HOME}/Jts`)).toBe(false);
      // config.ini (with the password) in memory.
      const ini = envValue(gw, 'IBC_INI') ?? '';
      expect(mountOf(gw, ini.slice(0, ini.lastIndexOf('/')))?.emptyDir?.medium).toBe('Memory');
    });
  });
});
