// The Flex Web Service's two steps: SendRequest (token, query id, v=3) answers a reference code,
// GetStatement with that code answers the statement once IB has built it. Transient answers
// (1019 "in progress", 1018 "too many requests", 1009 "heavy load", …), HTTP 5xx/429 and network
// errors are retried with capped exponential backoff and jitter until a total deadline; a fatal
// code (expired or invalid token, invalid query) gives up at once. Both URLs carry the token as
// `t=`, so neither a URL nor a fetch error's text ever leaves this module.
import { setTimeout as sleep } from 'node:timers/promises';
import { Backoff } from '../ib/backoff.js';
import { FLEX_TOO_MANY_REQUESTS, FlexServiceError, flexCodeRule } from './web-service-codes.js';
import type { FlexFailureReason } from './web-service-codes.js';
import { parseFlexServiceAnswer } from './web-service-envelope.js';

/** IB's base URL; SendRequest and GetStatement are below it. */
export const FLEX_DEFAULT_URL = 'https://ndcdyn.interactivebrokers.com/AccountManagement/FlexWebService';
/** The protocol version every request names. */
const FLEX_VERSION = '3';

export interface FlexRetryPolicy {
  /** First wait after a transient answer; doubles with each one. */
  initialMs: number;
  /** Upper bound of one wait. */
  maxMs: number;
  /** Least wait after 1018 (IB allows ten requests a minute per token). */
  rateLimitedMs: number;
  /** Total time one fetch may take, both steps and every retry. */
  deadlineMs: number;
  /** Time one HTTP request may take. */
  requestTimeoutMs: number;
}

/**
 * A large statement takes IB a minute or more to build; 15 minutes covers a busy evening and
 * still ends the run long before the next one.
 */
export const DEFAULT_FLEX_RETRY: FlexRetryPolicy = {
  initialMs: 2_000,
  maxMs: 60_000,
  rateLimitedMs: 10_000,
  deadlineMs: 15 * 60_000,
  requestTimeoutMs: 60_000,
};

export interface FetchFlexOptions {
  baseUrl: string;
  token: string;
  queryId: string;
  /** Names the project and its version; the service refuses requests without one. */
  userAgent: string;
  signal?: AbortSignal;
  retry?: Partial<FlexRetryPolicy>;
  /** Jitter source, [0, 1). */
  random?: () => number;
  now?: () => number;
}

/** A reference code IB no longer knows (1017): SendRequest asks for a new one. */
const FLEX_REFERENCE_INVALID = 1017;
/** New reference codes one fetch may ask for after a 1017. */
const REFERENCE_RETRIES = 2;

/** Runs both steps and returns the statement (FlexQueryResponse XML text). */
export async function fetchFlexStatement(options: FetchFlexOptions): Promise<string> {
  const policy = { ...DEFAULT_FLEX_RETRY, ...options.retry };
  const now = options.now ?? Date.now;
  const attempt = new Attempt(options, policy, now() + policy.deadlineMs, now);
  for (let references = 0; ; references += 1) {
    const reference = await attempt.until('SendRequest', options.queryId, (answer) =>
      answer.kind === 'reference' ? answer : undefined,
    );
    try {
      return await attempt.until(
        'GetStatement',
        reference.referenceCode,
        (answer, body) => (answer.kind === 'statement' ? body : undefined),
        getStatementUrl(options.baseUrl, reference.url),
      );
    } catch (error) {
      const stale = error instanceof FlexServiceError && error.code === FLEX_REFERENCE_INVALID;
      if (!stale || references >= REFERENCE_RETRIES) throw error;
    }
  }
}

/**
 * IB names the GetStatement URL in SendRequest's answer (it may be another host than the base
 * URL's); anything but an absolute http(s) URL falls back to the one below the base URL.
 */
function getStatementUrl(baseUrl: string, named: string | undefined): string {
  if (named && URL.canParse(named) && ['http:', 'https:'].includes(new URL(named).protocol)) return named;
  return `${baseUrl.replace(/\/+$/, '')}/GetStatement`;
}

type Step = 'SendRequest' | 'GetStatement';
type Outcome = { body: string } | { transient: FlexServiceError };

class Attempt {
  /** The gateway reconnects' backoff (full jitter, capped doubling), restarted for each step. */
  private readonly delays: Backoff;
  /** The last transient error, reported when the deadline cuts a request short. */
  private last?: FlexServiceError;

  constructor(
    private readonly options: FetchFlexOptions,
    private readonly policy: FlexRetryPolicy,
    private readonly deadline: number,
    private readonly now: () => number,
  ) {
    this.delays = new Backoff(policy.initialMs, policy.maxMs, options.random);
  }

