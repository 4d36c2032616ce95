// A parsed Flex statement to the fills and cancellations the ledger imports (docs/flex-statement.md,
// "Reading a statement"). The rules, in short: only execution rows are fills; a fill is keyed by
// its ibExecID exactly like an API execution; Flex's signs are turned into the API's (commission
// positive for a cost); realized PnL is fifoPnlRealized on closing trades and absent on opening
// ones; a cancelled trade (Ca) is a cancellation, never a fill; a correction (Co) cancels the
// trade it corrects and is a fill itself. Pure apart from luxon's zone rules.
import { parseExecId } from '../domain/exec-id.js';
import {
  type FlexBatch,
  type FlexCancellation,
  type FlexFill,
  type FlexIgnoredRow,
  FlexInputError,
} from '../domain/flex.js';
import type { CommissionRecord, ContractInfo, Decimal, ExecutionRecord, Side } from '../domain/types.js';
import type { FlexQueryResponse, FlexStatement, FlexTrade } from './parse-statement.js';
import { flexMillis, readFlexZone } from './parse-time.js';

export interface FlexPlanOptions {
  /**
   * The zone of times the statement writes without one. Default: the zone the statement's
   * whenGenerated names, else US/Eastern (IB's default zone for an account's statements).
   */
  timeZone?: string;
}

export const DEFAULT_FLEX_ZONE = 'US/Eastern';

/** Asset categories whose Flex `symbol` is the contract's local symbol, as the API names it. */
const DERIVATIVES = new Set(['OPT', 'FOP', 'FUT', 'WAR', 'FSFOP', 'FSOPT', 'IOPT']);

/** Codes of rows IB books without an exchange execution, and what each row is. */
const BOOKED = new Map([
  ['Ep', 'option expiry'],
  ['A', 'option assignment'],
  ['Ex', 'option exercise'],
  ['AEx', 'automatic option exercise'],
  ['MEx', 'manual option exercise'],
  ['AFx', 'automatic currency conversion'],
]);

const codesOf = (text: string | undefined): string[] => (text ?? '').split(';').map((code) => code.trim());

function describe(trade: FlexTrade): string {
  const ids = [
    trade.tradeID ? `trade ${trade.tradeID}` : 'trade',
    trade.symbol,
    trade.ibExecID ? `ibExecID ${trade.ibExecID}` : undefined,
  ].filter(Boolean);
  return `line ${trade.line}: ${ids.join(', ')}`;
}

function fail(trade: FlexTrade, reason: string): never {
  throw new FlexInputError(`${describe(trade)}: ${reason}`, trade.line);
}

/** Execution rows only: orders, closed lots and summaries restate fills already counted. */
function isExecution(trade: FlexTrade): boolean {
  if (trade.element !== 'Trade' && trade.element !== 'TradeConfirm') return false;
  // A query that leaves the level out writes executions only (the other levels are opt-in).
  return trade.levelOfDetail === undefined || trade.levelOfDetail === 'EXECUTION';
}

function isCancellation(trade: FlexTrade): boolean {
  return (
    trade.notes.includes('Ca') ||
    /\(Ca\.\)$/.test(trade.buySell ?? '') ||
    trade.transactionType === 'TradeCancel' ||
    trade.transactionType === 'FracShareCancel'
  );
}

/**
 * Why a row without ibExecID is one IB booked rather than executed (BookTrade: an expiry,
 * assignment or exercise; AFx: an automatic currency conversion), or undefined for an execution
 * (ExchTrade, or no transaction type and no booking code) that lacks its ibExecID. The TWS API
 * reports none of these bookings as an execution either, so the ledger leaves them out.
 */
function bookedReason(trade: FlexTrade): string | undefined {
  if (trade.ibExecID !== undefined || trade.transactionType === 'ExchTrade') return undefined;
  const code = trade.notes.find((note) => BOOKED.has(note));
  if (code !== undefined) return `${BOOKED.get(code)} booked by IB (${code}), not an execution`;
  if (trade.transactionType === 'BookTrade') return 'booked by IB (BookTrade), not an execution';
  return undefined;
}

function isCorrection(trade: FlexTrade): boolean {
  return trade.notes.includes('Co') || trade.transactionType === 'TradeCorrect';
}

function sideOf(trade: FlexTrade, quantity: number): Side {
  const written = trade.buySell?.replace(/\s*\(Ca\.\)$/, '').toUpperCase();
  const bySign: Side = quantity > 0 ? 'buy' : 'sell';
  if (written === undefined) return bySign;
  const side: Side | undefined = written === 'BUY' ? 'buy' : written === 'SELL' ? 'sell' : undefined;
  if (side === undefined) fail(trade, `buySell "${trade.buySell}" is neither BUY nor SELL`);
  if (side !== bySign) fail(trade, `buySell ${trade.buySell} contradicts quantity ${trade.quantity}`);
  return side;
}

/** Flex writes a paid commission as negative; the ledger (like the API) as positive. */
export function negateDecimal(text: Decimal): Decimal {
  if (Number(text) === 0) return text.replace(/^[+-]/, '');
  if (text.startsWith('-')) return text.slice(1);
  return `-${text.replace(/^\+/, '')}`;
}

