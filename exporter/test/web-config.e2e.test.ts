// IBKR_WEB_CONFIG_FILE with real clients: certificates made by openssl, a real Prometheus
// scraping over HTTPS with basic auth and a CA file, and Node's own TLS client for the requests
// that must be refused. The REST API's separate listener and the read token are checked here too,
// since they are the other half of "who can reach what".
import { request } from 'node:https';
import { request as plainRequest } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { stringify } from 'yaml';
import { findOnPath, startDaemon } from '../src/cli/prometheus-launcher.js';
import type { Daemon } from '../src/cli/prometheus-launcher.js';
import type { Exporter } from '../src/exporter.js';
import { startTestExporter, tempDir, testConfig } from './support/exporter.js';
import { makeCerts } from './support/certs.js';

const PASSWORD = 'correct horse battery staple';
const TOKEN = 'order-token-0123456789abcdef';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request with Node's TLS client; rejects when the connection or the handshake fails. */
function get(
  url: string,
  options: {
    ca?: string;
    cert?: string;
    key?: string;
    auth?: string;
    method?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<Answer> {
  const { method = 'GET', headers = {}, auth, ...tls } = options;
  const send = url.startsWith('https:') ? request : plainRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { method, headers, auth, ...tls, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** 101 with the subprotocol and the first message, or the refusing answer's status, headers and body. */
interface Feed {
  status: number;
  protocol?: string;
  message?: Record<string, unknown>;
  headers?: Answer['headers'];
  body?: string;
}

/**
 * A real `ws` client on /ws/updates: the first message once the upgrade is accepted, or the HTTP
 * answer that refused it.
 */
function openFeed(
  base: string,
  options: { ca?: string; headers?: Record<string, string>; protocols?: string[]; path?: string } = {},
): Promise<Feed> {
  const url = `${base.replace(/^http/, 'ws')}${options.path ?? '/ws/updates'}`;
  const socket = new WebSocket(url, options.protocols ?? [], { ca: options.ca, headers: options.headers });
  return new Promise<Feed>((resolve, reject) => {
    socket.once('message', (data) => {
      const message = JSON.parse(String(data)) as Record<string, unknown>;
      resolve({ status: 101, protocol: socket.protocol, message });
      socket.terminate();
    });
    socket.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    socket.once('error', reject);
  });
}

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
/** The token as a browser offers it: a Sec-WebSocket-Protocol value (the Kubernetes spelling). */
const tokenProtocol = (token: string) =>
  `base64url.bearer.authorization.k8s.io.${Buffer.from(token).toString('base64url')}`;

/** Plain HTTP with the body as bytes, without the decompression fetch would do. */
function getRaw(
  url: string,
  headers: Record<string, string>,
): Promise<{ headers: Answer['headers']; body: Buffer }> {
  return new Promise((resolve, reject) => {
    plainRequest(url, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

describe('web configuration with real clients', () => {
  const dir = tempDir();
  const certs = makeCerts();
  const cleanups: Array<() => Promise<void> | void> = [];
  let exporter: Exporter;
  let ca: string;

  const writeWebConfig = (name: string, config: unknown) => {
    const path = join(dir.path, name);
    writeFileSync(path, stringify(config));
    return path;
  };
  const start = async (name: string, env: Record<string, string>) => {
    const started = await startTestExporter(
      testConfig(1, join(dir.path, `${name}.db`), { IBKR_AUTO_SYNC: 'false', ...env }),
    );
    cleanups.push(() => started.stop());
    return started;
  };

  beforeAll(async () => {
    ca = certs.read(certs.caCert);
    const web = writeWebConfig('web.yml', {
      tls_server_config: { cert_file: certs.serverCert, key_file: certs.serverKey },
      http_server_config: { headers: { 'X-Content-Type-Options': 'nosniff' } },
      // Cost 4 keeps the test quick; the check is the same at any cost.
      basic_auth_users: { prometheus: bcrypt.hashSync(PASSWORD, 4) },
    });
    exporter = await start('tls', { IBKR_WEB_CONFIG_FILE: web, IBKR_API_TOKEN: TOKEN });
  });

  afterAll(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    certs.cleanup();
    dir.cleanup();
  });

  it('serves HTTPS with basic auth and the configured headers', async () => {
    expect(exporter.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ok = await get(`${exporter.url}/metrics`, { ca, auth: `prometheus:${PASSWORD}` });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('ibkr_exporter_build_info');
    expect(ok.headers['x-content-type-options']).toBe('nosniff');
  });

  it('answers 401 to a wrong password, an unknown user and no credentials, on every endpoint', async () => {
    for (const path of ['/metrics', '/healthz', '/positions', '/nowhere']) {
      for (const auth of [`prometheus:wrong`, `nobody:${PASSWORD}`, undefined]) {
        const answer = await get(`${exporter.url}${path}`, { ca, auth });
        expect(answer.status, `${path} ${auth ?? 'no credentials'}`).toBe(401);
        expect(answer.headers['www-authenticate']).toBe('Basic');
        expect(answer.body).not.toContain(PASSWORD);
      }
    }
  });

  it('serves /ws/updates over TLS behind basic auth: 401 without the right credentials, messages with', async () => {
    for (const headers of [{} as Record<string, string>, { authorization: basic('prometheus', 'wrong') }]) {
      const refused = await openFeed(exporter.url, { ca, headers });
      expect(refused.status).toBe(401);
      expect(refused.headers?.['www-authenticate']).toBe('Basic');
      expect(refused.headers?.['x-content-type-options']).toBe('nosniff');
      expect(JSON.parse(refused.body!)).toEqual({ error: 'unauthorized' });
    }
    const feed = await openFeed(exporter.url, {
      ca,
      headers: { authorization: basic('prometheus', PASSWORD) },
    });
    expect(feed.status).toBe(101);
    expect(Object.keys(feed.message!).sort()).toEqual(['history', 'positions', 'summary']);
  });

  it('refuses plain HTTP on the TLS port', async () => {
    await expect(get(exporter.url.replace('https:', 'http:') + '/metrics')).rejects.toThrow();
  });

  it('keeps the bearer token on top for mutating endpoints (sent as X-API-Token beside basic auth)', async () => {
    const base = { ca, auth: `prometheus:${PASSWORD}`, method: 'POST' };
    const without = await get(`${exporter.url}/gateway/restart`, base);
    expect(without.status).toBe(401);
    expect(JSON.parse(without.body)).toEqual({ error: 'missing or invalid bearer token' });
    const withToken = await get(`${exporter.url}/gateway/restart`, {
      ...base,
      headers: { 'X-API-Token': TOKEN },
    });
    // Past the token: restarts are disabled by default.
    expect(withToken.status).toBe(403);
  });

  it('is scraped by a real Prometheus over HTTPS with basic auth and a CA file: up is 1', async (context) => {
    if (!findOnPath('prometheus')) return context.skip('prometheus is not on PATH');
    const config = join(dir.path, 'prometheus.yml');
    writeFileSync(
      config,
      stringify({
        global: { scrape_interval: '1s' },
        scrape_configs: [
          {
            job_name: 'ibkr-exporter',
            scheme: 'https',
            tls_config: { ca_file: certs.caCert },
            basic_auth: { username: 'prometheus', password: PASSWORD },
            static_configs: [{ targets: [new URL(exporter.url).host] }],
          },
          {
            job_name: 'wrong-password',
            scheme: 'https',
            tls_config: { ca_file: certs.caCert },
            basic_auth: { username: 'prometheus', password: 'wrong' },
            static_configs: [{ targets: [new URL(exporter.url).host] }],
          },
        ],
      }),
    );
    const prometheus: Daemon = await startDaemon('prometheus', [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir.path, 'tsdb')}`,
      '--web.listen-address=127.0.0.1:0',
    ]);
    cleanups.push(() => prometheus.stop());
    const up = async (job: string) => {
      const response = await fetch(
        `${prometheus.url}/api/v1/query?query=${encodeURIComponent(`up{job="${job}"}`)}`,
      );
      const body = (await response.json()) as { data: { result: Array<{ value: [number, string] }> } };
      return body.data.result[0]?.value[1];
    };
    await vi.waitFor(
      async () => {
        expect(await up('ibkr-exporter')).toBe('1');
        expect(await up('wrong-password')).toBe('0');
      },
      { timeout: 20_000, interval: 250 },
    );
    const samples = await fetch(
      `${prometheus.url}/api/v1/query?query=${encodeURIComponent('ibkr_exporter_build_info')}`,
    ).then((r) => r.json() as Promise<{ data: { result: unknown[] } }>);
    expect(samples.data.result).toHaveLength(1);
  });

  it('refuses a client without a certificate under RequireAndVerifyClientCert, and serves one with', async () => {
    const web = writeWebConfig('mtls.yml', {
      tls_server_config: {
        cert_file: certs.serverCert,
        key_file: certs.serverKey,
        client_ca_file: certs.caCert,
        client_auth_type: 'RequireAndVerifyClientCert',
        min_version: 'TLS12',
      },
    });
    const mtls = await start('mtls', { IBKR_WEB_CONFIG_FILE: web });
    await expect(get(`${mtls.url}/metrics`, { ca })).rejects.toThrow();
    const answer = await get(`${mtls.url}/metrics`, {
      ca,
      cert: certs.read(certs.clientCert),
      key: certs.read(certs.clientKey),
    });
    expect(answer.status).toBe(200);
    // A client certificate signed by another CA is refused too.
    const foreign = makeCerts();
    try {
      await expect(
        get(`${mtls.url}/metrics`, {
          ca,
          cert: foreign.read(foreign.clientCert),
          key: foreign.read(foreign.clientKey),
        }),
      ).rejects.toThrow();
    } finally {
      foreign.cleanup();
    }
  });
});

/** An exporter with the REST API on a listener of its own and the read token required. */
const startSplit = (db: string, env: Record<string, string> = {}) =>
  startTestExporter(
    testConfig(1, db, {
      IBKR_AUTO_SYNC: 'false',
      IBKR_API_HOST: '127.0.0.1',
      IBKR_API_PORT: '0',
      IBKR_API_TOKEN: TOKEN,
      IBKR_API_READ_TOKEN_REQUIRED: 'true',
      ...env,
    }),
  );

describe('separate API listener and the read token', () => {
  const dir = tempDir();
  let exporter: Exporter;

  beforeAll(async () => {
    exporter = await startSplit(join(dir.path, 'api.db'));
  });
  afterAll(async () => {
    await exporter.stop();
    dir.cleanup();
  });

  it('serves only the landing page, metrics and probes on the main port', async () => {
    expect(exporter.apiUrl).not.toBe(exporter.url);
    for (const path of ['/metrics', '/healthz', '/readyz']) {
      expect((await get(`${exporter.url}${path}`)).status, path).toBe(200);
    }
    for (const path of ['/positions', '/orders', '/sync/health', '/openapi.json']) {
      expect(
        (await get(`${exporter.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } })).status,
        path,
      ).toBe(404);
    }
    expect((await get(`${exporter.url}/orders`, { method: 'POST' })).status).toBe(404);
  });

  it('answers / with a landing page naming the build, the gateway state and the links', async () => {
    const page = await get(`${exporter.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain(`revision unknown, Node ${process.version}`);
    expect(page.body).toContain('Gateway: <strong>disconnected</strong>');
    expect(page.body).toContain('<a href="/metrics">/metrics</a>');
    expect(page.body).toContain('/sync/health (on the API port');
  });

  it('gzips /metrics for a scraper that accepts it, and only then', async () => {
    const zipped = await getRaw(`${exporter.url}/metrics`, { 'accept-encoding': 'gzip' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    const text = gunzipSync(zipped.body).toString('utf8');
    expect(text).toContain(
      `ibkr_exporter_build_info{version="0.1.0",revision="unknown",nodeversion="${process.version}"} 1`,
    );
    const plain = await getRaw(`${exporter.url}/metrics`, {});
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString('utf8')).toContain('ibkr_exporter_build_info');
  });

  it('puts the account-data reads behind the bearer token on the API port', async () => {
    for (const path of [
      '/positions',
      '/trades',
      '/pnl/summary',
      '/orders',
      '/positions/history',
      '/positions/1/trades',
    ]) {
      const without = await get(`${exporter.apiUrl}${path}`);
      expect(without.status, path).toBe(401);
      expect(without.headers['www-authenticate']).toBe('Bearer realm="ibkr-pnl-exporter"');
      const withToken = await get(`${exporter.apiUrl}${path}`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(withToken.status, path).not.toBe(401);
    }
    // Health stays open: it is what an operator checks first.
    expect((await get(`${exporter.apiUrl}/sync/health`)).status).toBe(200);
  });

  it('puts /ws/updates behind the read token on both listeners, the token as a header or a subprotocol', async () => {
    for (const base of [exporter.url, exporter.apiUrl]) {
      for (const options of [
        {},
        { headers: { authorization: 'Bearer wrong-token' } },
        { protocols: ['ibkr-updates', tokenProtocol('wrong-token')] },
      ]) {
        const refused = await openFeed(base, options);
        expect(refused.status, base).toBe(401);
        expect(refused.headers?.['www-authenticate']).toBe('Bearer realm="ibkr-pnl-exporter"');
      }
      const tool = await openFeed(base, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(tool.status, base).toBe(101);
      expect(tool.message).toHaveProperty('summary');
      // A browser cannot set Authorization: it offers the token as a subprotocol, and the feed's
      // own protocol is the one answered (the token is not echoed back).
      const browser = await openFeed(base, { protocols: ['ibkr-updates', tokenProtocol(TOKEN)] });
      expect(browser).toMatchObject({ status: 101, protocol: 'ibkr-updates' });
    }
    // The metrics port upgrades nothing else.
    const other = await openFeed(exporter.url, {
      path: '/positions',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(other.status).toBe(404);
  });
});

describe('/ws/updates behind basic auth on both listeners', () => {
  const dir = tempDir();
  let exporter: Exporter;

  beforeAll(async () => {
    const web = join(dir.path, 'web.yml');
    writeFileSync(web, stringify({ basic_auth_users: { ui: bcrypt.hashSync(PASSWORD, 4) } }));
    exporter = await startSplit(join(dir.path, 'ws.db'), { IBKR_WEB_CONFIG_FILE: web });
  });
  afterAll(async () => {
    await exporter.stop();
    dir.cleanup();
  });

  it('answers 401 without credentials and serves messages with them and the token', async () => {
    const credentials = { authorization: basic('ui', PASSWORD) };
    for (const base of [exporter.url, exporter.apiUrl]) {
      for (const headers of [{} as Record<string, string>, { authorization: basic('ui', 'wrong') }]) {
        const refused = await openFeed(base, { headers, protocols: ['ibkr-updates', tokenProtocol(TOKEN)] });
        expect(refused.status, base).toBe(401);
        expect(refused.headers?.['www-authenticate']).toBe('Basic');
      }
      // Past basic auth, the read token is still asked for.
      const noToken = await openFeed(base, { headers: credentials });
      expect(noToken.status, base).toBe(401);
      expect(noToken.headers?.['www-authenticate']).toBe('Bearer realm="ibkr-pnl-exporter"');
      for (const options of [
        { headers: { ...credentials, 'x-api-token': TOKEN } },
        { headers: credentials, protocols: ['ibkr-updates', tokenProtocol(TOKEN)] },
      ]) {
        const feed = await openFeed(base, options);
        expect(feed.status, base).toBe(101);
        expect(Object.keys(feed.message!).sort()).toEqual(['history', 'positions', 'summary']);
      }
    }
  });
});
