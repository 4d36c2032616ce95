// A fake Kubernetes API server for tests: plain node http on 127.0.0.1, serving the real path of
// one Deployment (GET and PATCH /apis/apps/v1/namespaces/{ns}/deployments/{name}), recording every
// request, and playing a rollout one status per GET. The real client-node talks to it through a
// kubeconfig file, so what is asserted is what would go over the wire to a real API server.
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { V1DeploymentStatus } from '@kubernetes/client-node';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

/** How the fake answers: normally, with a Kubernetes Status error, or never. */
export type FakeBehaviour =
  { kind: 'normal' } | { kind: 'error'; code: number; reason: string } | { kind: 'hang' };

export interface FakeDeployment {
  metadata: { name: string; namespace: string; generation: number; annotations?: Record<string, string> };
  spec: {
    replicas: number;
    paused?: boolean;
    progressDeadlineSeconds?: number;
    template: { metadata?: { annotations?: Record<string, string> } };
  };
  status: V1DeploymentStatus;
}

export const FAKE_K8S_TOKEN = 'fake-service-account-token-0123456789';

export class FakeKubeApi {
  readonly requests: RecordedRequest[] = [];
  behaviour: FakeBehaviour = { kind: 'normal' };
  readonly deployment: FakeDeployment;
  /** Statuses served by the GETs after a PATCH, one per GET; the last one repeats. */
  readonly rollout: V1DeploymentStatus[] = [];
  readonly #hanging: ServerResponse[] = [];

  private constructor(
    readonly url: string,
    private readonly server: ReturnType<typeof createServer>,
    namespace: string,
    name: string,
  ) {
    this.deployment = {
      metadata: { name, namespace, generation: 4 },
      spec: { replicas: 1, template: { metadata: { annotations: { 'app.kubernetes.io/part-of': 'ibkr' } } } },
      status: {
        observedGeneration: 4,
        replicas: 1,
        updatedReplicas: 1,
        availableReplicas: 1,
        readyReplicas: 1,
      },
    };
  }

  static async start(namespace: string, name: string): Promise<FakeKubeApi> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const fake = new FakeKubeApi(`http://127.0.0.1:${port}`, server, namespace, name);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => fake.handle(req.method ?? '', req.url ?? '', req.headers, body, res));
    });
    return fake;
  }

  /** Writes a kubeconfig for this server into `dir` and returns its path. */
  writeKubeconfig(dir: string): string {
    const path = join(dir, 'kubeconfig.yaml');
    writeFileSync(
      path,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: fake',
        '  cluster:',
        `    server: ${this.url}`,
        // client-node refuses plain http unless TLS verification is off; the fake speaks http.
        '    insecure-skip-tls-verify: true',
        'users:',
        '- name: exporter',
        '  user:',
        `    token: ${FAKE_K8S_TOKEN}`,
        'contexts:',
        '- name: fake',
        '  context: {cluster: fake, user: exporter}',
        'current-context: fake',
        '',
      ].join('\n'),
    );
    return path;
  }

  get patches(): RecordedRequest[] {
    return this.requests.filter((r) => r.method === 'PATCH');
  }

  async close(): Promise<void> {
    for (const res of this.#hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private handle(
    method: string,
    rawUrl: string,
    headers: IncomingHttpHeaders,
    body: string,
    res: ServerResponse,
  ) {
    const url = new URL(rawUrl, this.url);
    this.requests.push({ method, path: url.pathname, query: url.searchParams, headers, body });
    const { namespace, name } = this.deployment.metadata;
    const send = (code: number, value: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    if (this.behaviour.kind === 'hang') {
      this.#hanging.push(res);
      return;
    }
    if (this.behaviour.kind === 'error') {
      const { code, reason } = this.behaviour;
      send(code, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `deployments.apps "${name}" is ${reason.toLowerCase()}: User "system:serviceaccount:${namespace}:exporter" cannot ${method.toLowerCase()} resource "deployments"`,
        reason,
        details: { name, group: 'apps', kind: 'deployments' },
        code,
      });
      return;
    }
    if (url.pathname !== `/apis/apps/v1/namespaces/${namespace}/deployments/${name}`) {
      send(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 });
      return;
    }
    if (method === 'PATCH') {
      // Just enough strategic merge for the pod template's annotations, which is all a restart sends.
      const patch = JSON.parse(body) as { spec?: { template?: { metadata?: { annotations?: object } } } };
      const template = (this.deployment.spec.template.metadata ??= {});
      template.annotations = { ...template.annotations, ...patch.spec?.template?.metadata?.annotations };
      this.deployment.metadata.generation += 1;
    } else if (method === 'GET' && this.patches.length > 0 && this.rollout.length > 0) {
      this.deployment.status = this.rollout.length > 1 ? this.rollout.shift()! : this.rollout[0]!;
    } else if (method !== 'GET') {
      send(405, { kind: 'Status', code: 405 });
      return;
    }
    send(200, { apiVersion: 'apps/v1', kind: 'Deployment', ...this.deployment });
  }
}
