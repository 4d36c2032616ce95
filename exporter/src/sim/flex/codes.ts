// The Flex Web Service's error codes (version 3), with IB's own texts. IB answers every one of
// them with HTTP 200 and a <FlexStatementResponse> envelope; the code, not the HTTP status, says
// what happened. `transient` codes go away if the client waits and asks again; the others need a
// person (a new token, a fixed query). `status` is what IB writes in <Status>: real responses say
// `Warn` for "in progress" and "too many requests", `Fail` for the rest.

export interface FlexErrorCode {
  code: number;
  message: string;
  transient: boolean;
  status: 'Fail' | 'Warn';
}

const table: Array<[number, string, boolean, ('Fail' | 'Warn')?]> = [
  [1001, 'Statement could not be generated at this time. Please try again shortly.', true],
  [1003, 'Statement is not available.', false],
  [1004, 'Statement is incomplete at this time. Please try again shortly.', true],
  [1005, 'Settlement data is not ready at this time. Please try again shortly.', true],
  [1006, 'FIFO P/L data is not ready at this time. Please try again shortly.', true],
  [1007, 'MTM P/L data is not ready at this time. Please try again shortly.', true],
  [1008, 'MTM and FIFO P/L data is not ready at this time. Please try again shortly.', true],
  [
    1009,
    'The server is under heavy load. Statement could not be generated at this time. Please try again shortly.',
    true,
  ],
  [1010, 'Legacy Flex Queries are no longer supported. Please convert over to Activity Flex.', false],
  [1011, 'Service account is inactive.', false],
  [1012, 'Token has expired.', false],
  [1013, 'IP restriction.', false],
  [1014, 'Query is invalid.', false],
  [1015, 'Token is invalid.', false],
  [1016, 'Account is invalid.', false],
  [1017, 'Reference code is invalid.', false],
  [
    1018,
    'Too many requests have been made from this token. Please try again shortly. (Limited to one request per second, 10 requests per minute per token)',
    true,
    'Warn',
  ],
  [1019, 'Statement generation in progress. Please try again shortly.', true, 'Warn'],
  [1020, 'Invalid request or unable to validate request.', false],
  [1021, 'Statement could not be retrieved at this time. Please try again shortly.', true],
];

export const FLEX_ERROR_CODES: ReadonlyMap<number, FlexErrorCode> = new Map(
  table.map(([code, message, transient, status]) => [
    code,
    { code, message, transient, status: status ?? 'Fail' },
  ]),
);

/** The codes the simulator names in its own logic. */
export const FLEX_CODE = {
  tokenExpired: 1012,
  queryInvalid: 1014,
  tokenInvalid: 1015,
  referenceInvalid: 1017,
  tooManyRequests: 1018,
  inProgress: 1019,
  invalidRequest: 1020,
} as const;

export function flexErrorCode(code: number): FlexErrorCode {
  const known = FLEX_ERROR_CODES.get(code);
  if (!known) throw new Error(`unknown Flex Web Service error code ${code}`);
  return known;
}