  /** Calls one step until `accept` takes its answer, a fatal answer, or the deadline. */
  async until<T>(
    step: Step,
    q: string,
    accept: (answer: ReturnType<typeof parseFlexServiceAnswer>, body: string) => T | undefined,
    endpoint = `${this.options.baseUrl.replace(/\/+$/, '')}/${step}`,
  ): Promise<T> {
    // Each step backs off from the start: GetStatement's 1019 polls begin short again.
    this.delays.reset();
    for (;;) {
      const outcome = await this.request(step, endpoint, q);
      if ('body' in outcome) {
        const answer = parseFlexServiceAnswer(outcome.body);
        const accepted = accept(answer, outcome.body);
        if (accepted !== undefined) return accepted;
        await this.backoff(this.refusal(step, answer));
      } else {
        await this.backoff(outcome.transient);
      }
    }
  }

  /**
   * Turns an answer the step did not want into its error: thrown when fatal, returned when worth
   * retrying. An answer that is not Flex XML is fatal (a query set to CSV, a proxy's page).
   */
  private refusal(step: Step, answer: ReturnType<typeof parseFlexServiceAnswer>): FlexServiceError {
    if (answer.kind === 'error') {
      const rule = flexCodeRule(answer.code);
      const error = new FlexServiceError(
        rule.reason,
        `Flex Web Service ${step}: error ${answer.code} (${rule.meaning}; IB says "${this.scrub(answer.message)}")`,
        answer.code,
      );
      if (!rule.transient) throw error;
      return error;
    }
    const problem =
      answer.kind === 'unexpected'
        ? `${answer.problem}; the Flex query's format must be XML`
        : `${answer.kind === 'statement' ? 'a statement' : 'a reference code'} where none was expected`;
    throw new FlexServiceError(
      step === 'GetStatement' ? 'statement_invalid' : 'service_error',
      `Flex Web Service ${step}: the answer is ${this.scrub(problem)}`,
    );
  }

  /** One GET; HTTP and network failures come back as transient errors, never with the URL. */
  private async request(step: Step, endpoint: string, q: string): Promise<Outcome> {
    const url = new URL(endpoint);
    url.search = new URLSearchParams({ t: this.options.token, q, v: FLEX_VERSION }).toString();
    const cutByDeadline = this.remaining() < this.policy.requestTimeoutMs;
    const timeout = AbortSignal.timeout(Math.min(this.policy.requestTimeoutMs, this.remaining()));
    const signal = this.options.signal ? AbortSignal.any([this.options.signal, timeout]) : timeout;
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { 'User-Agent': this.options.userAgent, Accept: 'application/xml, text/xml' },
        signal,
        redirect: 'follow',
      });
      if (!response.ok) {
        await response.body?.cancel();
        const reason: FlexFailureReason = response.status === 429 ? 'rate_limited' : 'service_error';
        const error = new FlexServiceError(reason, `Flex Web Service ${step}: HTTP ${response.status}`);
        if (response.status >= 500 || response.status === 429) return { transient: error };
        throw error;
      }
      return { body: await response.text() };
    } catch (error) {
      if (error instanceof FlexServiceError) throw error;
      this.options.signal?.throwIfAborted();
      if (timeout.aborted && cutByDeadline && this.last) throw this.gaveUp(this.last);
      return {
        transient: new FlexServiceError('network', `Flex Web Service ${step}: ${networkProblem(error)}`),
      };
    }
  }

  /** Waits before the next try, or throws the last transient error when the deadline is near. */
  private async backoff(error: FlexServiceError): Promise<void> {
    let wait = this.delays.next();
    if (error.code === FLEX_TOO_MANY_REQUESTS) wait = Math.max(wait, this.policy.rateLimitedMs);
    this.last = error;
    if (wait >= this.remaining()) throw this.gaveUp(error);
    await sleep(wait, undefined, { signal: this.options.signal });
  }

  private gaveUp(error: FlexServiceError): FlexServiceError {
    const within = Math.round(this.policy.deadlineMs / 1000);
    return new FlexServiceError(
      error.reason,
      `${error.message}; gave up after ${this.delays.attempts} tries within ${within} s`,
      error.code,
    );
  }

  private remaining(): number {
    return Math.max(1, this.deadline - this.now());
  }

  /** Text from the service or the network stack, with the token taken out should it echo it. */
  private scrub(text: string): string {
    return this.options.token === '' ? text : text.split(this.options.token).join('***');
  }
}

/** A fetch failure's cause without its URL: undici puts the code (ECONNREFUSED…) on the cause. */
function networkProblem(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; name?: unknown } }).cause;
  if (typeof cause?.code === 'string') return `network error (${cause.code})`;
  const name = (error as { name?: unknown }).name;
  if (name === 'TimeoutError') return 'no answer within the request timeout';
  return `network error (${typeof name === 'string' ? name : 'unknown'})`;
}
