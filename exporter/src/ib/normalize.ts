// The one place where IB's wire conventions become domain values (STYLE.md §4).
// Everything past this module can trust that `undefined` means "IB gave no value".
import type { CommissionReport, Contract, Execution } from '@stoqey/ib';
import { DateTime } from 'luxon';
import type { CommissionRecord, ContractInfo, ExecutionRecord, Side } from '../domain/types.js';
import { parseExecId } from '../domain/exec-id.js';
import { toDecimal } from '../domain/money.js';

/** Java's Double.MAX_VALUE, IB's "unset" for doubles. stoqey maps most of them, not all. */
const DOUBLE_MAX = Number.MAX_VALUE;
/** Java's Integer.MAX_VALUE, IB's "unset" for ints (e.g. orderId of a fill entered by hand in TWS). */
const INT_MAX = 2147483647;

/** A finite IB double, or undefined for Double.MAX, NaN, ±Infinity and non-numbers. */
export function ibDouble(value: unknown): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  if (Math.abs(value) >= DOUBLE_MAX) return undefined;
  return value;
}

/** An IB int, or undefined for Integer.MAX and anything that is not an integer. */
export function ibInt(value: unknown): number | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value)) return undefined;
  if (value === INT_MAX) return undefined;
  return value;
}

function ibString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** BOT/SLD (executions) and BUY/SELL (orders) to buy/sell. */
export function ibSide(value: unknown): Side | undefined {
  switch (typeof value === 'string' ? value.toUpperCase() : value) {
    case 'BOT':
    case 'BUY':
      return 'buy';
    case 'SLD':
    case 'SELL':
    case 'SSHORT':
      return 'sell';
    default:
      return undefined;
  }
}

const IB_TIME = /^(\d{8})[ -]+(\d{2}:\d{2}:\d{2})(?:\s+(\S+))?$/;

/**
 * IB time strings to epoch milliseconds. IB sends `yyyyMMdd HH:mm:ss TZ` (TZ is the gateway's
 * login zone, e.g. `US/Eastern`), `yyyyMMdd-HH:mm:ss` (UTC) and, for some messages, epoch seconds.
 * A string without a zone is taken as `defaultZone`: IB means the gateway's local time there.
 */
export function ibTime(value: unknown, defaultZone = 'UTC'): number | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d{9,10}$/.test(text)) return Number(text) * 1000;
  const match = IB_TIME.exec(text);
  if (!match) return undefined;
  const [, day, clock, zone] = match;
  const utcDash = text.includes('-') && zone === undefined;
  const d = day as string;
  const c = clock as string;
  return zonedMillis(
    Number(d.slice(0, 4)),
    Number(d.slice(4, 6)),
    Number(d.slice(6, 8)),
    Number(c.slice(0, 2)),
    Number(c.slice(3, 5)),
    Number(c.slice(6, 8)),
    utcDash ? 'UTC' : (zone ?? defaultZone),
  );
}

/** Zone offsets in minutes by zone and wall-clock hour; offsets only change on the hour. */
const offsets = new Map<string, number>();
const MAX_OFFSETS = 10_000;

/**
 * Wall-clock fields in `zone` to epoch milliseconds. Every fill carries a time, so this is on the
 * ingest path: luxon (its format parser especially) cost a quarter of the time per fill (bench:
 * ingest). The arithmetic is plain; luxon is asked once per zone and hour for the offset.
 */
