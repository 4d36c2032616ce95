// The scenario file format: what the simulated Gateway holds and what happens over time.
// Every field is documented in ./README.md.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { isKnownZone } from './ib-time.js';

/** A money value that IB may leave unset (Double.MAX on the wire): `null` or omitted. */
const maybeNumber = z.number().nullable().optional();

const isoTime = z.iso.datetime({
  offset: true,
  error: 'expected an ISO-8601 time such as 2026-11-25T14:35:00Z',
});

const accountSchema = z.strictObject({
  id: z.string().min(1),
  baseCurrency: z.string().length(3),
  /** Account summary tags (NetLiquidation, BuyingPower, ...); strings for tags like AccountType. */
  summary: z.record(z.string(), z.union([z.number(), z.string()])).optional(),
  pnl: z.strictObject({ daily: maybeNumber, unrealized: maybeNumber, realized: maybeNumber }).optional(),
});

const contractSchema = z.strictObject({
  conId: z.number().int().positive(),
  symbol: z.string().min(1),
  secType: z.string().min(1),
  exchange: z.string().default('SMART'),
  primaryExchange: z.string().optional(),
  currency: z.string().length(3),
  localSymbol: z.string().optional(),
  tradingClass: z.string().optional(),
  multiplier: z.number().positive().optional(),
  lastTradeDateOrContractMonth: z.string().optional(),
  strike: z.number().optional(),
  right: z.enum(['C', 'P']).optional(),
});

const positionPnlSchema = z.strictObject({
  daily: maybeNumber,
  unrealized: maybeNumber,
  realized: maybeNumber,
  marketValue: maybeNumber,
});

const positionSchema = z.strictObject({
  account: z.string().min(1),
  conId: z.number().int().positive(),
  quantity: z.number(),
  avgCost: z.number(),
  pnl: positionPnlSchema.optional(),
});

const commissionSchema = z.strictObject({
  commission: z.number(),
  currency: z.string().length(3),
  realizedPnl: z.number().nullable(),
});

const executionFields = {
  execId: z.string().min(1),
  account: z.string().min(1),
  conId: z.number().int().positive(),
  side: z.enum(['BOT', 'SLD']),
  shares: z.number().positive(),
  price: z.number(),
  orderId: z.number().int().optional(),
  permId: z.number().int().optional(),
  clientId: z.number().int().optional(),
  cumQty: z.number().optional(),
  avgPrice: z.number().optional(),
  exchange: z.string().optional(),
  orderRef: z.string().optional(),
  commission: commissionSchema.optional(),
  /** Send the commissionReport before the execDetails, as IB sometimes does. */
  commissionFirst: z.boolean().optional(),
};

const executionSchema = z.strictObject({ ...executionFields, time: isoTime });
/** A live fill may omit its time: it then happens when it is sent. */
const liveExecutionSchema = z.strictObject({ ...executionFields, time: isoTime.optional() });

const timelineEventSchema = z.discriminatedUnion('type', [
  z.strictObject({
    atMs: z.number().nonnegative(),
    type: z.literal('execution'),
    execution: liveExecutionSchema,
  }),
  z.strictObject({
    atMs: z.number().nonnegative(),
    type: z.literal('pnl'),
    account: z.string().min(1),
    conId: z.number().int().positive().optional(),
    daily: maybeNumber,
    unrealized: maybeNumber,
    realized: maybeNumber,
    marketValue: maybeNumber,
  }),
  z.strictObject({
    atMs: z.number().nonnegative(),
    type: z.literal('error'),
    code: z.number().int(),
    message: z.string(),
    reqId: z.number().int().default(-1),
  }),
  z.strictObject({ atMs: z.number().nonnegative(), type: z.literal('disconnect') }),
  z.strictObject({
    atMs: z.number().nonnegative(),
    type: z.literal('silence'),
    durationMs: z.number().positive(),
  }),
  z.strictObject({
    atMs: z.number().nonnegative(),
    type: z.literal('restart'),
    downMs: z.number().nonnegative(),
  }),
]);

/**
 * A fill from before today, as the Flex statement reports it. Commission is what was paid
 * (positive, as the API's commission report says it); the statement writes it negative.
 */
