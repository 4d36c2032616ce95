// JSON shapes of the round-trip endpoints, as zod schemas (the OpenAPI document is generated from
// them) and the functions that build them. Money is a JSON number, converted from the ledger's
// exact decimal only here (money.ts); the exact text stays in `ledger`. Unknown is null.
import { z } from 'zod';
import { basisOf, sourceOf } from '../domain/basis.js';
import type { RoundTrip } from '../domain/round-trips.js';
import type { Decimal, PnlSource } from '../domain/types.js';
import type { RoundTripFill, RoundTripRow } from '../store/store.js';
import { moneyNumber } from './money.js';

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
const money = z
  .number()
  .nullable()
  .describe("a number converted from the ledger's exact decimal (exact text in `ledger`); null when unknown");

/** The basis of a realized PnL sum (domain/basis.ts): IB's average cost, Flex's FIFO, or both. */
export const basisSchema = z
  .enum(['api', 'flex', 'mixed'])
  .describe(
    'api = IB average cost (commission reports), flex = FIFO by tax lot (Flex fifoPnlRealized), mixed = a sum of both, never converted',
  );
const sourceSchema = z.enum(['api', 'flex']);

/** `since`: ISO-8601 or Unix seconds, as epoch milliseconds. */
export const sinceSchema = z
  .string()
  .optional()
  .transform((raw, ctx) => {
    if (raw === undefined) return undefined;
    const ms = /^\d+$/.test(raw) ? Number(raw) * 1000 : Date.parse(raw);
    if (Number.isNaN(ms)) {
      ctx.addIssue({ code: 'custom', message: 'must be an ISO-8601 time or Unix seconds' });
      return z.NEVER;
    }
    return ms;
  });

export const historyQuerySchema = z
  .object({
    account: z.string().min(1).optional(),
    symbol: z.string().min(1).optional(),
    since: sinceSchema.describe('round trips closed at or after this time (ISO-8601 or Unix seconds)'),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();

const ledgerEntry = z.object({
  currency: z.string(),
  realized_pnl: z.string().describe('exact decimal text'),
  commissions: z.string().describe('exact decimal text'),
  basis: basisSchema,
});

export const roundTripViewSchema = z.object({
  id: z.number().int(),
  account: z.string(),
  con_id: z.number().int(),
  symbol: z.string(),
  sec_type: z.string(),
  currency: z.string().describe("the commission reports' currency, else the contract's"),
  status: z.enum(['open', 'closed']),
  open_time: z.string().nullable().describe('null when the ledger began after the position opened'),
  opened_before_ledger: z.boolean(),
  close_time: z.string().nullable(),
  quantity: z.number().describe('signed quantity held now; 0 once closed'),
  fills: z.number().int(),
  realized_pnl: money.describe(
    "IB's realized PnL of its closing fills, net of commission; null when no commission report is stored, or reports are in several currencies",
  ),
  commissions: money.describe('null when no commission report is stored, or they are in several currencies'),
  basis: basisSchema
    .nullable()
    .describe('the basis of realized_pnl; null when realized_pnl is (each ledger entry has its own)'),
  ledger: z.array(ledgerEntry).describe('per report currency, exact; one entry in practice'),
});
export type RoundTripView = z.infer<typeof roundTripViewSchema>;

export const tripFillViewSchema = z.object({
  exec_id: z.string(),
  trade_time: z.string(),
  side: z.enum(['buy', 'sell']),
  qty: z.number().describe('the part of the fill in this round trip (a flipping fill is split)'),
  fill_qty: z.number().describe('the whole fill'),
  price: z.number(),
  commission: money.describe(
    'null until its commission report arrives; 0 on the opening part of a flipping fill: it belongs to the trip the fill closed',
  ),
  commission_currency: z.string().nullable(),
  realized_pnl: money.describe(
    "IB's realized PnL of the fill; null for an opening fill (IB sends none) or before its report",
  ),
  source: sourceSchema.describe(
    'where the fill came from: api (execDetails) or flex (imported from a statement)',
  ),
  pnl_source: sourceSchema
    .nullable()
    .describe(
      "where realized_pnl comes from: api (commission report, IB's average cost) or flex (statement, FIFO by tax lot); null when realized_pnl is",
    ),
});
export type TripFillView = z.infer<typeof tripFillViewSchema>;

/**
 * The money of a round trip: its one report currency's totals (with their basis), or null when
 * nothing is known; each currency's exact totals and basis in `ledger`.
 */
export function tripMoney(trip: RoundTrip | undefined, contractCurrency: string) {
  const known = (trip?.totals ?? []).flatMap((t) => {
    const basis = basisOf(t);
    return basis === undefined ? [] : [{ ...t, basis }];
  });
  const only = known.length === 1 ? known[0] : undefined;
  return {
    currency: only?.currency ?? contractCurrency,
    realized_pnl: only?.realizedPnl ?? null,
    commissions: only?.commissions ?? null,
    basis: only?.basis ?? null,
    ledger: known.map((t) => ({
      currency: t.currency,
      realized_pnl: t.realizedPnl,
      commissions: t.commissions,
      basis: t.basis,
    })),
  };
}

/** Where a fill's realized PnL comes from (its commission report's source), when it has one. */
export const pnlSourceOf = (fill: { realizedPnl?: Decimal; reportSource?: PnlSource }) =>
  fill.realizedPnl === undefined ? null : sourceOf({ source: fill.reportSource });

export function roundTripView(row: RoundTripRow): RoundTripView {
  const money = tripMoney(row, row.contract.currency);
  return {
    id: row.id,
    account: row.account,
    con_id: row.conId,
    symbol: row.contract.symbol,
    sec_type: row.contract.secType,
    currency: money.currency,
    realized_pnl: moneyNumber(money.realized_pnl),
    commissions: moneyNumber(money.commissions),
    basis: money.basis,
    ledger: money.ledger,
    status: row.closeTime === undefined ? 'open' : 'closed',
    open_time: iso(row.openTime),
    opened_before_ledger: row.openedBeforeLedger,
    close_time: iso(row.closeTime),
    quantity: Number(row.quantity),
    fills: row.fills,
  };
}

export function tripFillView(fill: RoundTripFill): TripFillView {
  return {
    exec_id: fill.execId,
    trade_time: new Date(fill.time).toISOString(),
    side: fill.side,
    qty: Number(fill.quantity),
    fill_qty: fill.shares,
    price: fill.price,
    commission: fill.money ? moneyNumber(fill.commission) : 0,
    commission_currency: fill.commissionCurrency ?? null,
    realized_pnl: fill.money ? moneyNumber(fill.realizedPnl) : null,
    source: sourceOf(fill),
    pnl_source: fill.money ? pnlSourceOf(fill) : null,
  };
}
