import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { UPDATES_PATH, UpdatesHub } from './ws-updates.js';
import type { UpdatesOptions } from './ws-updates.js';

const running: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const stop of running.splice(0).reverse()) await stop();
});

/** A hub on a real HTTP server on an ephemeral port; `state.n` is what the message says. */
async function startHub(options: Partial<UpdatesOptions> = {}) {
  const state = { n: 0, padding: '' };
  const hub = new UpdatesHub({
    message: () => JSON.stringify({ n: state.n, padding: state.padding }),
    maxClients: 50,
    heartbeatMs: 60_000,
    minIntervalMs: 20,
    maxBufferedBytes: 1024 * 1024,
    origins: ['https://ui.example'],
    logger: pino({ level: 'silent' }),
    ...options,
  });
  const server: Server = createServer((_req, res) => res.end());
  server.on('upgrade', hub.upgrade);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  running.push(
    () =>
      new Promise<void>((resolve) => {
        hub.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { hub, state, url };
}

/** A real client that records every message it reads. */
async function connect(url: string, options: ConstructorParameters<typeof WebSocket>[2] = {}) {
  const socket = new WebSocket(`${url}${UPDATES_PATH}`, options);
  const messages: Array<{ n: number }> = [];
  const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
  socket.on('message', (data) => messages.push(JSON.parse(String(data)) as { n: number }));
  socket.on('error', () => undefined);
  running.push(() => socket.terminate());
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  return { socket, messages, closed };
}

describe('WS /ws/updates', () => {
  it('sends the current message on connect, then each change, and nothing while it stays the same', async () => {
    const { hub, state, url } = await startHub();
    state.n = 1;
    const client = await connect(url);
    await vi.waitFor(() => expect(client.messages).toEqual([{ n: 1, padding: '' }]), { timeout: 2000 });
    state.n = 2;
    await vi.waitFor(() => expect(client.messages.map((m) => m.n)).toEqual([1, 2]), { timeout: 2000 });
    // Ten more ticks of the same state send nothing new; the next change comes right after 2.
    const ticks = hub.ticks;
    await vi.waitFor(() => expect(hub.ticks).toBeGreaterThan(ticks + 10), { timeout: 5000 });
    state.n = 3;
    await vi.waitFor(() => expect(client.messages.map((m) => m.n)).toEqual([1, 2, 3]), { timeout: 2000 });
  });

  it('refuses a client beyond the maximum with a 503, and takes one again once a place is free', async () => {
    const { hub, url } = await startHub({ maxClients: 2 });
    const first = await connect(url);
    await connect(url);
    await expect(connect(url)).rejects.toThrow('HTTP 503');
    expect(hub.refused).toBe(1);
    first.socket.close();
    await first.closed;
    await vi.waitFor(() => expect(hub.size).toBe(1), { timeout: 2000 });
    await connect(url);
    expect(hub.size).toBe(2);
  });

  it('takes clients without an Origin, from the same origin or a listed one, and refuses other web pages', async () => {
    const { url } = await startHub();
    const host = new URL(url).host;
    await connect(url);
    await connect(url, { origin: `http://${host}` });
    await connect(url, { origin: 'https://ui.example' });
    await expect(connect(url, { origin: 'https://evil.example' })).rejects.toThrow('HTTP 403');
  });

  it('answers other paths with 404', async () => {
    const { url } = await startHub();
    const socket = new WebSocket(`${url}/ws/other`);
    socket.on('error', () => undefined);
    const status = await new Promise<number | undefined>((resolve) =>
      socket.once('unexpected-response', (_req, res) => resolve(res.statusCode)),
    );
    expect(status).toBe(404);
  });

  it('drops a client that stops reading instead of buffering for it, and the others keep getting updates', async () => {
    const { hub, state, url } = await startHub({ maxBufferedBytes: 256 * 1024 });
    const fast = await connect(url);
    const slow = await connect(url);
    slow.socket.pause();
    // 512 kB messages, a new one every tick: the kernel's socket buffers fill, then ws's own.
    state.padding = 'x'.repeat(512 * 1024);
    const changer = setInterval(() => (state.n += 1), 20);
    running.push(() => clearInterval(changer));
    await vi.waitFor(() => expect(hub.slowDropped).toBe(1), { timeout: 20_000, interval: 20 });
    expect(hub.size).toBe(1);
    const seen = fast.messages.length;
    await vi.waitFor(() => expect(fast.messages.length).toBeGreaterThan(seen + 3), { timeout: 5000 });
    expect(fast.socket.readyState).toBe(WebSocket.OPEN);
  });

  it('closes a client that does not answer the heartbeat ping, and keeps one that does', async () => {
    const { hub, url } = await startHub({ heartbeatMs: 50 });
    const silent = await connect(url, { autoPong: false });
    const answering = await connect(url);
    await silent.closed;
    await vi.waitFor(() => expect(hub.size).toBe(1), { timeout: 2000 });
    expect(answering.socket.readyState).toBe(WebSocket.OPEN);
  });
});