const historyFillSchema = z.strictObject({
  execId: z.string().min(1),
  /** IB's trade id; default: derived from execId, stable across statements. */
  tradeId: z.string().regex(/^\d+$/, 'expected digits').optional(),
  account: z.string().min(1),
  conId: z.number().int().positive(),
  time: isoTime,
  side: z.enum(['BOT', 'SLD']),
  shares: z.number().positive(),
  price: z.number(),
  commission: z.number().nonnegative().default(0),
  /** Default: the contract's currency. */
  commissionCurrency: z.string().length(3).optional(),
  orderId: z.number().int().optional(),
  permId: z.number().int().optional(),
  exchange: z.string().optional(),
  /** The day's closing price, for mtmPnl; default: the fill's price. */
  closePrice: z.number().optional(),
  /** IB cancelled the trade at this time: the statement adds a cancellation row (`Ca`). */
  cancelledAt: isoTime.optional(),
  /**
   * IB corrected the trade at `at`: the statement adds a row `Co` with the corrected values (the
   * same execution, its execId's revision one up) that replaces it, also for FIFO.
   */
  correction: z
    .strictObject({
      at: isoTime,
      shares: z.number().positive().optional(),
      price: z.number().optional(),
      commission: z.number().nonnegative().optional(),
    })
    .optional(),
});

/** What the simulator's Flex Web Service reports: the fills of past days (see flex/). */
const historySchema = z.strictObject({
  /** The Flex query's name, written as queryName. */
  queryName: z.string().min(1).default('ibkr-pnl-exporter'),
  /** Calendar days a statement covers, ending on `asOf`. */
  days: z.number().int().min(1).max(365).default(30),
  /**
   * The last day of a statement (yyyyMMdd); default: the day it is requested (New York). A
   * scenario with fixed dates sets it to its executions' day, so its statements do not move with
   * the clock.
   */
  asOf: z
    .string()
    .regex(/^\d{8}$/, 'expected a date as yyyyMMdd')
    .optional(),
  /** Rate of each non-base currency to the account's base currency, for fxRateToBase. */
  fxRatesToBase: z.record(z.string().length(3), z.number().positive()).default({}),
  fills: z.array(historyFillSchema).default([]),
  /** Also write these levels of detail beside EXECUTION rows, as a query with them ticked. */
  levels: z.array(z.enum(['ORDER', 'CLOSED_LOT'])).default([]),
});

const pnlTickSchema = z.strictObject({
  intervalMs: z.number().int().min(10),
  /** Seed of the price random walk, so two runs of a scenario look the same. */
  seed: z.number().int().default(1),
  /** Standard deviation of the relative price move per tick. */
  volatility: z.number().nonnegative().default(0.001),
});

export const scenarioSchema = z
  .strictObject({
    description: z.string().optional(),
    serverVersion: z.number().int().min(100).max(193).default(176),
    /** Zone of execDetails.time on the wire (IB sends the Gateway's zone, e.g. US/Eastern). */
    executionTimeZone: z.string().refine(isKnownZone, 'unknown time zone').default('UTC'),
    nextValidOrderId: z.number().int().default(1),
    accounts: z.array(accountSchema).min(1),
    contracts: z.array(contractSchema),
    positions: z.array(positionSchema).default([]),
    executions: z.array(executionSchema).default([]),
    pnlTick: pnlTickSchema.optional(),
    timeline: z.array(timelineEventSchema).default([]),
    history: historySchema.optional(),
  })
  .superRefine((s, ctx) => {
    const accounts = new Set(s.accounts.map((a) => a.id));
    const conIds = new Set<number>();
    s.contracts.forEach((c, i) => {
      if (conIds.has(c.conId))
        ctx.addIssue({
          code: 'custom',
          path: ['contracts', i, 'conId'],
          message: `duplicate conId ${c.conId}`,
        });
      conIds.add(c.conId);
    });
    const checkRefs = (
      path: (string | number)[],
      ref: { account: string; conId?: number | undefined },
    ): void => {
      if (!accounts.has(ref.account)) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'account'],
          message: `unknown account ${ref.account}`,
        });
      }
      if (ref.conId !== undefined && !conIds.has(ref.conId)) {
        ctx.addIssue({ code: 'custom', path: [...path, 'conId'], message: `unknown conId ${ref.conId}` });
      }
    };
    const held = new Set<string>();
    s.positions.forEach((p, i) => {
      checkRefs(['positions', i], p);
      const key = `${p.account}/${p.conId}`;
      if (held.has(key))
        ctx.addIssue({ code: 'custom', path: ['positions', i], message: `duplicate position ${key}` });
      held.add(key);
    });
    const execIds = new Set<string>();
    const checkExec = (
      path: (string | number)[],
      e: { execId: string; account: string; conId: number },
    ): void => {
      checkRefs(path, e);
      if (execIds.has(e.execId))
        ctx.addIssue({ code: 'custom', path: [...path, 'execId'], message: `duplicate execId ${e.execId}` });
      execIds.add(e.execId);
    };
    s.executions.forEach((e, i) => checkExec(['executions', i], e));
    s.timeline.forEach((ev, i) => {
      if (ev.type === 'execution') checkExec(['timeline', i, 'execution'], ev.execution);
      if (ev.type === 'pnl') checkRefs(['timeline', i], ev);
    });
    if (s.history) checkHistory(s, s.history, checkExec, ctx);
  });

