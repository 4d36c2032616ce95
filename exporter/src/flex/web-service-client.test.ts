// The client against the simulator's Flex Web Service (real HTTP on 127.0.0.1): both steps, every
// kind of answer, and the token kept out of every error.
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startFlexService } from '../sim/flex/server.js';
import type { FlexMode, FlexService, FlexServiceOptions } from '../sim/flex/server.js';
import { fetchFlexStatement } from './web-service-client.js';
import type { FetchFlexOptions } from './web-service-client.js';
import { FlexServiceError } from './web-service-codes.js';

const TOKEN = '656530010732398240553724';
const QUERY = '771568';
const USER_AGENT = 'ibkr-pnl-exporter/0.1.0';
const STATEMENT =
  '<FlexQueryResponse queryName="history" type="AF"><FlexStatements count="0"/></FlexQueryResponse>';
// Millisecond waits: the retries are what is tested, not IB's pacing.
const FAST = { initialMs: 1, maxMs: 4, rateLimitedMs: 4, deadlineMs: 20_000, requestTimeoutMs: 10_000 };

let service: FlexService | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});

async function serve(options: Partial<FlexServiceOptions> = {}): Promise<FlexService> {
  service = await startFlexService({
    token: TOKEN,
    queryId: QUERY,
    statementXml: () => STATEMENT,
    ...options,
  });
  return service;
}

const fetchFrom = (flex: FlexService, options: Partial<FetchFlexOptions> = {}) =>
  fetchFlexStatement({
    baseUrl: flex.url,
    token: TOKEN,
    queryId: QUERY,
    userAgent: USER_AGENT,
    retry: FAST,
    ...options,
  });

async function failure(promise: Promise<unknown>): Promise<FlexServiceError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FlexServiceError);
  expect((error as Error).message).not.toContain(TOKEN);
  return error as FlexServiceError;
}

const steps = (flex: FlexService) => flex.requests.map((r) => `${r.path} ${r.errorCode ?? r.status}`);

