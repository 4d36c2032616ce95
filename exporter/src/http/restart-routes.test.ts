import { afterEach, describe, expect, it } from 'vitest';
import { disabledRestarter, zeroOutcomes } from '../restart/restarter.js';
import type { GatewayRestarter, RestartMode, RestartStatus } from '../restart/restarter.js';
import { capturedLogger, serveRestartApi } from '../../test/support/restart.js';
import type { RestartApi } from '../../test/support/restart.js';

const TOKEN = 'routes-test-token-0123456789abcdef';

/** Records the modes it was asked for and succeeds at once. */
function recordingRestarter(): GatewayRestarter & { modes: RestartMode[] } {
  let status: RestartStatus = { state: 'idle' };
  const modes: RestartMode[] = [];
  return {
    enabled: true,
    modes,
    restart(mode) {
      modes.push(mode);
      status = { state: 'succeeded', mode, startedAt: 1_000, finishedAt: 2_000, message: 'done' };
      return Promise.resolve(status);
    },
    status: () => status,
    outcomes: zeroOutcomes,
  };
}

describe('/gateway/restart routes', () => {
  let api: RestartApi;
  let lines: string[];
  const serve = async (restarter: GatewayRestarter, token: string | undefined) => {
    const captured = capturedLogger();
    lines = captured.lines;
    api = await serveRestartApi(restarter, token, captured.logger);
    return api;
  };
  afterEach(async () => {
    await api.close();
    expect(lines.join('')).not.toContain(TOKEN);
  });

  it('restarts cold by default, as the seed did, and answers 202 with the status', async () => {
    const restarter = recordingRestarter();
    await serve(restarter, TOKEN);
    const res = await api.post();
    expect(res.status).toBe(202);
    expect(res.json).toEqual({
      enabled: true,
      state: 'succeeded',
      mode: 'cold',
      started_at: '1970-01-01T00:00:01.000Z',
      finished_at: '1970-01-01T00:00:02.000Z',
      message: 'done',
    });
    expect((await api.post({ mode: 'soft' })).status).toBe(202);
    expect(restarter.modes).toEqual(['cold', 'soft']);
  });

  it.each([
    ['no token', undefined],
    ['a wrong token', 'wrong-token-0123456789abcdef0123'],
    ['the token with a suffix', `${TOKEN}x`],
  ])('answers 401 to %s, restarts nothing and echoes no token', async (_name, bearer) => {
    const restarter = recordingRestarter();
    await serve(restarter, TOKEN);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`;
    const res = await fetch(`${api.url}/gateway/restart`, {
      method: 'POST',
      headers,
      body: '{"mode":"cold"}',
    });
    expect(res.status).toBe(401);
    const text = await res.text();
    expect(text).not.toContain(TOKEN);
    expect(JSON.parse(text)).toEqual({ error: 'missing or invalid bearer token' });
    expect(restarter.modes).toEqual([]);
  });

  it('answers 403 when no API token is configured', async () => {
    const restarter = recordingRestarter();
    await serve(restarter, undefined);
    const res = await api.post({ mode: 'cold' }, TOKEN);
    expect(res.status).toBe(403);
    expect(res.json).toEqual({ error: 'disabled: set IBKR_API_TOKEN' });
    expect(restarter.modes).toEqual([]);
  });

  it('answers 403 when restarts are disabled, and reports them disabled', async () => {
    await serve(disabledRestarter, TOKEN);
    const res = await api.post({ mode: 'soft' });
    expect(res.status).toBe(403);
    expect(res.json).toEqual({ error: 'gateway restart is disabled: set IBKR_GATEWAY_RESTART_ENABLED=true' });
    expect(await api.status()).toEqual({
      enabled: false,
      state: 'idle',
      mode: null,
      started_at: null,
      finished_at: null,
      message: null,
    });
    const metrics = await api.metrics();
    for (const mode of ['cold', 'soft'])
      for (const result of ['success', 'failure'])
        expect(metrics).toContain(`ibkr_gateway_restarts_total{mode="${mode}",result="${result}"} 0`);
    expect(metrics).toContain('ibkr_gateway_restart_in_progress 0');
  });

  it.each([
    [{ mode: 'warm' }, 'mode'],
    [{ mode: 'cold', force: true }, '(body)'],
    [{ mode: null }, 'mode'],
  ])('rejects %j with 422 naming the field', async (body, field) => {
    const restarter = recordingRestarter();
    await serve(restarter, TOKEN);
    const res = await api.post(body);
    expect(res.status).toBe(422);
    expect(res.json).toMatchObject({ error: 'invalid restart request', details: [{ field }] });
    expect(restarter.modes).toEqual([]);
  });

  it('refuses a form-encoded body rather than restarting cold', async () => {
    const restarter = recordingRestarter();
    await serve(restarter, TOKEN);
    const res = await fetch(`${api.url}/gateway/restart`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'mode=soft',
    });
    expect(res.status).toBe(415);
    expect(restarter.modes).toEqual([]);
  });
});