type Issues = { addIssue(issue: { code: 'custom'; path: (string | number)[]; message: string }): void };

/** Cancellations after their trade; an exchange rate for every foreign-currency trade. */
function checkHistory(
  s: Pick<Scenario, 'accounts' | 'contracts' | 'executions' | 'timeline'>,
  history: z.output<typeof historySchema>,
  checkExec: (path: (string | number)[], e: { execId: string; account: string; conId: number }) => void,
  ctx: Issues,
): void {
  const base = new Map(s.accounts.map((a) => [a.id, a.baseCurrency]));
  const currency = new Map(s.contracts.map((c) => [c.conId, c.currency]));
  const checkRate = (path: (string | number)[], account: string, conId: number): void => {
    const c = currency.get(conId);
    const b = base.get(account);
    if (c && b && c !== b && history.fxRatesToBase[c] === undefined)
      ctx.addIssue({ code: 'custom', path, message: `history.fxRatesToBase has no rate for ${c}` });
  };
  history.fills.forEach((f, i) => {
    checkExec(['history', 'fills', i], f);
    checkRate(['history', 'fills', i, 'conId'], f.account, f.conId);
    const issue = (path: (string | number)[], message: string): void =>
      ctx.addIssue({ code: 'custom', path: ['history', 'fills', i, ...path], message });
    if (f.cancelledAt !== undefined && Date.parse(f.cancelledAt) < Date.parse(f.time))
      issue(['cancelledAt'], 'before the trade');
    if (f.correction === undefined) return;
    if (Date.parse(f.correction.at) < Date.parse(f.time)) issue(['correction', 'at'], 'before the trade');
    if (f.cancelledAt !== undefined) issue([], 'a trade is cancelled or corrected, not both');
    if (!/\.\d+$/.test(f.execId)) issue(['execId'], 'a corrected execId needs a revision (…01.01)');
  });
  s.executions.forEach((e, i) => checkRate(['executions', i, 'conId'], e.account, e.conId));
  s.timeline.forEach((ev, i) => {
    if (ev.type === 'execution')
      checkRate(['timeline', i, 'execution', 'conId'], ev.execution.account, ev.execution.conId);
  });
}

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type ScenarioAccount = Scenario['accounts'][number];
export type ScenarioContract = Scenario['contracts'][number];
export type ScenarioPosition = Scenario['positions'][number];
export type ScenarioExecution = Scenario['executions'][number];
export type LiveExecution = z.output<typeof liveExecutionSchema>;
export type LiveExecutionInput = z.input<typeof liveExecutionSchema>;
export type TimelineEvent = Scenario['timeline'][number];
export type PnlValues = z.output<typeof positionPnlSchema>;
export type ScenarioHistory = z.output<typeof historySchema>;
export type HistoryFill = ScenarioHistory['fills'][number];

/** Validates a parsed JSON value; the error message lists every problem with its path. */
export function parseScenario(json: unknown, source = 'scenario'): Scenario {
  const result = scenarioSchema.safeParse(json);
  if (!result.success) {
    throw new Error(`invalid ${source}:\n${z.prettifyError(result.error)}`);
  }
  return result.data;
}

/** Validates a live execution given to GatewaySimulator.addExecution. */
export function parseLiveExecution(json: unknown): LiveExecution {
  const result = liveExecutionSchema.safeParse(json);
  if (!result.success) throw new Error(`invalid execution:\n${z.prettifyError(result.error)}`);
  return result.data;
}

export async function loadScenario(path: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new Error(`cannot read scenario ${path}`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new Error(`scenario ${path} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  return parseScenario(json, `scenario ${path}`);
}