describe('fetchFlexStatement', () => {
  it('sends the reference code of SendRequest to GetStatement and returns the statement', async () => {
    const flex = await serve();
    expect(await fetchFrom(flex)).toBe(STATEMENT);
    expect(steps(flex)).toEqual(['/SendRequest 200', '/GetStatement 200']);
    const [send, get] = flex.requests;
    expect(send?.query).toMatchObject({ t: '***', q: QUERY, v: '3' });
    expect(get?.query.q).toMatch(/^\d{10}$/);
    expect(get?.query.v).toBe('3');
    expect(flex.requests.map((r) => r.userAgent)).toEqual([USER_AGENT, USER_AGENT]);
  });

  it('keeps polling while the statement is being generated (1019)', async () => {
    const flex = await serve({ mode: 'slow', inProgressPolls: 3 });
    expect(await fetchFrom(flex)).toBe(STATEMENT);
    expect(steps(flex)).toEqual([
      '/SendRequest 200',
      '/GetStatement 1019',
      '/GetStatement 1019',
      '/GetStatement 1019',
      '/GetStatement 200',
    ]);
  });

  it.each([
    [1009, 'SendRequest'],
    [1018, 'SendRequest'],
    [1001, 'GetStatement'],
    [1021, 'GetStatement'],
  ] as const)('retries the transient code %i on %s', async (errorCode, step) => {
    const flex = await serve({ mode: { errorCode, step, times: 2 } });
    expect(await fetchFrom(flex)).toBe(STATEMENT);
    expect(flex.requests.filter((r) => r.errorCode === errorCode)).toHaveLength(2);
    expect(flex.requests.at(-1)).toMatchObject({ path: '/GetStatement', status: 200 });
  });

  it.each([
    ['expired-token', 'token_expired', 1012],
    ['invalid-token', 'token_invalid', 1015],
    [{ errorCode: 1013 }, 'access_denied', 1013],
    [{ errorCode: 1010 }, 'query_invalid', 1010],
  ] as Array<[FlexMode, string, number]>)('gives up at once on %j: %s', async (mode, reason, code) => {
    const flex = await serve({ mode });
    const error = await failure(fetchFrom(flex));
    expect(error).toMatchObject({ reason, code });
    expect(error.message).toMatch(new RegExp(`^Flex Web Service SendRequest: error ${code} \\(`));
    expect(flex.requests).toHaveLength(1);
  });

  it('gives up at once on a query id the service does not know (1014)', async () => {
    const flex = await serve();
    const error = await failure(fetchFrom(flex, { queryId: '1' }));
    expect(error).toMatchObject({ reason: 'query_invalid', code: 1014 });
    expect(error.message).toContain('check IBKR_FLEX_QUERY_ID');
  });

  it('asks for a new reference code when IB no longer knows one (1017), twice at most', async () => {
    const flex = await serve({ mode: { errorCode: 1017, step: 'GetStatement' } });
    const error = await failure(fetchFrom(flex));
    expect(error).toMatchObject({ reason: 'service_error', code: 1017 });
    expect(steps(flex)).toEqual([
      '/SendRequest 200',
      '/GetStatement 1017',
      '/SendRequest 200',
      '/GetStatement 1017',
      '/SendRequest 200',
      '/GetStatement 1017',
    ]);
  });

  it('gets the statement with a new reference code after a 1017', async () => {
    const flex = await serve({ mode: { errorCode: 1017, step: 'GetStatement', times: 1 } });
    expect(await fetchFrom(flex)).toBe(STATEMENT);
    expect(steps(flex)).toEqual([
      '/SendRequest 200',
      '/GetStatement 1017',
      '/SendRequest 200',
      '/GetStatement 200',
    ]);
  });

  it('stops retrying at the deadline with the last transient reason', async () => {
    const flex = await serve({ mode: { errorCode: 1018 } });
    const error = await failure(fetchFrom(flex, { retry: { ...FAST, rateLimitedMs: 50, deadlineMs: 400 } }));
    expect(error).toMatchObject({ reason: 'rate_limited', code: 1018 });
    expect(error.message).toMatch(/gave up after \d+ tries within 0 s$/);
    expect(flex.requests.length).toBeGreaterThan(1);
  });

  it('treats an answer that is not XML as a statement it cannot use', async () => {
    const flex = await serve({ statementXml: () => 'ClientAccountID,Symbol\nU1234567,AAPL\n' });
    const error = await failure(fetchFrom(flex));
    expect(error.reason).toBe('statement_invalid');
    expect(error.message).toMatch(
      /^Flex Web Service GetStatement: the answer is not XML .*format must be XML$/,
    );
  });

  it('retries an HTTP 500 and reports a service that never answers properly as service_error', async () => {
    const flex = await serve({
      statementXml: () => {
        throw new Error('broken scenario');
      },
    });
    const error = await failure(fetchFrom(flex, { retry: { ...FAST, deadlineMs: 1000 } }));
    expect(error.reason).toBe('service_error');
    expect(error.message).toMatch(
      /^Flex Web Service GetStatement: HTTP 500; gave up after \d+ tries within 1 s$/,
    );
    expect(flex.requests.filter((r) => r.status === 500).length).toBeGreaterThan(1);
  });

  it('reports a refused connection as network, without the URL', async () => {
    const port = await closedPort();
    const error = await failure(
      fetchFlexStatement({
        baseUrl: `http://127.0.0.1:${port}`,
        token: TOKEN,
        queryId: QUERY,
        userAgent: USER_AGENT,
        retry: { ...FAST, deadlineMs: 200 },
      }),
    );
    expect(error.reason).toBe('network');
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).not.toContain(String(port));
  });

  it('stops waiting when aborted, with the abort reason', async () => {
    const flex = await serve({ mode: 'slow', inProgressPolls: 1_000_000 });
    const controller = new AbortController();
    const reason = new Error('stopping');
    const fetching = fetchFrom(flex, {
      signal: controller.signal,
      retry: { ...FAST, initialMs: 20, maxMs: 20 },
    });
    await until(() => flex.requests.length >= 3);
    controller.abort(reason);
    await expect(fetching).rejects.toBe(reason);
  });
});

/** A port nothing listens on: bound, read, and closed again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function until(condition: () => boolean, deadlineMs = 10_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setImmediate(resolve));
  }
}
