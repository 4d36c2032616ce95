// Encoders of the order and contract messages (openOrder, orderStatus, contractDetails and their
// ends), field for field as @stoqey/ib 1.6.10 decodes them (dist/core/io/decoder.js:
// decodeMsg_OPEN_ORDER with its OrderDecoder, decodeMsg_ORDER_STATUS, decodeMsg_CONTRACT_DATA).
// Only plain orders are produced (no combo legs, algos, conditions, hedges), so every optional
// block is sent in its empty form.
import { contractFields } from './messages.js';
import type { WireContract } from './messages.js';
import { escapeNonAscii, formatDecimal, formatDouble, formatInt } from './wire.js';

/** Incoming message ids (server → client) of this module. */
export const ORDER_IN = {
  orderStatus: 3,
  openOrder: 5,
  contractData: 10,
  contractDataEnd: 52,
  openOrderEnd: 53,
} as const;

/** MIN_SERVER_VER_* values the layouts below depend on. */
const V = {
  peggedToBenchmark: 102,
  modelsSupport: 103,
  softDollarTier: 106,
  mdSizeMultiplier: 110,
  cashQty: 111,
  aggGroup: 121,
  underlyingInfo: 122,
  marketRules: 126,
  marketCapPrice: 131,
  realExpirationDate: 134,
  autoPriceForHedge: 141,
  whatIfExtFields: 142,
  orderContainer: 145,
  dPegOrders: 148,
  priceMgmtAlgo: 151,
  stockType: 152,
  encodeMsgAscii7: 153,
  duration: 158,
  postToAts: 160,
  autoCancelParent: 162,
  fractionalSizeSupport: 163,
  sizeRules: 164,
  pegBestPegMid: 170,
  faProfileDesupport: 177,
  fundDataFields: 179,
  lastTradeDate: 182,
  customerAccount: 183,
  professionalCustomer: 184,
  bondAccruedInterest: 185,
  ineligibilityReasons: 186,
  includeOvernight: 189,
  cmeTaggingInOpenOrder: 193,
} as const;

/** Before ORDER_CONTAINER the openOrder message carries a version; 34 is the last one TWS sent. */
const OPEN_ORDER_VERSION = 34;

export type SimOrderStatus = 'PreSubmitted' | 'Submitted' | 'Filled' | 'Cancelled' | 'Inactive';

export interface SimOrder {
  orderId: number;
  clientId: number;
  permId: number;
  account: string;
  conId: number;
  action: 'BUY' | 'SELL';
  totalQuantity: number;
  orderType: string;
  lmtPrice: number | undefined;
  tif: string;
  outsideRth: boolean;
  includeOvernight: boolean;
  orderRef: string;
  status: SimOrderStatus;
  filled: number;
  avgFillPrice: number;
  lastFillPrice: number;
}

const bool = (b: boolean): string => (b ? '1' : '0');
/** A double the decoder reads with readDoubleOrUndefined: "" is "unset". */
const maybeDouble = (n: number | undefined): string => (n === undefined ? '' : formatDouble(n));

