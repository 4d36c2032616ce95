// Compose mode, through the whole exporter: the configuration turns on restarts with a flag file,
// and a cold restart writes the time there instead of calling Kubernetes.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { startExporter } from '../exporter.js';
import type { Exporter } from '../exporter.js';
import { capturedLogger } from '../../test/support/restart.js';

const TOKEN = 'flag-file-test-token-0123456789';

describe('cold restart by flag file (compose)', () => {
  let dir: string;
  let exporter: Exporter;
  let logs: string[];

  const start = async (restartFile: string) => {
    const captured = capturedLogger();
    logs = captured.lines;
    exporter = await startExporter(
      loadConfig({
        IBKR_AUTO_SYNC: 'false',
        IBKR_DB_PATH: join(dir, 'exporter.db'),
        IBKR_HTTP_HOST: '127.0.0.1',
        IBKR_HTTP_PORT: '0',
        IBKR_API_TOKEN: TOKEN,
        IBKR_GATEWAY_RESTART_ENABLED: 'true',
        IBKR_GATEWAY_RESTART_FILE: restartFile,
      }),
      { logger: captured.logger },
    );
  };
  const post = (body: unknown) =>
    fetch(`${exporter.url}/gateway/restart`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'flag-file-'));
  });
  afterEach(async () => {
    await exporter.stop();
    rmSync(dir, { recursive: true, force: true });
    expect(logs.join('')).not.toContain(TOKEN);
  });

  it('writes an ISO timestamp atomically, answers 202 and counts the restart', async () => {
    const file = join(dir, 'restart-gateway');
    await start(file);
    const before = Date.now();
    const res = await post({ mode: 'cold' });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({
      state: 'succeeded',
      mode: 'cold',
      message: `restart requested in ${file}`,
    });
    const written = readFileSync(file, 'utf8');
    expect(written).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\n$/);
    expect(Date.parse(written.trim())).toBeGreaterThanOrEqual(before);
    expect(Date.parse(written.trim())).toBeLessThanOrEqual(Date.now());
    // The temporary file was renamed over the flag, not left behind.
    expect(readdirSync(dir).filter((name) => name.includes('restart-gateway'))).toEqual(['restart-gateway']);

    const metrics = await (await fetch(`${exporter.url}/metrics`)).text();
    expect(metrics).toContain('ibkr_gateway_restarts_total{mode="cold",result="success"} 1');
    expect(metrics).toContain('ibkr_gateway_restarts_total{mode="soft",result="failure"} 0');
    const health = (await (await fetch(`${exporter.url}/sync/health`)).json()) as {
      gateway_restart: unknown;
    };
    expect(health.gateway_restart).toMatchObject({ enabled: true, state: 'succeeded', mode: 'cold' });

    // Within the cooldown the flag is not touched again.
    const again = await post({});
    expect(again.status).toBe(409);
    expect(readFileSync(file, 'utf8')).toBe(written);
  });

  it('answers 500 naming the file when it cannot be written', async () => {
    const file = join(dir, 'missing-dir', 'restart-gateway');
    await start(file);
    const res = await post({});
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: `cannot write the restart flag file ${file} (ENOENT)` });
    const metrics = await (await fetch(`${exporter.url}/metrics`)).text();
    expect(metrics).toContain('ibkr_gateway_restarts_total{mode="cold",result="failure"} 1');
  });
});
