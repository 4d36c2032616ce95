// The orders API's request schemas (zod). Validation and the OpenAPI document (http/openapi.ts)
// are both built from these, so the docs cannot drift from what is enforced.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ORDER_STATUSES } from '../domain/order-status.js';

export const SEC_TYPES = ['STK', 'OPT', 'FUT'] as const;
export const ORDER_TYPES = ['MKT', 'LMT'] as const;
export const SIDES = ['BUY', 'SELL'] as const;
/** The tracker's spellings of the order types. */
export const ORDER_TYPE_ALIASES: Readonly<Record<string, (typeof ORDER_TYPES)[number]>> = {
  MARKET: 'MKT',
  LIMIT: 'LMT',
};
export const TIFS = ['DAY', 'GTC', 'IOC', 'OPG'] as const;
/** The IBKR PnL Tracker's trading sessions: regular hours, pre/after-market, IB's overnight session. */
export const TRADING_SESSIONS = ['RTH', 'EXTENDED', 'OVERNIGHT'] as const;
/** The API server version from which IB takes the order's includeOvernight flag (placeOrder field). */
export const INCLUDE_OVERNIGHT_SERVER_VERSION = 189;
/** IB's overnight venue (Blue Ocean ATS behind it), for gateways older than that. */
export const OVERNIGHT_EXCHANGE = 'OVERNIGHT';
const MAX_QTY = 1e9;

/**
 * A word from a fixed list in any case, as the tracker accepted it (`buy`, `Sell`, `market`),
 * stored in this exporter's spelling; `aliases` maps other accepted words onto the list.
 */
function word<T extends string>(values: readonly [T, ...T[]], aliases: Record<string, T> = {}) {
  const accepted = [...values, ...Object.keys(aliases)];
  // Case-insensitive without the `i` flag, which JSON Schema (the OpenAPI document) cannot carry.
  const anyCase = (w: string) => [...w].map((c) => `[${c.toUpperCase()}${c.toLowerCase()}]`).join('');
  const pattern = new RegExp(`^(${accepted.map(anyCase).join('|')})$`);
  return z
    .string()
    .regex(pattern, `must be one of ${accepted.join(', ')} (any case)`)
    .overwrite((raw) => {
      const upper = raw.toUpperCase();
      return aliases[upper] ?? upper;
    })
    .pipe(z.enum(values));
}

const idempotencyKey = () =>
  z.string().regex(/^[\x21-\x7e]{1,255}$/, 'must be 1–255 printable ASCII characters without spaces');

export const orderRequestSchema = z
  .object({
    symbol: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9. /-]{0,31}$/, 'must be 1–32 letters, digits, ".", "-", "/" or spaces')
      .describe('Underlying symbol, e.g. AAPL'),
    qty: z
      .number()
      .positive('must be greater than 0')
      .max(MAX_QTY, `must be at most ${MAX_QTY}`)
      .describe('Quantity: shares or contracts'),
    side: word(SIDES).describe('BUY or SELL, any case (the tracker sent buy/sell)'),
    order_type: word(ORDER_TYPES, ORDER_TYPE_ALIASES)
      .default('MKT')
      .describe('MKT or LMT, or MARKET / LIMIT, any case'),
    price: z
      .number()
      .positive('must be greater than 0')
      .optional()
      .describe('Limit price per unit; required for LMT, not allowed for MKT'),
    exchange: z
      .string()
      .regex(/^[A-Z0-9.]{1,16}$/, 'must be an IB exchange code such as SMART')
      .default('SMART'),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be a three-letter upper-case currency code')
      .default('USD'),
    tif: z.enum(TIFS).default('DAY'),
    account: z
      .string()
      .regex(/^[A-Za-z0-9]{1,32}$/, 'must be an IB account id such as DU1234567')
      .optional()
      .describe('One of the managed accounts; optional when the gateway manages exactly one'),
    sec_type: z.enum(SEC_TYPES).default('STK'),
    expiry: z
      .string()
      .regex(/^\d{6}(\d{2})?$/, 'must be YYYYMM or YYYYMMDD')
      .optional()
      .describe('Options and futures: contract month or last trading day'),
    strike: z.number().positive('must be greater than 0').optional().describe('Options: strike price'),
    right: z.enum(['C', 'P']).optional().describe('Options: C (call) or P (put)'),
    multiplier: z.number().positive('must be greater than 0').optional().describe('Options and futures'),
    outside_rth: z
      .boolean()
      .optional()
      .describe(
        'Allow the order to fill outside regular trading hours; default false, true for EXTENDED/OVERNIGHT',
      ),
    trading_session: word(TRADING_SESSIONS)
      .optional()
      .describe(
        "RTH: regular hours only; EXTENDED: pre- and after-market too (sets outside_rth); OVERNIGHT: IB's " +
          'overnight session too (US stocks, DAY, on SMART or OVERNIGHT), any case',
      ),
    client_order_id: z
      .string()
      .regex(/^[\x21-\x7e]{1,64}$/, 'must be 1–64 printable ASCII characters without spaces')
      .optional()
      .describe('Your id for the order; used as the idempotency key when no idempotency key is sent'),
    idempotency_key: idempotencyKey()
      .optional()
      .describe('As the Idempotency-Key header (the tracker sent it in the body); both given must be equal'),
  })
  .strict()
  .superRefine((o, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (o.order_type === 'LMT' && o.price === undefined) issue('price', 'is required for LMT orders');
    if (o.order_type === 'MKT' && o.price !== undefined) issue('price', 'is not allowed for MKT orders');
    if (o.sec_type === 'STK') {
      for (const field of ['expiry', 'strike', 'right', 'multiplier'] as const) {
        if (o[field] !== undefined) issue(field, 'is only for OPT and FUT orders');
      }
    } else {
      if (!Number.isInteger(o.qty)) issue('qty', `must be a whole number of ${o.sec_type} contracts`);
      if (o.expiry === undefined) issue('expiry', `is required for ${o.sec_type} orders`);
    }
    if (o.sec_type === 'OPT') {
      if (o.strike === undefined) issue('strike', 'is required for OPT orders');
      if (o.right === undefined) issue('right', 'is required for OPT orders');
    }
    if (o.sec_type === 'FUT') {
      for (const field of ['strike', 'right'] as const) {
        if (o[field] !== undefined) issue(field, 'is only for OPT orders');
      }
    }
    const session = o.trading_session;
    if (session === 'RTH' && o.outside_rth === true) {
      issue('outside_rth', 'cannot be true with trading_session RTH');
    }
    if (session !== undefined && session !== 'RTH' && o.outside_rth === false) {
      issue('outside_rth', `cannot be false with trading_session ${session}`);
    }
    if (session === 'OVERNIGHT') {
      // IB's overnight session trades US-listed stocks and ETFs, as DAY orders routed through SMART
      // with includeOvernight or sent to the OVERNIGHT venue itself.
      if (o.sec_type !== 'STK' || o.currency !== 'USD') {
        issue('trading_session', 'OVERNIGHT is only for US stocks and ETFs (sec_type STK, currency USD)');
      }
      if (o.tif !== 'DAY') issue('tif', 'must be DAY with trading_session OVERNIGHT');
      if (o.exchange !== 'SMART' && o.exchange !== OVERNIGHT_EXCHANGE) {
        issue('exchange', `must be SMART or ${OVERNIGHT_EXCHANGE} with trading_session OVERNIGHT`);
      }
    }
  })
  // EXTENDED and OVERNIGHT mean outside regular hours; left out otherwise means regular hours only.
  .overwrite((o) => ({
    ...o,
    outside_rth: o.outside_rth ?? (o.trading_session === 'EXTENDED' || o.trading_session === 'OVERNIGHT'),
  }));

