// Plain records for IB data, after normalisation (see ib/normalize.ts).
// `undefined` always means "IB did not give a value" (its Double.MAX / Integer.MAX sentinels);
// it is never replaced by 0.

export type Side = 'buy' | 'sell';

/**
 * Where a fill and its realized PnL come from: the TWS API (execDetails and commissionReport;
 * IB's average-cost basis) or an imported Flex statement (`fifoPnlRealized`, FIFO by tax lot).
 * The two bases are never converted into each other. Absent means `api` (ledgers before Flex).
 */
export type PnlSource = 'api' | 'flex';
/** The basis of a sum of realized PnL: every fill from one source, or from both. */
export type RealizedBasis = PnlSource | 'mixed';

/** Money as an exact decimal string (e.g. "-12.35"); sums are done with big.js, never with floats. */
export type Decimal = string;

export interface ContractInfo {
  conId: number;
  symbol: string;
  secType: string;
  /** The currency prices and average cost are quoted in. */
  currency: string;
  exchange?: string;
  localSymbol?: string;
  /** 1 for stocks (IB sends 0 or "" for them). */
  multiplier: number;
  lastTradeDate?: string;
  strike?: number;
  right?: 'C' | 'P';
}

export interface ExecutionRecord {
  /** Full execution id as IB sent it, including the correction suffix. */
  execId: string;
  /** execId without the correction suffix: the identity of the fill. */
  baseExecId: string;
  /** Correction revision (the digits after the last dot); a higher one replaces a lower one. */
  revision: number;
  account: string;
  contract: ContractInfo;
  side: Side;
  /** Always positive; `side` says the direction. */
  shares: number;
  /** Price per unit (not multiplied). */
  price: number;
  /** Epoch milliseconds. */
  time: number;
  orderId?: number;
  permId?: number;
  clientId?: number;
  cumQty?: number;
  avgPrice?: number;
  exchange?: string;
  orderRef?: string;
  /** Where the ledger learned of the fill; absent means `api`. The API's version wins. */
  source?: PnlSource;
  /** IB's trade id (Flex `tradeID`): what a Flex cancellation or correction refers to. */
  tradeId?: string;
}

export interface CommissionRecord {
  execId: string;
  baseExecId: string;
  revision: number;
  commission?: Decimal;
  currency?: string;
  /** IB's realized PnL for a closing fill, net of commission; undefined on opening fills. */
  realizedPnl?: Decimal;
  /** `api` (average cost) or `flex` (FIFO); absent means `api`. */
  source?: PnlSource;
}

export interface PositionRecord {
  account: string;
  contract: ContractInfo;
  quantity: number;
  /** Per share for stocks, per contract including the multiplier for options and futures. */
  avgCost?: number;
  updatedAt: number;
}

/** The latest reqPnLSingle values for one position, in the account's base currency. */
export interface PositionPnl {
  dailyPnl?: number;
  unrealizedPnl?: number;
  realizedPnl?: number;
  marketValue?: number;
  updatedAt: number;
}

export interface AccountPnl {
  account: string;
  dailyPnl?: number;
  unrealizedPnl?: number;
  realizedPnl?: number;
  updatedAt: number;
}

export interface AccountValue {
  account: string;
  tag: string;
  currency: string;
  value: number;
  updatedAt: number;
}

/** What a joined execution + commission report adds to its position's ledger totals. */
export interface LedgerContribution {
  account: string;
  conId: number;
  currency: string;
  commission: Decimal;
  /** undefined for opening fills: they add nothing to realized PnL. */
  realizedPnl?: Decimal;
  /** The basis of realizedPnl; absent means `api`. */
  source?: PnlSource;
}

/** Sums of joined fills in one report currency. */
export interface MoneyTotals {
  currency: string;
  realizedPnl: Decimal;
  commissions: Decimal;
  /** Commission reports joined so far; 0 means the realized PnL is not known, not that it is 0. */
  reports: number;
  /** How many of `reports` came from a Flex statement (domain/basis.ts); absent means 0. */
  flexReports?: number;
}

/** Running totals of one position's joined fills in one report currency. */
export interface LedgerTotals extends MoneyTotals {
  account: string;
  conId: number;
}

/** The reqAccountSummary tags the exporter requests and exports. */
export const ACCOUNT_SUMMARY_TAGS = [
  'NetLiquidation',
  'TotalCashValue',
  'BuyingPower',
  'AvailableFunds',
  'ExcessLiquidity',
  'InitMarginReq',
  'MaintMarginReq',
  'GrossPositionValue',
] as const;
export type AccountSummaryTag = (typeof ACCOUNT_SUMMARY_TAGS)[number];

export const STREAMS = ['positions', 'executions', 'pnl', 'pnl_single', 'account_summary'] as const;
export type Stream = (typeof STREAMS)[number];

export const positionKey = (account: string, conId: number): string => `${account}|${conId}`;
