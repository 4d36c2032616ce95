// The Flex statement a scenario's account would get: its history (past days) and today's
// executions up to the moment of the request, FIFO realized PnL worked out over all of them, the
// rows of the statement's date range written as IB writes them. Today's fills carry the same
// ibExecID as the execId the simulated Gateway reports, so the exporter can merge the two.
import { createHash } from 'node:crypto';
import Big from 'big.js';
import { formatIbExecTime } from '../ib-time.js';
import type { HistoryFill, Scenario, ScenarioContract, ScenarioExecution } from '../scenario.js';
import { withDetailRows, type StatementEntry } from './detail-rows.js';
import { FifoBook } from './fifo.js';
import type { FlexStatementRequest } from './server.js';
import { renderFlexStatement, type FlexAccountStatement, type FlexTradeRow } from './statement.js';

/** An execution as the Gateway simulator holds it (a scenario's, or a live one with its time). */
export type TodayExecution = Omit<ScenarioExecution, 'time'> & { time?: string; timeMs?: number };

export interface ScenarioStatementOptions {
  /** Epoch ms the statement is generated at; nothing later is in it. */
  at: number;
  /** The date override (yyyyMMdd); default: history.days ending on history.asOf or the day of `at`. */
  fromDate?: string;
  toDate?: string;
  /** Today's executions; default: the scenario's `executions`. */
  executions?: readonly TodayExecution[];
}

interface Fill {
  execId: string;
  tradeId: string;
  account: string;
  contract: ScenarioContract;
  timeMs: number;
  side: 'BOT' | 'SLD';
  shares: number;
  price: number;
  commission: number;
  commissionCurrency: string;
  orderId?: number;
  permId?: number;
  exchange?: string;
  closePrice?: number;
  cancelledAtMs?: number;
  correction?: Correction;
}

interface Correction {
  atMs: number;
  shares?: number | undefined;
  price?: number | undefined;
  commission?: number | undefined;
}

const NEW_YORK = 'America/New_York';
const DAY_MS = 86_400_000;
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

/** `yyyyMMdd;HHmmss` and `yyyyMMdd` in New York time: Flex's default date and time formats. */
function newYork(epochMs: number): { date: string; dateTime: string } {
  const [date = '', time = ''] = formatIbExecTime(epochMs, NEW_YORK).split(' ');
  return { date, dateTime: `${date};${time.replaceAll(':', '')}` };
}

function ymdToMs(ymd: string): number {
  return Date.UTC(Number(ymd.slice(0, 4)), Number(ymd.slice(4, 6)) - 1, Number(ymd.slice(6, 8)));
}

function msToYmd(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10).replaceAll('-', '');
}

/** The next weekday: US stocks and options settle T+1 (holidays are not modelled). */
function nextBusinessDay(ymd: string): string {
  let ms = ymdToMs(ymd) + DAY_MS;
  while ([0, 6].includes(new Date(ms).getUTCDay())) ms += DAY_MS;
  return msToYmd(ms);
}

/** A stable 9-digit id for a fill, so every statement that reports it gives the same one. */
function derivedId(seed: string): string {
  const n = parseInt(createHash('sha256').update(seed).digest('hex').slice(0, 12), 16);
  return String(100_000_000 + (n % 900_000_000));
}

/** Formats a decimal as Flex does: plain notation, no "-0". */
function num(value: Big): string {
  return value.eq(0) ? '0' : value.toFixed();
}

function description(c: ScenarioContract): string {
  const expiry = c.lastTradeDateOrContractMonth ?? '';
  const day = expiry.length === 8 ? expiry.slice(6, 8) : '';
  const month = MONTHS[Number(expiry.slice(4, 6)) - 1] ?? '';
  const date = `${day}${month}${expiry.slice(2, 4)}`;
  if (c.secType === 'OPT' || c.secType === 'FOP')
    return `${c.symbol} ${date} ${c.strike ?? 0} ${c.right ?? ''}`;
  if (c.secType === 'FUT') return `${c.symbol} ${date}`;
  return c.symbol;
}

/** The contract's columns: an option or future is named by its local symbol, as IB does. */
function contractColumns(c: ScenarioContract): FlexTradeRow {
  const derivative = c.secType !== 'STK' && c.secType !== 'CASH';
  return {
    currency: c.currency,
    assetCategory: c.secType,
    symbol: derivative ? (c.localSymbol ?? c.symbol) : c.symbol,
    description: description(c),
    conid: String(c.conId),
    listingExchange: c.primaryExchange ?? (derivative ? c.exchange : ''),
    underlyingSymbol: derivative ? c.symbol : '',
    multiplier: String(c.multiplier ?? 1),
    strike: c.secType === 'OPT' || c.secType === 'FOP' ? String(c.strike ?? 0) : '',
    expiry: derivative ? (c.lastTradeDateOrContractMonth ?? '') : '',
    putCall: c.right ?? '',
  };
}

