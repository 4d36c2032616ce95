// Decoding of client→server messages into typed records (layouts: docs/tws-protocol.md#requests,
// checked against @stoqey/ib's encoder.js). Unknown or short messages decode to what can be read;
// this never throws, because a hostile client must not crash the simulator.

/** Outgoing message ids (client → server) the simulator understands. */
export const OUT = {
  placeOrder: 3,
  cancelOrder: 4,
  reqOpenOrders: 5,
  reqExecutions: 7,
  reqIds: 8,
  reqContractDetails: 9,
  reqAllOpenOrders: 16,
  reqManagedAccts: 17,
  reqCurrentTime: 49,
  reqPositions: 61,
  reqAccountSummary: 62,
  cancelAccountSummary: 63,
  cancelPositions: 64,
  startApi: 71,
  reqPnL: 92,
  cancelPnL: 93,
  reqPnLSingle: 94,
  cancelPnLSingle: 95,
} as const;

export type RequestName = keyof typeof OUT | 'unknown';

const NAMES = new Map<number, RequestName>(
  Object.entries(OUT).map(([name, id]) => [id, name as RequestName]),
);

/** The ExecutionFilter of reqExecutions, as sent (empty strings = no criterion). */
export interface ExecutionFilterFields {
  clientId: number;
  acctCode: string;
  time: string;
  symbol: string;
  secType: string;
  exchange: string;
  side: string;
}

/** The contract of reqContractDetails or placeOrder, as sent ("" and 0 = not given). */
export interface RequestedContract {
  conId: number;
  symbol: string;
  secType: string;
  lastTradeDateOrContractMonth: string;
  strike: number;
  right: string;
  multiplier: number;
  exchange: string;
  primaryExchange: string;
  currency: string;
  localSymbol: string;
  tradingClass: string;
}

/** The order fields of placeOrder the simulator acts on. */
export interface RequestedOrder {
  action: string;
  totalQuantity: number;
  orderType: string;
  /** undefined when sent empty (no limit price). */
  lmtPrice: number | undefined;
  tif: string;
  account: string;
  orderRef: string;
  transmit: boolean;
  outsideRth: boolean;
  /** The overnight session flag: sent from server version 189, last but one field from 192 on. */
  includeOvernight: boolean;
}

export interface RecordedRequest {
  /** Date.now() when it was received. */
  at: number;
  /** The client id of the session (from its startApi); -1 before startApi. */
  clientId: number;
  msgId: number;
  name: RequestName;
  /** Every field after the message id, raw. */
  fields: string[];
  reqId?: number;
  account?: string;
  modelCode?: string;
  conId?: number;
  group?: string;
  tags?: string[];
  filter?: ExecutionFilterFields;
  orderId?: number;
  numIds?: number;
  contract?: RequestedContract;
  order?: RequestedOrder;
}

function int(text: string | undefined): number {
  const n = Number.parseInt(text ?? '', 10);
  return Number.isNaN(n) ? 0 : n;
}

function num(text: string | undefined): number {
  const n = Number.parseFloat(text ?? '');
  return Number.isFinite(n) ? n : 0;
}

/** conId | symbol | secType | lastTradeDate | strike | right | multiplier | exchange | primaryExch | currency | localSymbol | tradingClass */
function contractAt(f: (i: number) => string, at: number): RequestedContract {
  return {
    conId: int(f(at)),
    symbol: f(at + 1),
    secType: f(at + 2),
    lastTradeDateOrContractMonth: f(at + 3),
    strike: num(f(at + 4)),
    right: f(at + 5),
    multiplier: num(f(at + 6)),
    exchange: f(at + 7),
    primaryExchange: f(at + 8),
    currency: f(at + 9),
    localSymbol: f(at + 10),
    tradingClass: f(at + 11),
  };
}

/** Server version from which placeOrder has no version field (ORDER_CONTAINER). */
const ORDER_CONTAINER = 145;
/** placeOrder ends with includeOvernight from 189, then manualOrderIndicator from 192. */
const INCLUDE_OVERNIGHT = 189;
const CME_TAGGING_FIELDS = 192;

