import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { FLEX_ERROR_CODES } from './codes.js';
import {
  parseFlexMode,
  startFlexService,
  type FlexService,
  type FlexServiceOptions,
  type FlexStatementRequest,
} from './server.js';

const TOKEN = '123456789012345678901234';
const QUERY = '987654';
const UA = 'ibkr-pnl-exporter-test/1.0';

let service: FlexService | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});

interface Started {
  flex: FlexService;
  generated: FlexStatementRequest[];
  clock: { t: number };
}

async function start(options: Partial<FlexServiceOptions> = {}): Promise<Started> {
  const generated: FlexStatementRequest[] = [];
  const clock = { t: Date.UTC(2026, 10, 25, 14, 35) };
  const flex = await startFlexService({
    token: TOKEN,
    queryId: QUERY,
    statementXml: (r) => {
      generated.push(r);
      return `<FlexQueryResponse queryName="sim" type="AF">\n<FlexStatements count="${generated.length}" />\n</FlexQueryResponse>`;
    },
    now: () => clock.t,
    ...options,
  });
  service = flex;
  return { flex, generated, clock };
}

/** One element's text in an envelope; the envelopes are three flat elements, so this suffices. */
function field(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}

async function get(
  flex: FlexService,
  step: 'SendRequest' | 'GetStatement',
  params: Record<string, string>,
): Promise<{ status: number; body: string }> {
  const res = await fetch(`${flex.url}/${step}?${new URLSearchParams(params)}`, {
    headers: { 'User-Agent': UA },
  });
  return { status: res.status, body: await res.text() };
}

const send = (flex: FlexService, extra: Record<string, string> = {}) =>
  get(flex, 'SendRequest', { t: TOKEN, q: QUERY, v: '3', ...extra });
const fetchStatement = (flex: FlexService, reference: string, token = TOKEN) =>
  get(flex, 'GetStatement', { t: token, q: reference, v: '3' });

async function referenceOf(flex: FlexService): Promise<string> {
  const { body } = await send(flex);
  const code = field(body, 'ReferenceCode');
  if (!code) throw new Error(`no reference code in ${body}`);
  return code;
}

function expectError(body: string, code: number, status = 'Fail'): void {
  expect(field(body, 'Status')).toBe(status);
  expect(field(body, 'ErrorCode')).toBe(String(code));
  expect(field(body, 'ErrorMessage')).toBe(FLEX_ERROR_CODES.get(code)?.message);
}