function collectFills(scenario: Scenario, today: readonly TodayExecution[], at: number): Fill[] {
  const contracts = new Map(scenario.contracts.map((c) => [c.conId, c]));
  const contract = (conId: number): ScenarioContract => {
    const c = contracts.get(conId);
    if (!c) throw new Error(`unknown conId ${conId}`);
    return c;
  };
  const fromHistory = (f: HistoryFill): Fill => {
    const c = contract(f.conId);
    const { correction, cancelledAt, ...rest } = f;
    return {
      ...rest,
      tradeId: f.tradeId ?? derivedId(`trade:${f.execId}`),
      contract: c,
      timeMs: Date.parse(f.time),
      commissionCurrency: f.commissionCurrency ?? c.currency,
      ...(cancelledAt === undefined ? {} : { cancelledAtMs: Date.parse(cancelledAt) }),
      ...(correction === undefined ? {} : { correction: { ...correction, atMs: Date.parse(correction.at) } }),
    };
  };
  const fromToday = (e: TodayExecution): Fill => {
    const c = contract(e.conId);
    const { commission: report, time: _time, ...rest } = e;
    return {
      ...rest,
      tradeId: derivedId(`trade:${e.execId}`),
      contract: c,
      timeMs: e.timeMs ?? Date.parse(e.time ?? ''),
      commission: report?.commission ?? 0,
      commissionCurrency: report?.currency ?? c.currency,
    };
  };
  const fills = [...(scenario.history?.fills ?? []).map(fromHistory), ...today.map(fromToday)];
  return fills.filter((f) => f.timeMs <= at).sort((a, b) => a.timeMs - b.timeMs);
}

interface Ctx {
  baseOf: Map<string, string>;
  fxRates: Record<string, number>;
}

function fxRate(ctx: Ctx, account: string, currency: string): string {
  if (ctx.baseOf.get(account) === currency) return '1';
  const rate = ctx.fxRates[currency];
  if (rate === undefined) throw new Error(`history.fxRatesToBase has no rate for ${currency}`);
  return String(rate);
}

/** The money columns of a fill, as IB computes them (cash signs: paid negative). */
function money(f: Fill): { quantity: Big; tradeMoney: Big; proceeds: Big; commission: Big; netCash: Big } {
  const quantity = new Big(f.shares).times(f.side === 'BOT' ? 1 : -1);
  const tradeMoney = quantity.times(f.price).times(f.contract.multiplier ?? 1);
  const proceeds = tradeMoney.times(-1);
  const commission = new Big(f.commission).times(-1);
  return { quantity, tradeMoney, proceeds, commission, netCash: proceeds.plus(commission) };
}

function fillRow(ctx: Ctx, f: Fill, fifo: { openClose: string; cost: Big; realized: Big }): FlexTradeRow {
  const { date, dateTime } = newYork(f.timeMs);
  const m = money(f);
  const closePrice = f.closePrice ?? f.price;
  const mtm = new Big(closePrice)
    .minus(f.price)
    .times(m.quantity)
    .times(f.contract.multiplier ?? 1);
  return {
    accountId: f.account,
    ...contractColumns(f.contract),
    fxRateToBase: fxRate(ctx, f.account, f.contract.currency),
    tradeID: f.tradeId,
    reportDate: date,
    dateTime,
    tradeDate: date,
    settleDateTarget: nextBusinessDay(date),
    transactionType: 'ExchTrade',
    exchange: f.exchange ?? f.contract.primaryExchange ?? f.contract.exchange,
    quantity: num(m.quantity),
    tradePrice: num(new Big(f.price)),
    tradeMoney: num(m.tradeMoney),
    proceeds: num(m.proceeds),
    taxes: '0',
    ibCommission: num(m.commission),
    ibCommissionCurrency: f.commissionCurrency,
    netCash: num(m.netCash),
    closePrice: num(new Big(closePrice)),
    openCloseIndicator: fifo.openClose,
    notes: '',
    cost: num(fifo.cost),
    fifoPnlRealized: num(fifo.realized),
    fxPnl: '0',
    mtmPnl: num(mtm),
    origTradePrice: '0',
    origOrderID: '0',
    transactionID: derivedId(`transaction:${f.execId}`),
    buySell: f.side === 'BOT' ? 'BUY' : 'SELL',
    ibOrderID: String(f.permId ?? f.orderId ?? 0),
    ibExecID: f.execId,
    orderTime: dateTime,
    levelOfDetail: 'EXECUTION',
    changeInPrice: '0',
    changeInQuantity: '0',
    orderType: 'LMT',
    isAPIOrder: 'N',
    accruedInt: '0',
  };
}

