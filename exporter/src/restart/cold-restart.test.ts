// Cold restart end to end: HTTP → restart service → the real @kubernetes/client-node, configured by
// KUBECONFIG like in production → a fake API server on 127.0.0.1 that records the wire requests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../config/config.js';
import { FAKE_K8S_TOKEN, FakeKubeApi } from '../../test/support/fake-kube-api.js';
import { createRestarter } from './create-restarter.js';
import { capturedLogger, serveRestartApi } from '../../test/support/restart.js';
import type { RestartApi } from '../../test/support/restart.js';

const TOKEN = 'restart-test-token-0123456789';
const PATH = '/apis/apps/v1/namespaces/ibkr/deployments/ib-gateway';
const WAIT = { timeout: 5000, interval: 10 };

const sample = (text: string, series: string) =>
  Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);

describe('cold restart through the Kubernetes API', () => {
  let fake: FakeKubeApi;
  let dir: string;
  let api: RestartApi;
  let restarter: ReturnType<typeof createRestarter>;
  let logs: string[];

  beforeEach(async () => {
    fake = await FakeKubeApi.start('ibkr', 'ib-gateway');
    dir = mkdtempSync(join(tmpdir(), 'cold-restart-'));
    vi.stubEnv('KUBECONFIG', fake.writeKubeconfig(dir));
    const config = loadConfig({
      IBKR_GATEWAY_RESTART_ENABLED: 'true',
      IBKR_GATEWAY_NAMESPACE: 'ibkr',
      IBKR_GATEWAY_API_TIMEOUT_SECONDS: '0.3',
      IBKR_API_TOKEN: TOKEN,
    });
    const captured = capturedLogger();
    logs = captured.lines;
    restarter = createRestarter(config.gateway, { logger: captured.logger, pollIntervalMs: 10 });
    api = await serveRestartApi(restarter, config.api.token, captured.logger);
  });

  afterEach(async () => {
    restarter.close();
    await api.close();
    await fake.close();
    vi.unstubAllEnvs();
    rmSync(dir, { recursive: true, force: true });
    // Neither the API token nor the Kubernetes credentials may reach a log line.
    expect(logs.join('')).not.toContain(TOKEN);
    expect(logs.join('')).not.toContain(FAKE_K8S_TOKEN);
  });

  it('patches restartedAt with a strategic merge, answers 202 and follows the rollout to the end', async () => {
    // A surge rollout: spec not yet observed, the old pod terminating, then the new pod not yet ready.
    fake.rollout.push(
      { observedGeneration: 4, replicas: 1, updatedReplicas: 1, availableReplicas: 1 },
      { observedGeneration: 5, replicas: 2, updatedReplicas: 1, availableReplicas: 1 },
      { observedGeneration: 5, replicas: 1, updatedReplicas: 1, availableReplicas: 0 },
    );
    const before = Date.now();
    const res = await api.post({ mode: 'cold' });
    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({
      enabled: true,
      state: 'in_progress',
      mode: 'cold',
      message: 'rollout restart of deployment ibkr/ib-gateway started',
      finished_at: null,
    });

    const [get, patch] = fake.requests;
    expect(get).toMatchObject({ method: 'GET', path: PATH });
    expect(get!.headers.authorization).toBe(`Bearer ${FAKE_K8S_TOKEN}`);
    expect(patch).toMatchObject({ method: 'PATCH', path: PATH });
    expect(patch!.headers['content-type']).toBe('application/strategic-merge-patch+json');
    expect(patch!.query.get('fieldManager')).toBe('ibkr-pnl-exporter');
    const body = JSON.parse(patch!.body) as unknown;
    const restartedAt = (
      body as { spec: { template: { metadata: { annotations: Record<string, string> } } } }
    ).spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']!;
    expect(body).toEqual({
      spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': restartedAt } } } },
    });
    expect(restartedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Date.parse(restartedAt)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(Date.parse(restartedAt)).toBeLessThanOrEqual(Date.now());

    // The fake holds the rollout at "not yet available": progress is visible and a second restart is refused.
    await vi.waitFor(async () => {
      expect(await api.status()).toMatchObject({
        state: 'in_progress',
        message:
          'Waiting for deployment "ib-gateway" rollout to finish: 0 of 1 updated replicas are available...',
      });
    }, WAIT);
    expect(sample(await api.metrics(), 'ibkr_gateway_restart_in_progress')).toBe(1);
    const busy = await api.post({ mode: 'soft' });
    expect(busy.status).toBe(409);
    expect(busy.json).toEqual({ error: expect.stringContaining('a cold restart is in progress since') });

    fake.rollout.push({ observedGeneration: 5, replicas: 1, updatedReplicas: 1, availableReplicas: 1 });
    await vi.waitFor(async () => {
      expect(await api.status()).toMatchObject({
        state: 'succeeded',
        mode: 'cold',
        message: 'deployment "ib-gateway" successfully rolled out',
        finished_at: expect.any(String),
      });
    }, WAIT);
    const metrics = await api.metrics();
    expect(sample(metrics, 'ibkr_gateway_restarts_total{mode="cold",result="success"}')).toBe(1);
    expect(sample(metrics, 'ibkr_gateway_restarts_total{mode="cold",result="failure"}')).toBe(0);
    expect(sample(metrics, 'ibkr_gateway_restart_in_progress')).toBe(0);
    expect(fake.patches).toHaveLength(1);

    // The cooldown (default 300 s) starts with the accepted restart.
    const again = await api.post();
    expect(again.status).toBe(409);
    expect(again.json).toEqual({ error: expect.stringContaining('IBKR_GATEWAY_RESTART_COOLDOWN_SECONDS') });
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(290);
    expect(fake.patches).toHaveLength(1);
  });

  it('reports a rollout that exceeds its progress deadline as failed', async () => {
    fake.rollout.push({
      observedGeneration: 5,
      replicas: 2,
      updatedReplicas: 1,
      availableReplicas: 1,
      conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
    });
    expect((await api.post()).status).toBe(202);
    await vi.waitFor(async () => {
      expect(await api.status()).toMatchObject({
        state: 'failed',
        message: 'deployment "ib-gateway" exceeded its progress deadline',
      });
    }, WAIT);
    expect(sample(await api.metrics(), 'ibkr_gateway_restarts_total{mode="cold",result="failure"}')).toBe(1);
  });

  it.each([401, 403])('answers 502 pointing at RBAC when Kubernetes answers %i', async (code) => {
    fake.behaviour = { kind: 'error', code, reason: code === 401 ? 'Unauthorized' : 'Forbidden' };
    const res = await api.post({ mode: 'cold' });
    expect(res.status).toBe(502);
    expect(res.json).toEqual({
      error: `Kubernetes refused GET deployment ibkr/ib-gateway (HTTP ${code}): check RBAC. The exporter's ServiceAccount needs a Role in namespace ibkr allowing get and patch on apps/deployments with resourceNames ["ib-gateway"], and a RoleBinding to it`,
    });
    expect(res.text).not.toContain(FAKE_K8S_TOKEN);
    expect(fake.patches).toHaveLength(0);
    expect(await api.status()).toMatchObject({ state: 'failed', mode: 'cold' });
    expect(sample(await api.metrics(), 'ibkr_gateway_restarts_total{mode="cold",result="failure"}')).toBe(1);
  });

  it('answers 500 naming the deployment when it does not exist', async () => {
    fake.behaviour = { kind: 'error', code: 404, reason: 'NotFound' };
    const res = await api.post();
    expect(res.status).toBe(500);
    expect(res.json).toEqual({
      error:
        "deployment ibkr/ib-gateway not found: set IBKR_GATEWAY_DEPLOYMENT and IBKR_GATEWAY_NAMESPACE to the gateway's Deployment",
    });
  });

  it('refuses a paused deployment with 409 and patches nothing', async () => {
    fake.deployment.spec.paused = true;
    const res = await api.post({ mode: 'cold' });
    expect(res.status).toBe(409);
    expect(res.json).toEqual({
      error:
        'deployment ibkr/ib-gateway is paused; resume it first (kubectl rollout resume deployment/ib-gateway -n ibkr)',
    });
    expect(fake.requests.map((r) => r.method)).toEqual(['GET']);
    // Nothing was attempted: no failure counted, no cooldown started.
    expect(await api.status()).toMatchObject({ state: 'idle' });
    expect(sample(await api.metrics(), 'ibkr_gateway_restarts_total{mode="cold",result="failure"}')).toBe(0);
    fake.deployment.spec.paused = false;
    expect((await api.post()).status).toBe(202);
  });

  it('gives up on an API server that never answers after the deadline, with 504', async () => {
    fake.behaviour = { kind: 'hang' };
    const started = Date.now();
    const res = await api.post();
    expect(res.status).toBe(504);
    expect(res.json).toEqual({
      error: 'the Kubernetes API did not answer GET deployment ibkr/ib-gateway within 0.3 s',
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(fake.requests).toHaveLength(1);
    expect(await api.status()).toMatchObject({ state: 'failed', mode: 'cold' });
  });
});
