// Encoders of the server→client messages the simulator sends, one per message, as field lists.
// Layouts follow @stoqey/ib 1.6.10's decoder (dist/core/io/decoder.js) at the given server
// version; see docs/tws-protocol.md#responses.
import { escapeNonAscii, formatDecimal, formatDouble, formatInt } from './wire.js';

/** Incoming message ids (server → client). */
export const IN = {
  errMsg: 4,
  nextValidId: 9,
  execDetails: 11,
  managedAccounts: 15,
  currentTime: 49,
  execDetailsEnd: 55,
  commissionReport: 59,
  position: 61,
  positionEnd: 62,
  accountSummary: 63,
  accountSummaryEnd: 64,
  pnl: 94,
  pnlSingle: 95,
} as const;

/** Server versions at which fields appear (MIN_SERVER_VER_* in the IB clients). */
const V = {
  modelsSupport: 103,
  unrealizedPnl: 129,
  realizedPnl: 135,
  lastLiquidity: 136,
  encodeMsgAscii7: 153,
  advancedOrderReject: 166,
  pendingPriceRevision: 178,
} as const;

export interface WireContract {
  conId: number;
  symbol: string;
  secType: string;
  lastTradeDateOrContractMonth?: string | undefined;
  strike?: number | undefined;
  right?: string | undefined;
  /** Absent for stocks: sent as "" (stoqey decodes it as 0). */
  multiplier?: number | undefined;
  exchange: string;
  currency: string;
  localSymbol?: string | undefined;
  tradingClass?: string | undefined;
}

/** conId | symbol | secType | lastTradeDate | strike | right | multiplier | exchange | currency | localSymbol | tradingClass */
export function contractFields(c: WireContract, exchange = c.exchange): string[] {
  return [
    formatInt(c.conId),
    c.symbol,
    c.secType,
    c.lastTradeDateOrContractMonth ?? '',
    formatDouble(c.strike ?? 0),
    c.right ?? '',
    c.multiplier === undefined ? '' : formatDecimal(c.multiplier),
    exchange,
    c.currency,
    c.localSymbol ?? c.symbol,
    c.tradingClass ?? '',
  ];
}

export function managedAccounts(accountIds: readonly string[]): string[] {
  return [String(IN.managedAccounts), '1', accountIds.join(',')];
}

export function nextValidId(orderId: number): string[] {
  return [String(IN.nextValidId), '1', formatInt(orderId)];
}

export function currentTime(epochSeconds: number): string[] {
  return [String(IN.currentTime), '1', formatInt(epochSeconds)];
}

/** reqId -1 marks a notice not bound to a request (stoqey emits those as `info`). */
export function errMsg(serverVersion: number, reqId: number, code: number, text: string): string[] {
  const fields = [
    String(IN.errMsg),
    '2',
    formatInt(reqId),
    formatInt(code),
    serverVersion >= V.encodeMsgAscii7 ? escapeNonAscii(text) : text,
  ];
  if (serverVersion >= V.advancedOrderReject) fields.push('');
  return fields;
}

export function position(
  account: string,
  contract: WireContract,
  quantity: number,
  avgCost: number,
): string[] {
  return [
    String(IN.position),
    '3',
    account,
    ...contractFields(contract),
    formatDecimal(quantity),
    formatDouble(avgCost),
  ];
}

export function positionEnd(): string[] {
  return [String(IN.positionEnd), '1'];
}

export interface WireExecution {
  execId: string;
  orderId: number;
  /** Already formatted, e.g. `20261125 14:30:00 UTC`. */
  time: string;
  account: string;
  exchange: string;
  side: 'BOT' | 'SLD';
  shares: number;
  price: number;
  permId: number;
  clientId: number;
  cumQty: number;
  avgPrice: number;
  orderRef: string;
}

export function execDetails(
  serverVersion: number,
  reqId: number,
  contract: WireContract,
  e: WireExecution,
): string[] {
  const fields = [String(IN.execDetails)];
  // Since LAST_LIQUIDITY the message has no version field; before it, version 10 has every field.
  if (serverVersion < V.lastLiquidity) fields.push('10');
  fields.push(
    formatInt(reqId),
    formatInt(e.orderId),
    // The contract block carries the execution venue as its exchange.
    ...contractFields(contract, e.exchange),
    e.execId,
    e.time,
    e.account,
    e.exchange,
    e.side,
    formatDecimal(e.shares),
    formatDouble(e.price),
    formatInt(e.permId),
    formatInt(e.clientId),
    '0', // liquidation
    formatDecimal(e.cumQty),
    formatDouble(e.avgPrice),
    e.orderRef,
    '', // evRule
    '0.0', // evMultiplier
  );
  if (serverVersion >= V.modelsSupport) fields.push(''); // modelCode
  if (serverVersion >= V.lastLiquidity) fields.push('0'); // lastLiquidity
  if (serverVersion >= V.pendingPriceRevision) fields.push('0'); // pendingPriceRevision
  return fields;
}

export function execDetailsEnd(reqId: number): string[] {
  return [String(IN.execDetailsEnd), '1', formatInt(reqId)];
}

/** realizedPnl null = opening fill: IB sends Double.MAX, stoqey gives `undefined`. */
export function commissionReport(
  execId: string,
  commission: number,
  currency: string,
  realizedPnl: number | null,
): string[] {
  return [
    String(IN.commissionReport),
    '1',
    execId,
    formatDouble(commission),
    currency,
    formatDouble(realizedPnl),
    formatDouble(null), // yield
    '0', // yieldRedemptionDate
  ];
}

type Money = number | null | undefined;

export function pnl(
  serverVersion: number,
  reqId: number,
  daily: Money,
  unrealized: Money,
  realized: Money,
): string[] {
  const fields = [String(IN.pnl), formatInt(reqId), formatDouble(daily)];
  if (serverVersion >= V.unrealizedPnl) fields.push(formatDouble(unrealized));
  if (serverVersion >= V.realizedPnl) fields.push(formatDouble(realized));
  return fields;
}

export function pnlSingle(
  serverVersion: number,
  reqId: number,
  quantity: number,
  values: { daily: Money; unrealized: Money; realized: Money; marketValue: Money },
): string[] {
  const fields = [
    String(IN.pnlSingle),
    formatInt(reqId),
    formatDecimal(quantity),
    formatDouble(values.daily),
  ];
  if (serverVersion >= V.unrealizedPnl) fields.push(formatDouble(values.unrealized));
  if (serverVersion >= V.realizedPnl) fields.push(formatDouble(values.realized));
  fields.push(formatDouble(values.marketValue));
  return fields;
}

export function accountSummary(
  reqId: number,
  account: string,
  tag: string,
  value: string,
  currency: string,
): string[] {
  return [String(IN.accountSummary), '1', formatInt(reqId), account, tag, value, currency];
}

export function accountSummaryEnd(reqId: number): string[] {
  return [String(IN.accountSummaryEnd), '1', formatInt(reqId)];
}
