// The Flex Web Service's error codes (IB's "Flex Web Service version 3" reference), each with the
// failure reason it is metered under and whether trying again can help. Codes IB documents as
// "please try again shortly" are transient; the others need the user to change something.

/** Why a Flex import failed: the `reason` label of ibkr_flex_import_failures_total. */
export const FLEX_FAILURE_REASONS = [
  'token_expired',
  'token_invalid',
  'query_invalid',
  'access_denied',
  'rate_limited',
  'service_error',
  'network',
  'statement_invalid',
  'import_failed',
] as const;
export type FlexFailureReason = (typeof FLEX_FAILURE_REASONS)[number];

interface CodeRule {
  reason: FlexFailureReason;
  transient: boolean;
  /** What IB's message means, in the words the error and the runbook use. */
  meaning: string;
}

const transient = (reason: FlexFailureReason, meaning: string): CodeRule => ({
  reason,
  transient: true,
  meaning,
});
const fatal = (reason: FlexFailureReason, meaning: string): CodeRule => ({
  reason,
  transient: false,
  meaning,
});

/** 1018: IB allows one request a second and ten a minute per token. */
export const FLEX_TOO_MANY_REQUESTS = 1018;
/** 1019: the normal answer to the first GetStatement polls of a statement being built. */
export const FLEX_IN_PROGRESS = 1019;

const CODES: ReadonlyMap<number, CodeRule> = new Map([
  [1001, transient('service_error', 'statement could not be generated at this time')],
  [1003, fatal('service_error', 'statement is not available')],
  [1004, transient('service_error', 'statement is incomplete at this time')],
  [1005, transient('service_error', 'settlement data is not ready at this time')],
  [1006, transient('service_error', 'FIFO P/L data is not ready at this time')],
  [1007, transient('service_error', 'MTM P/L data is not ready at this time')],
  [1008, transient('service_error', 'MTM and FIFO P/L data is not ready at this time')],
  [1009, transient('service_error', 'the server is under heavy load')],
  [
    1010,
    fatal('query_invalid', 'legacy Flex queries are no longer supported: make it an Activity Flex query'),
  ],
  [1011, fatal('access_denied', 'the service account is inactive: enable the Flex Web Service')],
  [1012, fatal('token_expired', 'the token has expired: make a new one in Client Portal')],
  [1013, fatal('access_denied', "the token's IP restriction does not allow this address")],
  [1014, fatal('query_invalid', 'the query is invalid: check IBKR_FLEX_QUERY_ID')],
  [1015, fatal('token_invalid', 'the token is invalid: check IBKR_FLEX_TOKEN')],
  [1016, fatal('access_denied', 'the account is invalid')],
  // The client asks for a new reference code (twice at most) before it gives up on this one.
  [1017, fatal('service_error', 'the reference code is invalid')],
  [FLEX_TOO_MANY_REQUESTS, transient('rate_limited', 'too many requests have been made from this token')],
  [FLEX_IN_PROGRESS, transient('service_error', 'statement generation in progress')],
  [
    1020,
    fatal('token_invalid', 'invalid request or unable to validate it: check the token and the query id'),
  ],
  [1021, transient('service_error', 'statement could not be retrieved at this time')],
]);

/** The rule of an error code; a code IB has not documented is a fatal service error. */
export function flexCodeRule(code: number): CodeRule {
  return CODES.get(code) ?? fatal('service_error', 'undocumented error code');
}

/** A failed Flex fetch or import; the message never holds the token. */
export class FlexServiceError extends Error {
  override readonly name = 'FlexServiceError';
  constructor(
    readonly reason: FlexFailureReason,
    message: string,
    /** The service's ErrorCode, when it answered with one. */
    readonly code?: number,
  ) {
    super(message);
  }
}
