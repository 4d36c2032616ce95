// The simulator's Flex Web Service: IB's two-step HTTP protocol (version 3) on 127.0.0.1.
//   GET {url}/SendRequest?t=TOKEN&q=QUERY_ID&v=3[&fd=yyyyMMdd&td=yyyyMMdd]  → a reference code
//   GET {url}/GetStatement?t=TOKEN&q=REFERENCE_CODE&v=3                     → the statement XML
// Both answer HTTP 200; a failure is a <FlexStatementResponse> with an ErrorCode (see codes.ts).
// Modes make it slow, fail with any code, expire or invalidate the token, or rate-limit, so the
// exporter's client can be tested against every answer IB gives. Documented in ../README.md.
import { randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FLEX_CODE, FLEX_ERROR_CODES, flexErrorCode } from './codes.js';
import { errorEnvelope, successEnvelope } from './envelope.js';

export type FlexStep = 'SendRequest' | 'GetStatement';

/**
 * How the service answers:
 * - `ok`: every valid request succeeds at once;
 * - `slow`: each reference code's first `inProgressPolls` GetStatement polls answer 1019;
 * - `{ errorCode, step?, times? }`: that code on `step` (default SendRequest), `times` times
 *   (default: until the mode changes), then as `ok`;
 * - `expired-token`: the token answers 1012 on both steps;
 * - `invalid-token`: the configured token answers 1015 too (as after a new token was generated);
 * - `rate-limit`: more than `rateLimit.requests` requests within `rateLimit.windowMs` answer 1018.
 */
export type FlexMode =
  | 'ok'
  | 'slow'
  | 'expired-token'
  | 'invalid-token'
  | 'rate-limit'
  | { errorCode: number; step?: FlexStep; times?: number };

const NAMED_MODES = ['ok', 'slow', 'expired-token', 'invalid-token', 'rate-limit'] as const;

/** A mode as text (`npm run sim -- --flex-mode`): a name, or `CODE[@SendRequest|@GetStatement]`. */
export function parseFlexMode(text: string): FlexMode {
  const named = NAMED_MODES.find((m) => m === text);
  if (named) return named;
  const m = /^(\d{4})(?:@(SendRequest|GetStatement))?$/.exec(text);
  if (!m || !FLEX_ERROR_CODES.has(Number(m[1]))) {
    throw new Error(
      `invalid Flex mode ${text}: expected ${NAMED_MODES.join(', ')} or an error code like 1019@GetStatement`,
    );
  }
  return { errorCode: Number(m[1]), step: m[2] === 'GetStatement' ? 'GetStatement' : 'SendRequest' };
}

/** What SendRequest asked for; the statement is generated as of `at`. */
export interface FlexStatementRequest {
  queryId: string;
  /** Epoch ms of the SendRequest that made the reference code. */
  at: number;
  /** The `fd`/`td` override (yyyyMMdd), when the request gave one. */
  fromDate?: string;
  toDate?: string;
}

export interface FlexServiceOptions {
  token: string;
  queryId: string;
  /** The statement (Flex Activity XML) for a request; see statement.ts to build one. */
  statementXml: (request: FlexStatementRequest) => string;
  mode?: FlexMode;
  /** Start with the token expired (the same as mode `expired-token`). */
  expiredToken?: boolean;
  /** Polls answered 1019 per reference code in mode `slow`; default 2. */
  inProgressPolls?: number;
  /** Mode `rate-limit`: at most `requests` per `windowMs` (IB: 10 a minute per token). */
  rateLimit?: { requests: number; windowMs: number };
  /** How long a reference code can be fetched (IB does not say); default 30 minutes. */
  referenceTtlMs?: number;
  host?: string;
  port?: number;
  /** The service's clock, for tests of expiry and rate windows; default Date.now. */
  now?: () => number;
  log?: (line: string) => void;
}

export interface FlexRequestRecord {
  at: number;
  path: string;
  /** The query parameters, the token masked. */
  query: Record<string, string>;
  userAgent: string | undefined;
  /** The HTTP status answered. */
  status: number;
  /** The ErrorCode answered, if any. */
  errorCode?: number;
}

export interface FlexService {
  /** Base URL, e.g. http://127.0.0.1:PORT; it replaces IB's .../AccountManagement/FlexWebService. */
  url: string;
  requests: FlexRequestRecord[];
  setMode(mode: FlexMode): void;
  close(): Promise<void>;
}

interface Reference {
  token: string;
  request: FlexStatementRequest;
  polls: number;
  xml?: string;
}

interface Answer {
  status: number;
  body: string;
  contentType: string;
  errorCode?: number;
}

const XML = 'text/xml;charset=UTF-8';
const MASK = '***';
const DAY_MS = 86_400_000;

function parseYmd(text: string | undefined): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(text ?? '');
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const d = new Date(ms);
  // Date.UTC rolls 20260230 over to March; a real calendar date reads back the same.
  return d.getUTCDate() === Number(m[3]) && d.getUTCMonth() === Number(m[2]) - 1 ? ms : undefined;
}

/** IB's date override: both dates, yyyyMMdd, in order, at most 365 days. */
function validRange(fd: string | undefined, td: string | undefined): boolean {
  if (fd === undefined && td === undefined) return true;
  const from = parseYmd(fd);
  const to = parseYmd(td);
  return from !== undefined && to !== undefined && from <= to && to - from <= 365 * DAY_MS;
}