/** The validated request: defaults filled in, words in this exporter's spelling, outside_rth decided. */
export type OrderRequest = Omit<z.output<typeof orderRequestSchema>, 'outside_rth'> & {
  outside_rth: boolean;
};

/** Validates a body; the result is typed as the request after the overwrite above. */
export function parseOrderRequest(body: unknown): z.ZodSafeParseResult<OrderRequest> {
  return orderRequestSchema.safeParse(body) as z.ZodSafeParseResult<OrderRequest>;
}

/**
 * How IB is asked to route an order's trading session. An overnight order on SMART carries IB's
 * includeOvernight flag, which gateways take from API server version 189; on older gateways it is
 * refused before anything is sent (the OVERNIGHT venue itself works with any version).
 */
export function sessionRouting(
  request: OrderRequest,
  serverVersion: number | undefined,
): { outsideRth: boolean; includeOvernight: boolean } | FieldProblem {
  const includeOvernight = request.trading_session === 'OVERNIGHT' && request.exchange === 'SMART';
  if (includeOvernight && (serverVersion === undefined || serverVersion < INCLUDE_OVERNIGHT_SERVER_VERSION)) {
    return {
      field: 'trading_session',
      message:
        `OVERNIGHT on SMART needs a gateway with API server version ${INCLUDE_OVERNIGHT_SERVER_VERSION} or later ` +
        `(this one: ${serverVersion ?? 'unknown'}); upgrade TWS / IB Gateway, or send exchange ${OVERNIGHT_EXCHANGE}`,
    };
  }
  return { outsideRth: request.outside_rth, includeOvernight };
}

/** The request's idempotency key: the header, else idempotency_key in the body, else client_order_id. */
export function idempotencyKeyOf(
  request: OrderRequest,
  header: string | undefined,
): { key: string | undefined } | FieldProblem[] {
  const body = request.idempotency_key;
  if (header !== undefined && body !== undefined && header !== body) {
    return [
      { field: 'Idempotency-Key', message: 'differs from idempotency_key in the body' },
      { field: 'idempotency_key', message: 'differs from the Idempotency-Key header' },
    ];
  }
  return { key: header ?? body ?? request.client_order_id };
}

export const idempotencyKeySchema = idempotencyKey().describe(
  'Retries with the same key and body return the original order; another body gives 409',
);

export const orderListQuerySchema = z
  .object({
    status: z
      .enum([...ORDER_STATUSES, 'open'])
      .optional()
      .describe('An IB order state, or "open" for every order not yet Filled, Cancelled or Inactive'),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

export interface FieldProblem {
  field: string;
  message: string;
}

/** zod issues as per-field messages; unknown keys are named as their own field. */
export function fieldProblems(error: z.ZodError, root = '(body)'): FieldProblem[] {
  return error.issues.flatMap((issue): FieldProblem[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        field: [...issue.path, key].join('.'),
        message: 'is not a known field',
      }));
    }
    return [{ field: issue.path.join('.') || root, message: issue.message }];
  });
}

/**
 * Canonical JSON (sorted keys) of the validated request: retries match whatever the key order,
 * defaults or spelling (`buy` or `BUY`), and whether the key came in the header or the body.
 */
export function bodyHash(request: OrderRequest): string {
  const { idempotency_key: _key, ...order } = request;
  const canonical = (value: unknown): unknown =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(
          Object.entries(value)
            .filter(([, v]) => v !== undefined)
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([k, v]) => [k, canonical(v)]),
        )
      : value;
  return createHash('sha256')
    .update(JSON.stringify(canonical(order)))
    .digest('hex');
}