/** A request with no User-Agent at all (fetch always sends one). */
function getWithoutUserAgent(url: string, headers: Record<string, string> = {}): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('Flex Web Service simulator', () => {
  it('runs the two steps: a reference code and the GetStatement URL, then the statement', async () => {
    const { flex, generated, clock } = await start();
    const sent = await send(flex);
    expect(sent.status).toBe(200);
    expect(sent.body).toMatch(/^<FlexStatementResponse timestamp="25 November, 2026 09:35 AM EST">\n/);
    expect(field(sent.body, 'Status')).toBe('Success');
    const reference = field(sent.body, 'ReferenceCode') ?? '';
    expect(reference).toMatch(/^\d{10}$/);
    expect(field(sent.body, 'Url')).toBe(`${flex.url}/GetStatement`);

    clock.t += 5_000;
    const statement = await fetchStatement(flex, reference);
    expect(statement.status).toBe(200);
    expect(statement.body).toContain('<FlexQueryResponse queryName="sim" type="AF">');
    expect(generated).toEqual([{ queryId: QUERY, at: Date.UTC(2026, 10, 25, 14, 35) }]);
  });

  it('serves a reference code again with the same statement, generated once', async () => {
    const { flex, generated } = await start();
    const reference = await referenceOf(flex);
    const first = await fetchStatement(flex, reference);
    const second = await fetchStatement(flex, reference);
    expect(second.body).toBe(first.body);
    expect(generated).toHaveLength(1);
  });

  it('logs every request with the token masked and the User-Agent', async () => {
    const { flex } = await start();
    const reference = await referenceOf(flex);
    await fetchStatement(flex, reference);
    await send(flex, { t: 'wrong' });
    expect(
      flex.requests.map(({ path, query, userAgent, status, errorCode }) => ({
        path,
        query,
        userAgent,
        status,
        errorCode,
      })),
    ).toEqual([
      {
        path: '/SendRequest',
        query: { t: '***', q: QUERY, v: '3' },
        userAgent: UA,
        status: 200,
        errorCode: undefined,
      },
      {
        path: '/GetStatement',
        query: { t: '***', q: reference, v: '3' },
        userAgent: UA,
        status: 200,
        errorCode: undefined,
      },
      {
        path: '/SendRequest',
        query: { t: '***', q: QUERY, v: '3' },
        userAgent: UA,
        status: 200,
        errorCode: 1015,
      },
    ]);
    expect(JSON.stringify(flex.requests)).not.toContain(TOKEN);
  });

  it('passes the fd/td date override to the statement and refuses a bad one with 1020', async () => {
    const { flex, generated } = await start();
    const { body } = await send(flex, { fd: '20261101', td: '20261124' });
    await fetchStatement(flex, field(body, 'ReferenceCode') ?? '');
    expect(generated[0]).toMatchObject({ fromDate: '20261101', toDate: '20261124' });
    const bads: Array<Record<string, string>> = [
      { fd: '20261124', td: '20261101' },
      { fd: '20250101', td: '20261124' },
      { fd: '20260230', td: '20260301' },
      { fd: '20261101' },
    ];
    for (const bad of bads) {
      expectError((await send(flex, bad)).body, 1020);
    }
  });

  it('answers a wrong token 1015 and a wrong query id 1014, on both steps where they apply', async () => {
    const { flex } = await start();
    expectError((await send(flex, { t: 'nope' })).body, 1015);
    expectError((await send(flex, { q: '111111' })).body, 1014);
    const reference = await referenceOf(flex);
    expectError((await fetchStatement(flex, reference, 'nope')).body, 1015);
  });

  it('answers 1020 to a request without version 3, a token or a query', async () => {
    const { flex } = await start();
    expectError((await get(flex, 'SendRequest', { t: TOKEN, q: QUERY })).body, 1020);
    expectError((await get(flex, 'SendRequest', { t: TOKEN, q: QUERY, v: '2' })).body, 1020);
    expectError((await get(flex, 'SendRequest', { q: QUERY, v: '3' })).body, 1020);
    expectError((await get(flex, 'GetStatement', { t: TOKEN, v: '3' })).body, 1020);
  });

  it('answers 1017 to an unknown reference code and to one past its lifetime', async () => {
    const { flex, clock } = await start({ referenceTtlMs: 60_000 });
    expectError((await fetchStatement(flex, '1234567890')).body, 1017);
    const reference = await referenceOf(flex);
    clock.t += 60_001;
    expectError((await fetchStatement(flex, reference)).body, 1017);
  });

  it('is slow: each reference code answers 1019 (Warn) to its first polls, then the statement', async () => {
    const { flex } = await start({ mode: 'slow', inProgressPolls: 3 });
    for (let round = 0; round < 2; round++) {
      const reference = await referenceOf(flex);
      for (let i = 0; i < 3; i++) expectError((await fetchStatement(flex, reference)).body, 1019, 'Warn');
      expect((await fetchStatement(flex, reference)).body).toContain('<FlexQueryResponse');
    }
  });

  it.each([...FLEX_ERROR_CODES.values()])(
    'fails with $code on the step it is given',
    async ({ code, status }) => {
      const { flex } = await start({ mode: { errorCode: code } });
      expectError((await send(flex)).body, code, status);
      flex.setMode({ errorCode: code, step: 'GetStatement' });
      const reference = await referenceOf(flex);
      expectError((await fetchStatement(flex, reference)).body, code, status);
    },
  );

  it('fails a given number of times, then serves as usual', async () => {
    const { flex } = await start({ mode: { errorCode: 1009, step: 'GetStatement', times: 2 } });
    const reference = await referenceOf(flex);
    expectError((await fetchStatement(flex, reference)).body, 1009);
    expectError((await fetchStatement(flex, reference)).body, 1009);
    expect((await fetchStatement(flex, reference)).body).toContain('<FlexQueryResponse');
  });

  it('serves an expired token (1012) on both steps until the mode changes', async () => {
    const { flex } = await start();
    const reference = await referenceOf(flex);
    flex.setMode('expired-token');
    expectError((await send(flex)).body, 1012);
    expectError((await fetchStatement(flex, reference)).body, 1012);
    flex.setMode('ok');
    expect((await fetchStatement(flex, reference)).body).toContain('<FlexQueryResponse');
  });

  it('starts with an expired token when asked', async () => {
    const { flex } = await start({ expiredToken: true });
    expectError((await send(flex)).body, 1012);
  });

  it('invalidates the configured token (1015)', async () => {
    const { flex } = await start({ mode: 'invalid-token' });
    expectError((await send(flex)).body, 1015);
  });

  it('rate-limits (1018, Warn) beyond the requests of a window, and serves again after it', async () => {
    const { flex, clock } = await start({ mode: 'rate-limit', rateLimit: { requests: 2, windowMs: 60_000 } });
    const reference = await referenceOf(flex);
    await fetchStatement(flex, reference);
    expectError((await fetchStatement(flex, reference)).body, 1018, 'Warn');
    expectError((await send(flex)).body, 1018, 'Warn');
    clock.t += 60_000;
    expect((await fetchStatement(flex, reference)).body).toContain('<FlexQueryResponse');
  });

  it('refuses a request without a User-Agent with HTTP 403 and no envelope', async () => {
    const { flex, generated } = await start();
    expect((await getWithoutUserAgent(`${flex.url}/SendRequest?t=${TOKEN}&q=${QUERY}&v=3`)).status).toBe(403);
    expect(
      (await getWithoutUserAgent(`${flex.url}/SendRequest?t=${TOKEN}&q=${QUERY}&v=3`, { 'User-Agent': ' ' }))
        .status,
    ).toBe(403);
    expect(flex.requests.map((r) => r.status)).toEqual([403, 403]);
    expect(generated).toEqual([]);
  });

  it('answers 404 beside the two paths and 405 to other methods', async () => {
    const { flex } = await start();
    expect(
      (await fetch(`${flex.url}/FlexStatementService.SendRequest`, { headers: { 'User-Agent': UA } })).status,
    ).toBe(404);
    const post = await fetch(`${flex.url}/SendRequest?t=${TOKEN}&q=${QUERY}&v=3`, {
      method: 'POST',
      headers: { 'User-Agent': UA },
    });
    expect(post.status).toBe(405);
  });

  it('refuses a mode with a code IB does not have', async () => {
    const { flex } = await start();
    expect(() => flex.setMode({ errorCode: 1002 })).toThrow('unknown Flex Web Service error code 1002');
  });

  it('reads a mode from text, as npm run sim takes it', () => {
    expect(parseFlexMode('slow')).toBe('slow');
    expect(parseFlexMode('1019@GetStatement')).toEqual({ errorCode: 1019, step: 'GetStatement' });
    expect(parseFlexMode('1012')).toEqual({ errorCode: 1012, step: 'SendRequest' });
    expect(() => parseFlexMode('1002')).toThrow('invalid Flex mode 1002');
    expect(() => parseFlexMode('fast')).toThrow('invalid Flex mode fast');
  });
});
