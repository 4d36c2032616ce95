// The orders API's request schemas (zod). Validation and the OpenAPI document (http/openapi.ts)
// are both built from these, so the docs cannot drift from what is enforced.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ORDER_STATUSES } from '../domain/order-status.js';

export const SEC_TYPES = ['STK', 'OPT', 'FUT'] as const;
export const ORDER_TYPES = ['MKT', 'LMT'] as const;
export const SIDES = ['BUY', 'SELL'] as const;
export const TIFS = ['DAY', 'GTC', 'IOC', 'OPG'] as const;
const MAX_QTY = 1e9;

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
    side: z.enum(SIDES),
    order_type: z.enum(ORDER_TYPES).default('MKT'),
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
    outside_rth: z.boolean().default(false).describe('Allow the order to fill outside regular trading hours'),
    client_order_id: z
      .string()
      .regex(/^[\x21-\x7e]{1,64}$/, 'must be 1–64 printable ASCII characters without spaces')
      .optional()
      .describe('Your id for the order; used as the idempotency key when no Idempotency-Key header is sent'),
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
  });

export type OrderRequest = z.output<typeof orderRequestSchema>;

export const idempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, 'must be 1–255 printable ASCII characters without spaces')
  .describe('Retries with the same key and body return the original order; another body gives 409');

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

/** Canonical JSON (sorted keys) of the validated request: retries match whatever the key order or defaults. */
export function bodyHash(request: OrderRequest): string {
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
    .update(JSON.stringify(canonical(request)))
    .digest('hex');
}