/** Realized PnL of a fill: FIFO on closing trades (C, or C;O for a flip), none on openings. */
function realizedOf(trade: FlexTrade): Decimal | undefined {
  const indicator = codesOf(trade.openCloseIndicator);
  const closes =
    indicator.includes('C') || (trade.openCloseIndicator === undefined && trade.notes.includes('C'));
  const opens =
    indicator.includes('O') || (trade.openCloseIndicator === undefined && trade.notes.includes('O'));
  if (closes) return trade.fifoPnlRealized;
  if (opens) return undefined;
  // Neither said: only a realized amount other than 0 shows that the trade closed something.
  return trade.fifoPnlRealized !== undefined && Number(trade.fifoPnlRealized) !== 0
    ? trade.fifoPnlRealized
    : undefined;
}

/**
 * The symbol the API gives the contract, so that imported and live fills are labelled alike: a
 * derivative by its underlying (AAPL, not AAPL  261218C00230000), a currency pair by its base
 * currency (EUR, not EUR.USD); Flex's symbol is the API's local symbol.
 */
function apiSymbol(category: string, symbol: string, underlying: string | undefined): string {
  if (DERIVATIVES.has(category)) return underlying ?? symbol;
  if (category === 'CASH') return /^([A-Z]{3})\.[A-Z]{3}$/.exec(symbol)?.[1] ?? symbol;
  return symbol;
}

function contractOf(trade: FlexTrade): ContractInfo {
  if (trade.conid === undefined || trade.conid <= 0) fail(trade, 'no conid');
  if (trade.symbol === undefined) fail(trade, 'no symbol');
  if (trade.assetCategory === undefined) fail(trade, 'no assetCategory');
  if (trade.currency === undefined) fail(trade, 'no currency');
  const multiplier = trade.multiplier === undefined ? 0 : Number(trade.multiplier);
  const strike = trade.strike === undefined ? 0 : Number(trade.strike);
  return {
    conId: trade.conid,
    symbol: apiSymbol(trade.assetCategory, trade.symbol, trade.underlyingSymbol),
    secType: trade.assetCategory,
    currency: trade.currency,
    exchange: trade.exchange,
    localSymbol: trade.symbol,
    // Flex writes 1 for stocks; an empty multiplier is a share as its own unit, as in the API.
    multiplier: multiplier > 0 ? multiplier : 1,
    lastTradeDate: trade.expiry?.replaceAll('-', ''),
    strike: strike > 0 ? strike : undefined,
    right: trade.putCall,
  };
}

function fillOf(trade: FlexTrade, account: string, zone: string): FlexFill {
  const execId = trade.ibExecID;
  if (execId === undefined)
    fail(trade, 'no ibExecID: add "IB Execution ID" to the Trades section of the Flex query');
  const quantity = trade.quantity === undefined ? 0 : Number(trade.quantity);
  if (quantity === 0) fail(trade, 'no quantity');
  if (trade.tradePrice === undefined) fail(trade, 'no tradePrice');
  if (trade.dateTime === undefined) fail(trade, 'no dateTime');
  const time = flexMillis(trade.dateTime, zone);
  if (time === undefined) fail(trade, `dateTime is not a time in ${trade.dateTime.zone ?? zone}`);
  const contract = contractOf(trade);
  const { baseExecId, revision } = parseExecId(execId);
  const currency = trade.ibCommissionCurrency ?? contract.currency;
  const realizedPnl = realizedOf(trade);
  if (realizedPnl !== undefined && currency !== contract.currency) {
    // One report has one currency, and no basis is ever converted into another.
    fail(
      trade,
      `realized PnL in ${contract.currency} but commission in ${currency}: one fill's report holds one currency`,
    );
  }
  const execution: ExecutionRecord = {
    execId,
    baseExecId,
    revision,
    account,
    contract,
    side: sideOf(trade, quantity),
    shares: Math.abs(quantity),
    price: Number(trade.tradePrice),
    time,
    exchange: trade.exchange,
    orderRef: trade.orderReference,
    source: 'flex',
    tradeId: trade.tradeID,
  };
  const report: CommissionRecord = {
    execId,
    baseExecId,
    revision,
    commission: trade.ibCommission === undefined ? undefined : negateDecimal(trade.ibCommission),
    currency,
    realizedPnl,
    source: 'flex',
  };
  return { line: trade.line, execution, report };
}

function zoneOf(statement: FlexStatement, options: FlexPlanOptions): string {
  if (options.timeZone !== undefined) {
    const zone = readFlexZone(options.timeZone);
    if (!zone.ok) throw new FlexInputError(`time zone option: ${zone.reason}`);
    return zone.value;
  }
  return statement.whenGenerated?.zone ?? DEFAULT_FLEX_ZONE;
}

const tradeKey = (account: string, tradeId: string): string => `${account}|${tradeId}`;

