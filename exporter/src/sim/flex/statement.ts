// A Flex Activity statement (a query of type AF) as IB writes it: <FlexQueryResponse>, one
// <FlexStatement> per account, and its <Trades> rows with the attributes of a real statement in
// their real order. Every attribute is written, an unknown one as "" (as IB does for fields that do
// not apply, e.g. strike on a stock). The values are text already: statement-from-scenario.ts
// works them out; a test may hand-write rows here to build any statement it needs.
import { xmlElement } from './xml.js';

/** The <Trade> attributes of an Activity statement with every Trades field, in IB's order. */
export const TRADE_ATTRIBUTES = [
  'accountId',
  'acctAlias',
  'model',
  'currency',
  'fxRateToBase',
  'assetCategory',
  'symbol',
  'description',
  'conid',
  'securityID',
  'securityIDType',
  'cusip',
  'isin',
  'listingExchange',
  'underlyingConid',
  'underlyingSymbol',
  'underlyingSecurityID',
  'underlyingListingExchange',
  'issuer',
  'multiplier',
  'strike',
  'expiry',
  'tradeID',
  'putCall',
  'reportDate',
  'principalAdjustFactor',
  'dateTime',
  'tradeDate',
  'settleDateTarget',
  'transactionType',
  'exchange',
  'quantity',
  'tradePrice',
  'tradeMoney',
  'proceeds',
  'taxes',
  'ibCommission',
  'ibCommissionCurrency',
  'netCash',
  'closePrice',
  'openCloseIndicator',
  'notes',
  'cost',
  'fifoPnlRealized',
  'fxPnl',
  'mtmPnl',
  'origTradePrice',
  'origTradeDate',
  'origTradeID',
  'origOrderID',
  'clearingFirmID',
  'transactionID',
  'buySell',
  'ibOrderID',
  'ibExecID',
  'brokerageOrderID',
  'orderReference',
  'volatilityOrderLink',
  'exchOrderId',
  'extExecID',
  'orderTime',
  'openDateTime',
  'holdingPeriodDateTime',
  'whenRealized',
  'whenReopened',
  'levelOfDetail',
  'changeInPrice',
  'changeInQuantity',
  'orderType',
  'traderID',
  'isAPIOrder',
  'accruedInt',
] as const;

export type FlexTradeAttribute = (typeof TRADE_ATTRIBUTES)[number];
/** One <Trade> row; a missing attribute is written as "". */
export type FlexTradeRow = Partial<Record<FlexTradeAttribute, string>>;

export interface FlexAccountStatement {
  accountId: string;
  /** yyyyMMdd */
  fromDate: string;
  toDate: string;
  /** IB's name of the query's period, e.g. LastBusinessDay, Last30CalendarDays, Custom. */
  period: string;
  /** yyyyMMdd;HHmmss, New York time. */
  whenGenerated: string;
  trades: readonly FlexTradeRow[];
}

export interface FlexActivityStatement {
  queryName: string;
  statements: readonly FlexAccountStatement[];
}

function tradeElement(row: FlexTradeRow): string {
  const known = new Set<string>(TRADE_ATTRIBUTES);
  const unknown = Object.keys(row).filter((name) => !known.has(name));
  if (unknown.length > 0) throw new Error(`not a Flex trade attribute: ${unknown.join(', ')}`);
  return xmlElement(
    'Trade',
    TRADE_ATTRIBUTES.map((name) => [name, row[name] ?? ''] as const),
  );
}

/** The statement's XML text, as GetStatement returns it and as a user downloads it. */
export function renderFlexStatement(statement: FlexActivityStatement): string {
  const statements = statement.statements.map((s) =>
    xmlElement(
      'FlexStatement',
      [
        ['accountId', s.accountId],
        ['fromDate', s.fromDate],
        ['toDate', s.toDate],
        ['period', s.period],
        ['whenGenerated', s.whenGenerated],
      ],
      [xmlElement('Trades', [], s.trades.map(tradeElement))],
    ),
  );
  return `${xmlElement(
    'FlexQueryResponse',
    [
      ['queryName', statement.queryName],
      ['type', 'AF'],
    ],
    [xmlElement('FlexStatements', [['count', statement.statements.length]], statements)],
  )}\n`;
}
