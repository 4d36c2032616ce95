import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BEARER_PROTOCOL_PREFIX, bearerCheck, requireBearer } from './auth.js';
import { HttpError } from './http-error.js';

const TOKEN = 'test-token-0123456789abcdef';

async function serve(token: string | undefined) {
  const app = express();
  app.post('/guarded', requireBearer(token), (_req, res) => {
    res.json({ ok: true });
  });
  app.use((error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const status = error instanceof HttpError ? error.status : 500;
    res.status(status).json({ error: (error as Error).message });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/guarded`;
  return { url, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe('requireBearer', () => {
  let enabled: Awaited<ReturnType<typeof serve>>;
  let disabled: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    enabled = await serve(TOKEN);
    disabled = await serve(undefined);
  });
  afterAll(async () => {
    await enabled.close();
    await disabled.close();
  });

  it('lets the right token through', async () => {
    const res = await fetch(enabled.url, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
  });

  it.each([
    ['no header', undefined],
    ['a wrong token', 'Bearer wrong-token-0123456789abcdef'],
    ['a token prefix', `Bearer ${TOKEN.slice(0, -1)}`],
    ['another scheme', `Basic ${TOKEN}`],
  ])('answers 401 to %s without echoing the token', async (_name, header) => {
    const res = await fetch(enabled.url, {
      method: 'POST',
      headers: header === undefined ? {} : { authorization: header },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
    const body = await res.text();
    expect(body).not.toContain(TOKEN);
    expect(JSON.parse(body)).toEqual({ error: 'missing or invalid bearer token' });
  });

  it('answers 403 when no token is configured, whatever the request carries', async () => {
    const res = await fetch(disabled.url, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: 'disabled: set IBKR_API_TOKEN' });
  });
});

describe('bearerCheck on a WebSocket upgrade', () => {
  const check = bearerCheck(TOKEN);
  const offer = (token: string) =>
    `ibkr-updates, ${BEARER_PROTOCOL_PREFIX}${Buffer.from(token).toString('base64url')}`;
  const upgrade = { upgrade: 'websocket', connection: 'Upgrade' };

  it('takes the token from the bearer subprotocol of an upgrade', () => {
    expect(check({ ...upgrade, 'sec-websocket-protocol': offer(TOKEN) })).toBe('ok');
    expect(check({ ...upgrade, 'sec-websocket-protocol': offer('wrong') })).toBe('unauthorized');
  });

  it('reads the subprotocol only on an upgrade, and refuses a value that is not base64url', () => {
    expect(check({ 'sec-websocket-protocol': offer(TOKEN) })).toBe('unauthorized');
    const padded = `${BEARER_PROTOCOL_PREFIX}${Buffer.from(TOKEN).toString('base64')}=`;
    expect(check({ ...upgrade, 'sec-websocket-protocol': padded })).toBe('unauthorized');
  });
});