export function openOrder(serverVersion: number, order: SimOrder, c: WireContract): string[] {
  const sv = serverVersion;
  const version = sv < V.orderContainer ? OPEN_ORDER_VERSION : sv;
  const f: string[] = [String(ORDER_IN.openOrder)];
  if (sv < V.orderContainer) f.push(String(OPEN_ORDER_VERSION));
  f.push(formatInt(order.orderId));
  f.push(...contractFields(c));
  f.push(
    order.action,
    formatDecimal(order.totalQuantity),
    order.orderType,
    maybeDouble(order.lmtPrice),
    '', // auxPrice
    order.tif,
    '', // ocaGroup
    order.account,
    '', // openClose
    '0', // origin (customer)
    order.orderRef,
    formatInt(order.clientId),
    formatInt(order.permId),
    bool(order.outsideRth),
    '0', // hidden
    '0.0', // discretionaryAmt
    '', // goodAfterTime
    '', // sharesAllocation (deprecated)
    '', // faGroup
    '', // faMethod
    '', // faPercentage
  );
  if (version < V.faProfileDesupport) f.push(''); // faProfile
  if (version >= V.modelsSupport) f.push(''); // modelCode
  f.push(
    '', // goodTillDate
    '', // rule80A
    '', // percentOffset
    '', // settlingFirm
    '0', // shortSaleSlot
    '', // designatedLocation
    '-1', // exemptCode
    '0', // auctionStrategy
    '', // startingPrice
    '', // stockRefPrice
    '', // delta
    '', // stockRangeLower
    '', // stockRangeUpper
    '', // displaySize
    '0', // blockOrder
    '0', // sweepToFill
    '0', // allOrNone
    '', // minQty
    '0', // ocaType
    '0', // eTradeOnly
    '0', // firmQuoteOnly
    '', // nbboPriceCap
    '0', // parentId
    '0', // triggerMethod
    '', // volatility
    '0', // volatilityType
    '', // deltaNeutralOrderType (empty: no delta-neutral block follows)
    '', // deltaNeutralAuxPrice
    '0', // continuousUpdate
    '0', // referencePriceType
    '', // trailStopPrice
    '', // trailingPercent
    '', // basisPoints
    '', // basisPointsType
    '', // comboLegsDescription
    '0', // comboLegs count
    '0', // orderComboLegs count
    '0', // smartComboRoutingParams count
    '', // scaleInitLevelSize
    '', // scaleSubsLevelSize
    '', // scalePriceIncrement (empty: no scale block follows)
    '', // hedgeType (empty: no hedgeParam)
    '0', // optOutSmartRouting
    '', // clearingAccount
    '', // clearingIntent
    '0', // notHeld
    '0', // deltaNeutralContract present
    '', // algoStrategy (empty: no algo params)
    '0', // solicited
    '0', // whatIf
    order.status,
  );
  if (sv >= V.whatIfExtFields) f.push('', '', '', '', '', ''); // margin/equity before and change
  f.push(
    '', // initMarginAfter
    '', // maintMarginAfter
    '', // equityWithLoanAfter
    '', // commission
    '', // minCommission
    '', // maxCommission
    '', // commissionCurrency
    '', // warningText
    '0', // randomizeSize
    '0', // randomizePrice
  );
  // Pegged-to-benchmark params only for PEG BENCH orders, which the simulator never has.
  if (sv >= V.peggedToBenchmark) {
    f.push('0'); // conditions count
    f.push('', '', '', '', '', '', '', '0'); // adjusted order type … adjustableTrailingUnit
  }
  if (sv >= V.softDollarTier) f.push('', '', '');
  if (sv >= V.cashQty) f.push('');
  if (sv >= V.autoPriceForHedge) f.push('0');
  if (sv >= V.orderContainer) f.push('0'); // isOmsContainer
  if (sv >= V.dPegOrders) f.push('0'); // discretionaryUpToLimitPrice
  if (sv >= V.priceMgmtAlgo) f.push('0'); // usePriceMgmtAlgo
  if (sv >= V.duration) f.push('0'); // duration
  if (sv >= V.postToAts) f.push(''); // postToAts
  if (sv >= V.autoCancelParent) f.push('0');
  if (sv >= V.pegBestPegMid) f.push('', '', '', '', '');
  if (sv >= V.customerAccount) f.push('');
  if (sv >= V.professionalCustomer) f.push('0');
  if (sv >= V.bondAccruedInterest) f.push('');
  if (sv >= V.includeOvernight) f.push(bool(order.includeOvernight));
  if (sv >= V.cmeTaggingInOpenOrder) f.push('', ''); // extOperator, manualOrderIndicator
  return f;
}