/** The orig* columns of a row that cancels or corrects `original`: they name it. */
function originalColumns(original: FlexTradeRow): FlexTradeRow {
  return {
    origTradePrice: original.tradePrice ?? '0',
    origTradeDate: original.tradeDate ?? '',
    origTradeID: original.tradeID ?? '',
    origOrderID: original.ibOrderID ?? '0',
  };
}

/**
 * IB's reversal of a cancelled trade: the same execution, every quantity and amount negated,
 * notes `Ca`, its own tradeID and origTradeID naming the trade it cancels.
 */
function cancellationRow(original: FlexTradeRow, f: Fill, cancelledAtMs: number): FlexTradeRow {
  const { date, dateTime } = newYork(cancelledAtMs);
  const negate = (v: string | undefined): string => num(new Big(v ?? '0').times(-1));
  return {
    ...original,
    tradeID: derivedId(`cancel:${f.execId}`),
    reportDate: date,
    dateTime,
    tradeDate: date,
    settleDateTarget: nextBusinessDay(date),
    quantity: negate(original.quantity),
    tradeMoney: negate(original.tradeMoney),
    proceeds: negate(original.proceeds),
    ibCommission: negate(original.ibCommission),
    netCash: negate(original.netCash),
    cost: negate(original.cost),
    fifoPnlRealized: '0',
    mtmPnl: '0',
    notes: 'Ca',
    ...originalColumns(original),
    transactionID: derivedId(`cancel-transaction:${f.execId}`),
    buySell: original.buySell === 'BUY' ? 'SELL' : 'BUY',
  };
}

/** The same execution as corrected: its execId's revision one up (…01.01 → …01.02), a new tradeID. */
function correctedFill(f: Fill, c: Correction): Fill {
  const m = /^(.*\.)(\d+)$/.exec(f.execId);
  if (!m) throw new Error(`a corrected execId needs a revision: ${f.execId}`);
  const revision = String(Number(m[2]) + 1).padStart((m[2] ?? '').length, '0');
  const { correction: _c, ...rest } = f;
  return {
    ...rest,
    execId: `${m[1]}${revision}`,
    tradeId: derivedId(`correct:${f.execId}`),
    shares: c.shares ?? f.shares,
    price: c.price ?? f.price,
    commission: c.commission ?? f.commission,
  };
}

/**
 * IB's correction of a trade: the corrected values, notes `Co`, origTradeID naming the trade it
 * replaces, reported on the day of the correction.
 */
function correctionRow(
  ctx: Ctx,
  original: FlexTradeRow,
  fixed: Fill,
  fifo: { openClose: string; cost: Big; realized: Big },
  atMs: number,
): FlexTradeRow {
  return {
    ...fillRow(ctx, fixed, fifo),
    reportDate: newYork(atMs).date,
    notes: 'Co',
    ...originalColumns(original),
    transactionID: derivedId(`correct-transaction:${fixed.execId}`),
  };
}

/** Asset classes in the order IB's statements list them; others after, by name. */
const CATEGORY_ORDER = ['STK', 'OPT', 'FUT', 'FOP', 'CASH'];

/**
 * IB lists a statement's trades by asset class, then symbol, then time: a reader must not take
 * the file's order for the order of the fills.
 */
function statementOrder(
  a: { timeMs: number; row: FlexTradeRow },
  b: { timeMs: number; row: FlexTradeRow },
): number {
  const rank = (r: FlexTradeRow): number => {
    const i = CATEGORY_ORDER.indexOf(r.assetCategory ?? '');
    return i < 0 ? CATEGORY_ORDER.length : i;
  };
  return (
    rank(a.row) - rank(b.row) ||
    (a.row.assetCategory ?? '').localeCompare(b.row.assetCategory ?? '') ||
    (a.row.symbol ?? '').localeCompare(b.row.symbol ?? '') ||
    a.timeMs - b.timeMs
  );
}

function range(
  scenario: Scenario,
  options: ScenarioStatementOptions,
): { from: string; to: string; period: string } {
  if (options.fromDate !== undefined && options.toDate !== undefined) {
    return { from: options.fromDate, to: options.toDate, period: 'Custom' };
  }
  const days = scenario.history?.days ?? 30;
  const to = scenario.history?.asOf ?? newYork(options.at).date;
  const from = msToYmd(ymdToMs(to) - (days - 1) * DAY_MS);
  return { from, to, period: days === 1 ? 'LastBusinessDay' : `Last${days}CalendarDays` };
}

