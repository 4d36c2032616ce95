// Soft restart against a fake IBC command server over TCP.
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { createRestarter } from './create-restarter.js';
import { IbcCommandError, sendIbcCommand } from './ibc-command.js';
import { capturedLogger, serveRestartApi, startFakeIbc } from '../../test/support/restart.js';
import type { FakeIbc } from '../../test/support/restart.js';

const TOKEN = 'soft-restart-token-0123456789';

describe('soft restart through IBC', () => {
  let ibc: FakeIbc;
  afterEach(async () => {
    await ibc.close();
  });

  it('sends RESTART, reports what IBC answered and leaves Kubernetes alone', async () => {
    ibc = await startFakeIbc('ok');
    const { logger, lines } = capturedLogger();
    const config = loadConfig({
      IBKR_API_TOKEN: TOKEN,
      IBKR_GATEWAY_RESTART_ENABLED: 'true',
      IBKR_GATEWAY_COMMAND_PORT: String(ibc.port),
      IBKR_GATEWAY_RESTART_COOLDOWN_SECONDS: '0',
    });
    const restarter = createRestarter(config.gateway, {
      logger,
      // A soft restart must not need Kubernetes credentials at all.
      kubeconfigFile: '/nonexistent/kubeconfig',
    });
    const api = await serveRestartApi(restarter, config.api.token, logger);
    try {
      const res = await api.post({ mode: 'soft' });
      expect(res.status).toBe(202);
      expect(res.json).toMatchObject({
        state: 'succeeded',
        mode: 'soft',
        message: 'IBC accepted RESTART: RESTART in progress',
      });
      expect(ibc.commands).toEqual(['RESTART']);
      expect(await api.metrics()).toContain('ibkr_gateway_restarts_total{mode="soft",result="success"} 1');

      ibc.behaviour = 'error';
      const refused = await api.post({ mode: 'soft' });
      expect(refused.status).toBe(502);
      expect(refused.json).toEqual({
        error: `IBC command server at 127.0.0.1:${ibc.port} answered RESTART: ERROR RESTART already in progress`,
      });
      expect(await api.metrics()).toContain('ibkr_gateway_restarts_total{mode="soft",result="failure"} 1');
      expect(lines.join('')).not.toContain(TOKEN);
    } finally {
      restarter.close();
      await api.close();
    }
  });

  const target = (port: number) => ({ host: '127.0.0.1', port, timeoutMs: 300 });

  it('says ControlFrom when IBC closes the connection without a word', async () => {
    ibc = await startFakeIbc('deny');
    await expect(sendIbcCommand(target(ibc.port), 'RESTART')).rejects.toMatchObject({
      kind: 'no_answer',
      message: expect.stringContaining("is this exporter's address in IBC's ControlFrom?"),
    });
  });

  it('gives up at the deadline when IBC never answers', async () => {
    ibc = await startFakeIbc('silent');
    const started = Date.now();
    const error = await sendIbcCommand(target(ibc.port), 'RESTART').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IbcCommandError);
    expect(error).toMatchObject({
      kind: 'timeout',
      message: `IBC command server at 127.0.0.1:${ibc.port} did not answer RESTART within 0.3 s`,
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(ibc.commands).toEqual(['RESTART']);
  });

  it('says CommandServerPort when nothing listens', async () => {
    ibc = await startFakeIbc('ok');
    // A port that was free a moment ago: listen, note it, close.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    await expect(sendIbcCommand(target(port), 'RESTART')).rejects.toMatchObject({
      kind: 'unreachable',
      message: `cannot reach the IBC command server at 127.0.0.1:${port} (ECONNREFUSED): is CommandServerPort set in IBC's config.ini?`,
    });
  });
});