export function openOrderEnd(): string[] {
  return [String(ORDER_IN.openOrderEnd), '1'];
}

/** orderStatus: id | status | filled | remaining | avgFillPrice | permId | parentId | lastFillPrice | clientId | whyHeld | [mktCapPrice] */
export function orderStatus(serverVersion: number, order: SimOrder): string[] {
  const f: string[] = [String(ORDER_IN.orderStatus)];
  if (serverVersion < V.marketCapPrice) f.push('6');
  f.push(
    formatInt(order.orderId),
    order.status,
    formatDecimal(order.filled),
    formatDecimal(order.totalQuantity - order.filled),
    formatDouble(order.avgFillPrice),
    formatInt(order.permId),
    '0', // parentId
    formatDouble(order.lastFillPrice),
    formatInt(order.clientId),
    '', // whyHeld
  );
  if (serverVersion >= V.marketCapPrice) f.push('0.0');
  return f;
}

/** What contractDetails says beyond the contract block. */
export interface ContractExtras {
  primaryExchange?: string | undefined;
  longName?: string | undefined;
}

export function contractDetails(
  serverVersion: number,
  reqId: number,
  c: WireContract,
  extras: ContractExtras = {},
): string[] {
  const sv = serverVersion;
  const f: string[] = [String(ORDER_IN.contractData)];
  if (sv < V.sizeRules) f.push('8');
  f.push(formatInt(reqId), c.symbol, c.secType, c.lastTradeDateOrContractMonth ?? '');
  if (sv >= V.lastTradeDate) f.push(c.lastTradeDateOrContractMonth ?? '');
  f.push(
    formatDouble(c.strike ?? 0),
    c.right ?? '',
    c.exchange,
    c.currency,
    c.localSymbol ?? c.symbol,
    c.tradingClass ?? c.symbol, // marketName
    c.tradingClass ?? '',
    formatInt(c.conId),
    '0.01', // minTick
  );
  if (sv >= V.mdSizeMultiplier && sv < V.sizeRules) f.push('1');
  f.push(
    c.multiplier === undefined ? '' : formatDecimal(c.multiplier),
    'LMT,MKT', // orderTypes
    c.exchange, // validExchanges
    '1', // priceMagnifier
    '0', // underConId
    sv >= V.encodeMsgAscii7 ? escapeNonAscii(extras.longName ?? c.symbol) : (extras.longName ?? c.symbol),
    extras.primaryExchange ?? '',
    c.lastTradeDateOrContractMonth?.slice(0, 6) ?? '', // contractMonth
    '', // industry
    '', // category
    '', // subcategory
    'US/Eastern', // timeZoneId
    '', // tradingHours
    '', // liquidHours
    '', // evRule
    '', // evMultiplier (readDouble: "" is 0)
    '0', // secIdList count
  );
  if (sv >= V.aggGroup) f.push('1');
  if (sv >= V.underlyingInfo) f.push(c.secType === 'STK' ? '' : c.symbol, c.secType === 'STK' ? '' : 'STK');
  if (sv >= V.marketRules) f.push('26');
  if (sv >= V.realExpirationDate) f.push(c.lastTradeDateOrContractMonth ?? '');
  if (sv >= V.stockType) f.push(c.secType === 'STK' ? 'COMMON' : '');
  if (sv >= V.fractionalSizeSupport && sv < V.sizeRules) f.push('1');
  if (sv >= V.sizeRules) f.push('1', '1', '1'); // minSize, sizeIncrement, suggestedSizeIncrement
  if (sv >= V.fundDataFields && c.secType === 'FUND') {
    f.push('', '', '', '', '', '', '', '0', '0', '0', '', '', '', '', '', '', '');
  }
  if (sv >= V.ineligibilityReasons) f.push('0');
  return f;
}

export function contractDetailsEnd(reqId: number): string[] {
  return [String(ORDER_IN.contractDataEnd), '1', formatInt(reqId)];
}