/** The statement's FlexStatement per account, its rows in IB's order (the XML is renderFlexStatement's). */
export function scenarioAccountStatements(
  scenario: Scenario,
  options: ScenarioStatementOptions,
): FlexAccountStatement[] {
  const ctx: Ctx = {
    baseOf: new Map(scenario.accounts.map((a) => [a.id, a.baseCurrency])),
    fxRates: scenario.history?.fxRatesToBase ?? {},
  };
  const { from, to, period } = range(scenario, options);
  const inRange = (ms: number): boolean => {
    const d = newYork(ms).date;
    return d >= from && d <= to;
  };
  const book = new FifoBook<string>();
  const rows: Array<{ account: string; timeMs: number } & StatementEntry> = [];
  const opened = new Map<string, FlexTradeRow>();
  for (const f of collectFills(scenario, options.executions ?? scenario.executions, options.at)) {
    const key = `${f.account}/${f.contract.conId}`;
    const m = money(f);
    const cancelled = f.cancelledAtMs !== undefined && f.cancelledAtMs <= options.at;
    const correction =
      f.correction !== undefined && f.correction.atMs <= options.at ? f.correction : undefined;
    // A cancelled or corrected trade is gone for FIFO: it opens or closes no lot, realizes nothing.
    const fifo =
      cancelled || correction
        ? {
            openClose:
              (book.open(key)[0]?.quantity.gt(0) ?? m.quantity.gt(0)) === m.quantity.gt(0) ? 'O' : 'C',
            cost: m.netCash.times(-1),
            realized: new Big(0),
          }
        : book.apply(key, { quantity: m.quantity, netCash: m.netCash, openedBy: f.execId });
    const row = fillRow(ctx, f, fifo);
    opened.set(f.execId, row);
    const closes = 'closes' in fifo ? fifo.closes : undefined;
    if (inRange(f.timeMs))
      rows.push({ account: f.account, timeMs: f.timeMs, row, ...(closes ? { closes } : {}) });
    if (cancelled && f.cancelledAtMs !== undefined && inRange(f.cancelledAtMs)) {
      rows.push({
        account: f.account,
        timeMs: f.cancelledAtMs,
        row: cancellationRow(row, f, f.cancelledAtMs),
      });
    }
    if (correction) {
      // The corrected trade takes the original's place in time, so FIFO sees it there.
      const fixed = correctedFill(f, correction);
      const fm = money(fixed);
      const fixedFifo = book.apply(key, {
        quantity: fm.quantity,
        netCash: fm.netCash,
        openedBy: fixed.execId,
      });
      const fixedRow = correctionRow(ctx, row, fixed, fixedFifo, correction.atMs);
      opened.set(fixed.execId, fixedRow);
      if (inRange(correction.atMs)) {
        rows.push({ account: f.account, timeMs: correction.atMs, row: fixedRow, closes: fixedFifo.closes });
      }
    }
  }
  rows.sort(statementOrder);
  const whenGenerated = newYork(options.at).dateTime;
  return scenario.accounts.map((a) => ({
    accountId: a.id,
    fromDate: from,
    toDate: to,
    period,
    whenGenerated,
    trades: withDetailRows(
      rows.filter((r) => r.account === a.id),
      scenario.history?.levels ?? [],
      opened,
    ),
  }));
}

/** The statement's XML text for a scenario at a moment. */
export function scenarioStatementXml(scenario: Scenario, options: ScenarioStatementOptions): string {
  return renderFlexStatement({
    queryName: scenario.history?.queryName ?? 'ibkr-pnl-exporter',
    statements: scenarioAccountStatements(scenario, options),
  });
}

/**
 * The `statementXml` of startFlexService for a scenario. `executions` gives today's fills as the
 * Gateway knows them when the statement is asked for (e.g. `() => sim.executions`), so a live
 * fill is in a later statement; default: the scenario's.
 */
export function scenarioStatement(
  scenario: Scenario,
  executions?: () => readonly TodayExecution[],
): (request: FlexStatementRequest) => string {
  return (request) =>
    scenarioStatementXml(scenario, {
      at: request.at,
      ...(request.fromDate !== undefined && request.toDate !== undefined
        ? { fromDate: request.fromDate, toDate: request.toDate }
        : {}),
      ...(executions ? { executions: executions() } : {}),
    });
}