/** Decodes one frame's fields. `serverVersion` matters for the layouts that changed with it. */
export function decodeRequest(
  allFields: readonly string[],
  ctx: { clientId: number; serverVersion: number; at: number },
): RecordedRequest {
  const msgId = Number.parseInt(allFields[0] ?? '', 10);
  const fields = allFields.slice(1);
  const name = NAMES.get(msgId) ?? 'unknown';
  const base: RecordedRequest = {
    at: ctx.at,
    clientId: ctx.clientId,
    msgId: Number.isNaN(msgId) ? -1 : msgId,
    name,
    fields,
  };
  const f = (i: number): string => fields[i] ?? '';
  switch (name) {
    case 'startApi':
      // 71 | version | clientId | optionalCapabilities
      return { ...base, clientId: int(f(1)) };
    case 'reqExecutions':
      // 7 | version | reqId | clientId | acctCode | time | symbol | secType | exchange | side
      return {
        ...base,
        reqId: int(f(1)),
        filter: {
          clientId: int(f(2)),
          acctCode: f(3),
          time: f(4),
          symbol: f(5),
          secType: f(6),
          exchange: f(7),
          side: f(8),
        },
      };
    case 'reqPnL':
      // 92 | reqId | account | modelCode
      return { ...base, reqId: int(f(0)), account: f(1), modelCode: f(2) };
    case 'reqPnLSingle':
      // 94 | reqId | account | modelCode | conId
      return { ...base, reqId: int(f(0)), account: f(1), modelCode: f(2), conId: int(f(3)) };
    case 'cancelPnL':
    case 'cancelPnLSingle':
      return { ...base, reqId: int(f(0)) };
    case 'reqAccountSummary':
      // 62 | version | reqId | group | tags
      return {
        ...base,
        reqId: int(f(1)),
        group: f(2),
        tags: f(3)
          .split(',')
          .map((t) => t.trim())
          .filter((t) => t !== ''),
      };
    case 'cancelAccountSummary':
      return { ...base, reqId: int(f(1)) };
    case 'reqIds':
      return { ...base, numIds: int(f(1)) };
    case 'placeOrder': {
      // 3 | [version if v < ORDER_CONTAINER] | orderId | contract(12) | secIdType | secId | action |
      // totalQuantity | orderType | lmtPrice | auxPrice | tif | ocaGroup | account | openClose | origin |
      // orderRef | transmit | parentId | blockOrder | sweepToFill | displaySize | triggerMethod | outsideRth | …
      const o = ctx.serverVersion < ORDER_CONTAINER ? 1 : 0;
      const lmt = f(o + 18);
      return {
        ...base,
        orderId: int(f(o)),
        contract: contractAt(f, o + 1),
        order: {
          action: f(o + 15),
          totalQuantity: num(f(o + 16)),
          orderType: f(o + 17),
          lmtPrice: lmt === '' || !Number.isFinite(Number(lmt)) ? undefined : Number(lmt),
          tif: f(o + 20),
          account: f(o + 22),
          orderRef: f(o + 25),
          transmit: f(o + 26) === '1',
          outsideRth: f(o + 32) === '1',
          includeOvernight:
            ctx.serverVersion >= INCLUDE_OVERNIGHT &&
            fields[fields.length - (ctx.serverVersion >= CME_TAGGING_FIELDS ? 2 : 1)] === '1',
        },
      };
    }
    case 'reqContractDetails':
      // 9 | 8 | reqId | contract(12) | includeExpired | secIdType | secId | [issuerId]
      return { ...base, reqId: int(f(1)), contract: contractAt(f, 2) };
    case 'cancelOrder':
      // The version field was dropped at CME_TAGGING_FIELDS (192).
      return { ...base, orderId: int(ctx.serverVersion < 192 ? f(1) : f(0)) };
    default:
      return base;
  }
}
