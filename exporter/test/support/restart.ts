// Test rigs for the restart API: the real createApp with the restart router and collector on an
// ephemeral port, a pino logger whose lines the test can read, and a fake IBC command server.
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { Health } from '../../src/domain/health.js';
import { Portfolio } from '../../src/domain/portfolio.js';
import { createApp } from '../../src/http/app.js';
import { restartRouter } from '../../src/http/restart-routes.js';
import { createMetricsEndpoint } from '../../src/metrics/collector.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { restartCollector } from '../../src/metrics/restart-collector.js';
import type { GatewayRestarter } from '../../src/restart/restarter.js';

/** A debug-level logger that keeps its JSON lines, so tests can check what is (not) logged. */
export function capturedLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
  return { logger, lines };
}

export interface RestartApi {
  url: string;
  post(
    body?: unknown,
    token?: string,
  ): Promise<{ status: number; headers: Headers; text: string; json: unknown }>;
  status(): Promise<Record<string, unknown>>;
  metrics(): Promise<string>;
  close(): Promise<void>;
}

export async function serveRestartApi(
  restarter: GatewayRestarter,
  token: string | undefined,
  logger: Logger,
): Promise<RestartApi> {
  const dir = mkdtempSync(join(tmpdir(), 'restart-api-'));
  const store = new SqliteStore({ path: join(dir, 'restart.db') });
  const registry = new Registry();
  const app = createApp({
    metrics: createMetricsEndpoint(registry, [restartCollector(registry, restarter)], () => undefined),
    health: new Health(0),
    portfolio: new Portfolio(),
    store,
    restarter,
    logger,
    baseCurrency: 'USD',
    sync: { running: false },
    routers: [restartRouter({ restarter, token })],
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    async post(body, bearer = token) {
      const headers: Record<string, string> = {};
      if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`${url}/gateway/restart`, {
        method: 'POST',
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, text, json: JSON.parse(text) as unknown };
    },
    async status() {
      return (await (await fetch(`${url}/gateway/restart`)).json()) as Record<string, unknown>;
    },
    async metrics() {
      return (await fetch(`${url}/metrics`)).text();
    },
    async close() {
      await new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      });
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** What the fake IBC does with a connection: answer like IBC, refuse (ControlFrom), or stay silent. */
export type FakeIbcBehaviour = 'ok' | 'error' | 'deny' | 'silent';

export interface FakeIbc {
  port: number;
  behaviour: FakeIbcBehaviour;
  /** Command lines received, in order. */
  readonly commands: string[];
  close(): Promise<void>;
}

/**
 * IBC's command server as its CommandChannel behaves: an INFO greeting, a prompt without a newline
 * (CommandPrompt), "OK …" or "ERROR …" per command, and the socket closed after RESTART.
 */
export async function startFakeIbc(behaviour: FakeIbcBehaviour = 'ok'): Promise<FakeIbc> {
  const sockets = new Set<Socket>();
  const fake: FakeIbc = { port: 0, behaviour, commands: [], close: async () => undefined };
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    if (fake.behaviour === 'deny') {
      socket.destroy();
      return;
    }
    socket.setEncoding('utf8');
    socket.write('INFO IBC Command Server\nIBC> ');
    let buffered = '';
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const command = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        fake.commands.push(command);
        if (fake.behaviour === 'silent') continue;
        if (fake.behaviour === 'error') {
          socket.write('ERROR RESTART already in progress\nIBC> ');
          continue;
        }
        socket.end('INFO Restarting TWS\nOK RESTART in progress\n');
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.port = (server.address() as AddressInfo).port;
  fake.close = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  };
  return fake;
}