/** The same fill written twice is one fill; two different fills under one execId is an error. */
function keep(fills: Map<string, FlexFill>, fill: FlexFill, trade: FlexTrade): void {
  const seen = fills.get(fill.execution.baseExecId);
  if (seen === undefined || fill.execution.revision > seen.execution.revision) {
    fills.set(fill.execution.baseExecId, fill);
    return;
  }
  if (fill.execution.revision < seen.execution.revision) return;
  const same = (f: FlexFill): string => JSON.stringify([f.execution, f.report]);
  if (same(seen) !== same(fill)) {
    fail(trade, `ibExecID ${fill.execution.execId} is also the different trade on line ${seen.line}`);
  }
}

/**
 * A cancellation followed by a rebooking under the same tradeID, as IB writes a fill it cancels
 * and books again at another quantity: the new row is a higher revision of the same execution
 * (….01.01 cancelled, ….01.02 booked), which replaces the earlier revision in the ledger as an API
 * correction would. The cancellation is then of the earlier revision only, and importing it would
 * forget the rebooked fill too (same tradeID, same base execId).
 */
function isRebooked(rows: FlexFill[]): boolean {
  const revisions = new Map<string, Set<number>>();
  for (const { execution } of rows) {
    revisions.set(
      execution.baseExecId,
      (revisions.get(execution.baseExecId) ?? new Set()).add(execution.revision),
    );
  }
  return [...revisions.values()].some((seen) => seen.size > 1);
}

/**
 * The base execId of the trade a cancellation names, when its original row is in the statement
 * (a cancellation row writes no ibExecID of its own): only when the rows under that tradeID,
 * other than those cancelling it, agree on one.
 */
function originalExecId(rows: FlexFill[] | undefined, cancelling: Set<number>): string | undefined {
  const ids = new Set(
    (rows ?? []).filter((row) => !cancelling.has(row.line)).map((row) => row.execution.baseExecId),
  );
  return ids.size === 1 ? [...ids][0] : undefined;
}

/**
 * Plans the import of a statement: every fill and cancellation of every account it covers, and
 * the rows IB booked without an execution, which it leaves out (`ignored`). Throws
 * FlexInputError naming the line and the trade for a row that cannot be a fill.
 */
export function planFlexImport(response: FlexQueryResponse, options: FlexPlanOptions = {}): FlexBatch {
  const accounts = new Set<string>();
  const fills = new Map<string, FlexFill>();
  const ignored: FlexIgnoredRow[] = [];
  const cancellations = new Map<string, FlexCancellation>();
  /** Which rows cancel each trade: a correction may repeat the id of the trade it corrects. */
  const cancelledBy = new Map<string, Set<number>>();
  /** Every fill row under each tradeID, to name a cancelled trade's execId. */
  const byTrade = new Map<string, FlexFill[]>();
  const cancel = (trade: FlexTrade, account: string, tradeId: string): void => {
    const key = tradeKey(account, tradeId);
    if (!cancellations.has(key)) cancellations.set(key, { line: trade.line, account, tradeId });
    cancelledBy.set(key, (cancelledBy.get(key) ?? new Set()).add(trade.line));
  };

  for (const statement of response.statements) {
    accounts.add(statement.accountId);
    const zone = zoneOf(statement, options);
    for (const trade of statement.trades) {
      if (!isExecution(trade)) continue;
      const account = trade.accountId ?? statement.accountId;
      accounts.add(account);
      if (isCancellation(trade)) {
        const target = trade.origTradeID ?? trade.tradeID;
        if (target === undefined) fail(trade, 'a cancellation without origTradeID or tradeID');
        cancel(trade, account, target);
        continue;
      }
      const booked = bookedReason(trade);
      if (booked !== undefined) {
        ignored.push({ line: trade.line, account, reason: booked });
        continue;
      }
      if (isCorrection(trade) && trade.origTradeID !== undefined) cancel(trade, account, trade.origTradeID);
      const fill = fillOf(trade, account, zone);
      if (trade.tradeID !== undefined) {
        const key = tradeKey(account, trade.tradeID);
        byTrade.set(key, [...(byTrade.get(key) ?? []), fill]);
      }
      keep(fills, fill, trade);
    }
  }

  for (const [key, lines] of cancelledBy) {
    const rows = (byTrade.get(key) ?? []).filter((row) => !lines.has(row.line));
    if (isRebooked(rows)) {
      cancellations.delete(key);
      cancelledBy.delete(key);
    }
  }

  // A trade cancelled in the same statement is not stored at all; the cancellation still goes to
  // the ledger, which forgets the fill if an earlier import (or the API) stored it.
  const kept = [...fills.values()].filter((fill) => {
    const id = fill.execution.tradeId;
    const by = id === undefined ? undefined : cancelledBy.get(tradeKey(fill.execution.account, id));
    return by === undefined || [...by].every((line) => line === fill.line);
  });
  return {
    accounts: [...accounts],
    // In time order, as the API would have reported them: Flex sorts by symbol.
    fills: kept.sort((a, b) => a.execution.time - b.execution.time || a.line - b.line),
    cancellations: [...cancellations].map(([key, cancellation]) => {
      const baseExecId = originalExecId(byTrade.get(key), cancelledBy.get(key) ?? new Set());
      return baseExecId === undefined ? cancellation : { ...cancellation, baseExecId };
    }),
    ignored,
  };
}