function zonedMillis(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  zone: string,
): number | undefined {
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(wall);
  // Date.UTC rolls 20261332 over into next year; IB never sends such a time, garbage might.
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    return undefined;
  }
  if (zone === 'UTC') return wall;
  const key = `${zone}|${year}-${month}-${day}T${hour}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    const at = DateTime.fromObject({ year, month, day, hour }, { zone });
    if (!at.isValid) return undefined;
    offset = at.offset;
    if (offsets.size >= MAX_OFFSETS) offsets.clear();
    offsets.set(key, offset);
  }
  return wall - offset * 60_000;
}

/** Epoch milliseconds to the UTC form IB accepts in an ExecutionFilter. */
export function ibFilterTime(epochMs: number): string {
  return DateTime.fromMillis(epochMs, { zone: 'UTC' }).toFormat('yyyyMMdd-HH:mm:ss');
}

export function toContractInfo(contract: Contract): ContractInfo | undefined {
  const conId = ibInt(contract.conId);
  const symbol = ibString(contract.symbol);
  if (conId === undefined || conId <= 0 || symbol === undefined) return undefined;
  const multiplier = ibDouble(contract.multiplier);
  const strike = ibDouble(contract.strike);
  const right = contract.right === 'C' || contract.right === 'P' ? contract.right : undefined;
  return {
    conId,
    symbol,
    secType: ibString(contract.secType) ?? 'UNKNOWN',
    currency: ibString(contract.currency) ?? 'UNKNOWN',
    exchange: ibString(contract.exchange),
    localSymbol: ibString(contract.localSymbol),
    // Stocks arrive with multiplier 0 (the wire sends ""): a share is its own unit.
    multiplier: multiplier !== undefined && multiplier > 0 ? multiplier : 1,
    lastTradeDate: ibString(contract.lastTradeDateOrContractMonth),
    strike: strike !== undefined && strike > 0 ? strike : undefined,
    right,
  };
}

export type Normalized<T> = { ok: true; value: T } | { ok: false; reason: string };

export function toExecutionRecord(
  account: string | undefined,
  contract: Contract,
  execution: Execution,
  defaultZone = 'UTC',
): Normalized<ExecutionRecord> {
  const execId = ibString(execution.execId);
  if (execId === undefined) return { ok: false, reason: 'execution without execId' };
  const info = toContractInfo(contract);
  if (!info) return { ok: false, reason: `execution ${execId}: contract without conId or symbol` };
  const side = ibSide(execution.side);
  if (!side) return { ok: false, reason: `execution ${execId}: unknown side ${String(execution.side)}` };
  const shares = ibDouble(execution.shares);
  const price = ibDouble(execution.price);
  if (shares === undefined || shares <= 0 || price === undefined) {
    return { ok: false, reason: `execution ${execId}: shares or price missing` };
  }
  const time = ibTime(execution.time, defaultZone);
  if (time === undefined)
    return { ok: false, reason: `execution ${execId}: unreadable time ${execution.time}` };
  const acct = ibString(execution.acctNumber) ?? account;
  if (acct === undefined) return { ok: false, reason: `execution ${execId}: no account` };
  const { baseExecId, revision } = parseExecId(execId);
  return {
    ok: true,
    value: {
      execId,
      baseExecId,
      revision,
      account: acct,
      contract: info,
      side,
      shares,
      price,
      time,
      orderId: ibInt(execution.orderId),
      permId: ibInt(execution.permId),
      clientId: ibInt(execution.clientId),
      cumQty: ibDouble(execution.cumQty),
      avgPrice: ibDouble(execution.avgPrice),
      exchange: ibString(execution.exchange),
      orderRef: ibString(execution.orderRef),
    },
  };
}

export function toCommissionRecord(report: CommissionReport): Normalized<CommissionRecord> {
  const execId = ibString(report.execId);
  if (execId === undefined) return { ok: false, reason: 'commission report without execId' };
  const { baseExecId, revision } = parseExecId(execId);
  const commission = ibDouble(report.commission);
  const realized = ibDouble(report.realizedPNL);
  return {
    ok: true,
    value: {
      execId,
      baseExecId,
      revision,
      commission: commission === undefined ? undefined : toDecimal(commission),
      currency: ibString(report.currency),
      realizedPnl: realized === undefined ? undefined : toDecimal(realized),
    },
  };
}

/**
 * The zone of the handshake's connection time, e.g. `US/Eastern` or `EST` in
 * `20261125 15:41:57 US/Eastern`; undefined when the time names none.
 */
export function connectionTimeZone(text: unknown): string | undefined {
  const match = /^\s*\d{8}\s+\d{2}:\d{2}:\d{2}\s+(\S.*?)\s*$/.exec(String(text ?? ''));
  // A label value: bounded, whatever a hostile gateway sends.
  return match?.[1]?.slice(0, 64);
}