export async function startFlexService(options: FlexServiceOptions): Promise<FlexService> {
  const now = options.now ?? Date.now;
  const ttl = options.referenceTtlMs ?? 30 * 60_000;
  const inProgressPolls = options.inProgressPolls ?? 2;
  const rateLimit = options.rateLimit ?? { requests: 10, windowMs: 60_000 };
  let mode: FlexMode = options.expiredToken ? 'expired-token' : (options.mode ?? 'ok');
  let forcedErrorsLeft = Number.POSITIVE_INFINITY;
  const references = new Map<string, Reference>();
  const served: number[] = [];
  const requests: FlexRequestRecord[] = [];
  let url = '';

  const setMode = (next: FlexMode): void => {
    if (typeof next === 'object') flexErrorCode(next.errorCode); // refuse a code IB does not have
    mode = next;
    forcedErrorsLeft = typeof next === 'object' ? (next.times ?? Number.POSITIVE_INFINITY) : Infinity;
  };
  setMode(mode);

  const fail = (code: number): Answer => ({
    status: 200,
    body: errorEnvelope(now(), code),
    contentType: XML,
    errorCode: code,
  });

  const newReferenceCode = (): string => {
    for (;;) {
      // IB's reference codes are 10-digit numbers.
      const code = String(randomInt(1_000_000_000, 10_000_000_000));
      if (!references.has(code)) return code;
    }
  };

  const withinRateLimit = (): boolean => {
    const t = now();
    while (served.length > 0 && (served[0] ?? 0) <= t - rateLimit.windowMs) served.shift();
    if (served.length >= rateLimit.requests) return false;
    served.push(t);
    return true;
  };

  const sendRequest = (q: URLSearchParams): Answer => {
    if (q.get('q') !== options.queryId) return fail(FLEX_CODE.queryInvalid);
    const fd = q.get('fd') ?? undefined;
    const td = q.get('td') ?? undefined;
    if (!validRange(fd, td)) return fail(FLEX_CODE.invalidRequest);
    const code = newReferenceCode();
    const request: FlexStatementRequest = { queryId: options.queryId, at: now() };
    if (fd !== undefined && td !== undefined) Object.assign(request, { fromDate: fd, toDate: td });
    references.set(code, { token: options.token, request, polls: 0 });
    return { status: 200, body: successEnvelope(now(), code, `${url}/GetStatement`), contentType: XML };
  };

  const getStatement = (q: URLSearchParams): Answer => {
    const reference = references.get(q.get('q') ?? '');
    if (!reference || now() - reference.request.at > ttl) return fail(FLEX_CODE.referenceInvalid);
    if (mode === 'slow' && reference.polls < inProgressPolls) {
      reference.polls += 1;
      return fail(FLEX_CODE.inProgress);
    }
    // Generated once per reference code: fetching it again gives the same statement.
    reference.xml ??= options.statementXml(reference.request);
    return { status: 200, body: reference.xml, contentType: XML };
  };

  const answer = (step: FlexStep, q: URLSearchParams): Answer => {
    // IB checks the request before anything else: version 3, a token and a query or reference.
    if (q.get('v') !== '3' || !q.get('t') || !q.get('q')) return fail(FLEX_CODE.invalidRequest);
    if (mode === 'rate-limit' && !withinRateLimit()) return fail(FLEX_CODE.tooManyRequests);
    if (q.get('t') !== options.token || mode === 'invalid-token') return fail(FLEX_CODE.tokenInvalid);
    if (mode === 'expired-token') return fail(FLEX_CODE.tokenExpired);
    if (typeof mode === 'object' && (mode.step ?? 'SendRequest') === step && forcedErrorsLeft > 0) {
      forcedErrorsLeft -= 1;
      return fail(mode.errorCode);
    }
    return step === 'SendRequest' ? sendRequest(q) : getStatement(q);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const parsed = new URL(req.url ?? '/', 'http://flex.invalid');
    const path = parsed.pathname;
    const userAgent = req.headers['user-agent'];
    const query = Object.fromEntries(parsed.searchParams);
    if ('t' in query) query['t'] = MASK;
    const record: FlexRequestRecord = { at: now(), path, query, userAgent, status: 0 };
    requests.push(record);

    let result: Answer;
    const step =
      path === '/SendRequest' || path === '/GetStatement' ? (path.slice(1) as FlexStep) : undefined;
    if (!step) {
      result = { status: 404, body: 'Not Found\n', contentType: 'text/plain' };
    } else if (req.method !== 'GET' && req.method !== 'HEAD') {
      result = { status: 405, body: 'Method Not Allowed\n', contentType: 'text/plain' };
    } else if (!userAgent?.trim()) {
      // IB refuses programmatic requests without a User-Agent ("Technology/Version", e.g.
      // Java/1.8). It documents no code for that; the simulator refuses at the HTTP level.
      result = {
        status: 403,
        body: 'Forbidden: a User-Agent header is required\n',
        contentType: 'text/plain',
      };
    } else {
      try {
        result = answer(step, parsed.searchParams);
      } catch (cause) {
        // A statement callback that throws is a bug in the test or scenario: make it loud.
        options.log?.(`flex: statement failed: ${(cause as Error).message}`);
        result = { status: 500, body: `${(cause as Error).message}\n`, contentType: 'text/plain' };
      }
    }
    record.status = result.status;
    if (result.errorCode !== undefined) record.errorCode = result.errorCode;
    options.log?.(
      `flex: ${path} ${new URLSearchParams(query).toString()} → ${result.status}${result.errorCode ? ` ${result.errorCode}` : ''}`,
    );
    res.writeHead(result.status, { 'Content-Type': result.contentType });
    res.end(req.method === 'HEAD' ? undefined : result.body);
  };

  const server: Server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  url = `http://${host}:${address.port}`;

  return {
    url,
    requests,
    setMode,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
