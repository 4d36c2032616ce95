// The other levels of detail a Flex query can add beside its EXECUTION rows: an ORDER row before
// the executions of each order (their sums), and after a closing execution one CLOSED_LOT row per
// tax lot it closed. Importers must skip both; a statement that has them checks that they do.
import Big from 'big.js';
import type { FifoClose } from './fifo.js';
import type { FlexTradeRow } from './statement.js';

export type DetailLevel = 'ORDER' | 'CLOSED_LOT';

export interface StatementEntry {
  row: FlexTradeRow;
  /** The lots an execution closed, for its CLOSED_LOT rows. */
  closes?: readonly FifoClose<string>[];
}

const num = (value: Big): string => (value.eq(0) ? '0' : value.toFixed());
const sum = (rows: readonly FlexTradeRow[], name: keyof FlexTradeRow): Big =>
  rows.reduce((total, r) => total.plus(r[name] ?? '0'), new Big(0));

/** IB leaves the execution's own ids empty on the rows that are not executions. */
const NOT_AN_EXECUTION: FlexTradeRow = { tradeID: '', ibExecID: '', transactionID: '', extExecID: '' };

function orderRow(executions: readonly FlexTradeRow[]): FlexTradeRow {
  const first = executions[0] ?? {};
  const quantity = sum(executions, 'quantity');
  const tradeMoney = sum(executions, 'tradeMoney');
  const multiplier = new Big(first.multiplier ?? '1');
  const indicators = new Set(executions.map((r) => r.openCloseIndicator));
  return {
    ...first,
    ...NOT_AN_EXECUTION,
    quantity: num(quantity),
    // The order's average price, at 6 decimals as its parts may not divide evenly.
    tradePrice: num(tradeMoney.div(quantity.times(multiplier)).round(6, Big.roundHalfEven)),
    tradeMoney: num(tradeMoney),
    proceeds: num(sum(executions, 'proceeds')),
    ibCommission: num(sum(executions, 'ibCommission')),
    netCash: num(sum(executions, 'netCash')),
    cost: num(sum(executions, 'cost')),
    fifoPnlRealized: num(sum(executions, 'fifoPnlRealized')),
    mtmPnl: num(sum(executions, 'mtmPnl')),
    openCloseIndicator: indicators.size === 1 ? (first.openCloseIndicator ?? '') : 'C;O',
    levelOfDetail: 'ORDER',
  };
}

function closedLotRow(
  closing: FlexTradeRow,
  close: FifoClose<string>,
  opening: FlexTradeRow | undefined,
): FlexTradeRow {
  return {
    ...closing,
    ...NOT_AN_EXECUTION,
    // The lot's quantity as the closing trade moves it, the lot's own price and cost.
    quantity: num(close.quantity.times(-1)),
    tradePrice: opening?.tradePrice ?? '',
    tradeMoney: '',
    proceeds: '',
    ibCommission: '',
    netCash: '',
    cost: num(close.cost),
    fifoPnlRealized: num(close.realized),
    mtmPnl: '',
    openCloseIndicator: 'C',
    openDateTime: opening?.dateTime ?? '',
    holdingPeriodDateTime: opening?.dateTime ?? '',
    levelOfDetail: 'CLOSED_LOT',
  };
}

/** An order's executions: same account, contract, order id and day; an unknown order (0) is its own. */
const orderKey = (r: FlexTradeRow): string =>
  [r.accountId, r.conid, r.ibOrderID === '0' ? `exec ${r.ibExecID}` : r.ibOrderID, r.tradeDate].join('|');
const isPlainExecution = (r: FlexTradeRow): boolean => r.levelOfDetail === 'EXECUTION' && !r.notes;

/**
 * The statement's rows with the asked-for levels added. `opened` maps an execId to the row that
 * opened a lot (also one before the statement's range), for the closed lots' open time and price.
 */
export function withDetailRows(
  entries: readonly StatementEntry[],
  levels: readonly DetailLevel[],
  opened: ReadonlyMap<string, FlexTradeRow>,
): FlexTradeRow[] {
  const orders = new Map<string, FlexTradeRow[]>();
  for (const { row } of entries) {
    if (isPlainExecution(row)) orders.set(orderKey(row), [...(orders.get(orderKey(row)) ?? []), row]);
  }
  const out: FlexTradeRow[] = [];
  for (const { row, closes } of entries) {
    const order = isPlainExecution(row) ? orders.get(orderKey(row)) : undefined;
    if (levels.includes('ORDER') && order?.[0] === row) out.push(orderRow(order));
    out.push(row);
    if (levels.includes('CLOSED_LOT') && isPlainExecution(row)) {
      for (const close of closes ?? []) out.push(closedLotRow(row, close, opened.get(close.lot)));
    }
  }
  return out;
}
