// A Flex statement (the XML a Flex query produces, downloaded from Client Portal or fetched from
// the Flex Web Service) to plain records. Flex writes every value as an attribute of a row
// element; this module only reads and checks them: numbers stay the decimal text IB wrote, and
// what Flex leaves empty (or fills with Double.MAX, `--`, `N/A`) is absent, never 0. Deciding
// what a row means for the ledger is plan-import.ts's job.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { FlexInputError } from '../domain/flex.js';
import type { Decimal } from '../domain/types.js';
import { type FlexDate, type FlexDateTime, readFlexDate, readFlexDateTime } from './parse-time.js';

/** One row of a statement's Trades section (or of a Trade Confirmation query's TradeConfirms). */
export interface FlexTrade {
  /** 1-based line of the row's element in the statement. */
  line: number;
  /** `Trade` (executions), `Order`, `Lot` (closed lots), `TradeConfirm`, ... */
  element: string;
  /** EXECUTION, ORDER, CLOSED_LOT, SYMBOL_SUMMARY, ...; absent when the query leaves it out. */
  levelOfDetail?: string;
  /** ExchTrade, BookTrade, TradeCancel, TradeCorrect, FracShare, ... */
  transactionType?: string;
  accountId?: string;
  currency?: string;
  fxRateToBase?: Decimal;
  /** STK, OPT, FUT, FOP, CASH, WAR, BOND, ... */
  assetCategory?: string;
  /** The traded instrument: a ticker for stocks, IB's local symbol for derivatives. */
  symbol?: string;
  underlyingSymbol?: string;
  description?: string;
  conid?: number;
  listingExchange?: string;
  multiplier?: Decimal;
  strike?: Decimal;
  expiry?: FlexDate;
  putCall?: 'C' | 'P';
  tradeID?: string;
  origTradeID?: string;
  transactionID?: string;
  tradeDate?: FlexDate;
  /** The execution time as written (dateTime, else tradeDate + tradeTime of older queries). */
  dateTime?: FlexDateTime;
  exchange?: string;
  /** Signed: negative for sells (and for the reversal of a cancelled buy). */
  quantity?: Decimal;
  tradePrice?: Decimal;
  /** Negative for a cost, as Flex writes it. */
  ibCommission?: Decimal;
  ibCommissionCurrency?: string;
  /** IB's codes (`notes`, `code` in Trade Confirmation queries): Ca, Co, O, C, P, A, Ep, ... */
  notes: string[];
  /** O, C, C;O (a flip), or absent. */
  openCloseIndicator?: string;
  /** FIFO realized PnL in the trade's currency, net of commission. */
  fifoPnlRealized?: Decimal;
  /** BUY, SELL, `BUY (Ca.)`, `SELL (Ca.)`. */
  buySell?: string;
  ibOrderID?: string;
  /** The TWS API's execId of the fill. */
  ibExecID?: string;
  orderReference?: string;
}

export interface FlexStatement {
  line: number;
  accountId: string;
  fromDate?: FlexDate;
  toDate?: FlexDate;
  period?: string;
  whenGenerated?: FlexDateTime;
  trades: FlexTrade[];
}

export interface FlexQueryResponse {
  queryName?: string;
  /** AF (Activity) or TCF (Trade Confirmation). */
  type?: string;
  statements: FlexStatement[];
}

type Node = Record<string | symbol, unknown>;

const ATTRS = '@';
const META = XMLParser.getMetaDataSymbol() as unknown as symbol;
/** Elements that may repeat, read as arrays even when there is one. */
const REPEATED = new Set([
  'FlexStatement',
  'Trade',
  'Order',
  'Lot',
  'TradeConfirm',
  'SymbolSummary',
  'AssetSummary',
]);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  attributesGroupName: ATTRS,
  // Every value stays text: 0.1 + 0.2 must not become a float on the way in.
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: true,
  captureMetaData: true,
  isArray: (name) => REPEATED.has(name),
});

/** IB's Double.MAX ("no value"), printed by Java. */
const DOUBLE_MAX = 1.7976931348623157e308;
/** What a summary row of several days writes instead of one date or time. */
const MULTI = 'MULTI';
/** What Flex writes for "no value" besides an empty attribute. */
const NO_VALUE = new Set(['', '-', '--', 'N/A']);
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
/** Thousands separators, which some Flex outputs write. */
const GROUPED = /^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$/;

/** Character offsets of line starts, to turn the parser's element offsets into line numbers. */
function lineIndex(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset) => {
    let [lo, hi] = [0, starts.length - 1];
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

const asNode = (value: unknown): Node | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Node) : undefined;

const asNodes = (value: unknown): Node[] =>
  (Array.isArray(value) ? value : value === undefined ? [] : [value]).map((v) => asNode(v) ?? {});

function attributes(node: Node): Record<string, string> {
  return (asNode(node[ATTRS]) ?? {}) as Record<string, string>;
}

/** Reads one row's attributes, naming the row in every error. */
class Row {
  constructor(
    private readonly attrs: Record<string, string>,
    readonly line: number,
    private readonly what: string,
  ) {}

  private fail(name: string, reason: string): never {
    throw new FlexInputError(`line ${this.line}: ${this.what}: ${name} ${reason}`, this.line);
  }

  text(...names: string[]): string | undefined {
    for (const name of names) {
      const value = this.attrs[name]?.trim();
      if (value !== undefined && !NO_VALUE.has(value)) return value;
    }
    return undefined;
  }

  decimal(...names: string[]): Decimal | undefined {
    const name = names.find((n) => this.text(n) !== undefined);
    if (name === undefined) return undefined;
    const raw = this.text(name) as string;
    const value = GROUPED.test(raw) ? raw.replaceAll(',', '') : raw;
    if (!DECIMAL.test(value)) this.fail(name, `"${raw}" is not a number`);
    // Double.MAX and beyond is IB's "unset", never a value.
    if (Math.abs(Number(value)) >= DOUBLE_MAX) return undefined;
    return value;
  }

  integer(name: string): number | undefined {
    const raw = this.text(name);
    if (raw === undefined) return undefined;
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) this.fail(name, `"${raw}" is not an id`);
    return Number(raw);
  }

  date(name: string): FlexDate | undefined {
    const raw = this.text(name);
    if (raw === undefined || raw === MULTI) return undefined;
    const read = readFlexDate(raw);
    if (!read.ok) this.fail(name, read.reason);
    return read.value;
  }

  dateTime(name: string): FlexDateTime | undefined {
    const raw = this.text(name);
    if (raw === undefined || raw === MULTI) return undefined;
    const read = readFlexDateTime(raw);
    if (!read.ok) this.fail(name, read.reason);
    return read.value;
  }

  /** Queries from before `dateTime` existed write the day and the time apart. */
  dayAndTime(dayName: string, timeName: string): FlexDateTime | undefined {
    const [dayText, timeText] = [this.text(dayName), this.text(timeName)];
    if (dayText === undefined || timeText === undefined) return undefined;
    const read = readFlexDateTime(`${dayText};${timeText}`);
    if (!read.ok) this.fail(`${dayName}/${timeName}`, read.reason);
    return read.value;
  }

  codes(...names: string[]): string[] {
    const raw = this.text(...names);
    return raw === undefined
      ? []
      : raw
          .split(/[;,]/)
          .map((code) => code.trim())
          .filter(Boolean);
  }
}

function describeTrade(attrs: Record<string, string>, element: string): string {
  const ids = [
    attrs.tradeID ? `tradeID ${attrs.tradeID}` : undefined,
    attrs.ibExecID || attrs.execID ? `ibExecID ${attrs.ibExecID || attrs.execID}` : undefined,
    attrs.symbol ? attrs.symbol.trim() : undefined,
  ].filter(Boolean);
  return ids.length ? `${element} (${ids.join(', ')})` : element;
}

function readTrade(node: Node, element: string, lineOf: (offset: number) => number): FlexTrade {
  const attrs = attributes(node);
  const line = lineOf((node[META] as { startIndex?: number } | undefined)?.startIndex ?? 0);
  const row = new Row(attrs, line, describeTrade(attrs, element));
  const tradeDate = row.date('tradeDate');
  const putCall = row.text('putCall');
  return {
    line,
    element,
    levelOfDetail: row.text('levelOfDetail')?.toUpperCase(),
    transactionType: row.text('transactionType'),
    accountId: row.text('accountId'),
    currency: row.text('currency'),
    fxRateToBase: row.decimal('fxRateToBase'),
    assetCategory: row.text('assetCategory'),
    symbol: row.text('symbol'),
    underlyingSymbol: row.text('underlyingSymbol'),
    description: row.text('description'),
    conid: row.integer('conid'),
    listingExchange: row.text('listingExchange'),
    multiplier: row.decimal('multiplier'),
    strike: row.decimal('strike'),
    expiry: row.date('expiry'),
    putCall: putCall === 'C' || putCall === 'P' ? putCall : undefined,
    tradeID: row.text('tradeID'),
    origTradeID: row.text('origTradeID'),
    transactionID: row.text('transactionID'),
    tradeDate,
    dateTime: row.dateTime('dateTime') ?? row.dayAndTime('tradeDate', 'tradeTime'),
    exchange: row.text('exchange'),
    quantity: row.decimal('quantity'),
    // A Trade Confirmation query names some of the same values differently.
    tradePrice: row.decimal('tradePrice', 'price'),
    ibCommission: row.decimal('ibCommission', 'commission'),
    ibCommissionCurrency: row.text('ibCommissionCurrency', 'commissionCurrency'),
    notes: row.codes('notes', 'code'),
    openCloseIndicator: row.text('openCloseIndicator'),
    fifoPnlRealized: row.decimal('fifoPnlRealized'),
    buySell: row.text('buySell'),
    ibOrderID: row.text('ibOrderID', 'orderID'),
    ibExecID: row.text('ibExecID', 'execID'),
    orderReference: row.text('orderReference'),
  };
}

/** The rows of a section (every element in it, whatever its kind), in the order written. */
function readSection(section: Node, lineOf: (offset: number) => number): FlexTrade[] {
  const rows: FlexTrade[] = [];
  for (const [element, value] of Object.entries(section)) {
    if (element === ATTRS || element === '#text') continue;
    for (const node of asNodes(value)) rows.push(readTrade(node, element, lineOf));
  }
  return rows.sort((a, b) => a.line - b.line);
}

function readStatement(node: Node, lineOf: (offset: number) => number): FlexStatement {
  const line = lineOf((node[META] as { startIndex?: number } | undefined)?.startIndex ?? 0);
  const attrs = attributes(node);
  const row = new Row(attrs, line, 'FlexStatement');
  const accountId = row.text('accountId');
  if (accountId === undefined) {
    throw new FlexInputError(`line ${line}: FlexStatement without an accountId`, line);
  }
  const section = 'Trades' in node ? node.Trades : node.TradeConfirms;
  if (section === undefined) {
    throw new FlexInputError(
      `line ${line}: the statement of ${accountId} has no Trades section: add the Trades section ` +
        '(at execution level) to the Flex query',
      line,
    );
  }
  return {
    line,
    accountId,
    fromDate: row.date('fromDate'),
    toDate: row.date('toDate'),
    period: row.text('period'),
    whenGenerated: row.dateTime('whenGenerated'),
    // An empty section (<Trades/>) is a statement of a period without trades.
    trades: readSection(asNode(section) ?? {}, lineOf),
  };
}

/** The Web Service's envelope, when it is what the file holds: what to tell the user. */
function envelopeMessage(envelope: Node): string {
  const field = (name: string): string | undefined => {
    const value = envelope[name];
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  };
  const status = field('Status');
  const code = field('ErrorCode');
  const message = field('ErrorMessage');
  const detail = code || message ? `: error ${code ?? '?'}${message ? ` (${message})` : ''}` : '';
  const next = field('ReferenceCode') ? ' (a SendRequest answer: fetch the statement with GetStatement)' : '';
  return `a Flex Web Service response (<FlexStatementResponse>${status ? `, status ${status}` : ''}${detail})${next}, not a statement`;
}

/**
 * Parses a Flex statement. Throws FlexInputError naming the line (and the trade, for a bad
 * value) when the text is not XML, not a Flex statement (an HTML login page, the Web Service's
 * error envelope), a statement without a Trades section, or holds an unreadable number or time.
 */
export function parseFlexStatement(xml: string): FlexQueryResponse {
  const text = xml.replace(/^\uFEFF/, '');
  const start = text.trimStart();
  if (start === '') throw new FlexInputError('the statement is empty: not a Flex statement');
  if (/^(<!doctype\s+html|<html)/i.test(start)) {
    throw new FlexInputError(
      'an HTML page (a Client Portal login or error page?), not a Flex statement: download the statement as XML',
    );
  }
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    const { line, msg } = valid.err;
    throw new FlexInputError(`line ${line}: not XML (${msg}): not a Flex statement`, line);
  }
  const doc = asNode(parser.parse(text)) ?? {};
  const lineOf = lineIndex(text);
  const root = asNode(doc.FlexQueryResponse);
  if (root === undefined) {
    if ('FlexStatementResponse' in doc) {
      throw new FlexInputError(envelopeMessage(asNode(doc.FlexStatementResponse) ?? {}), 1);
    }
    const name = Object.keys(doc).find((key) => !key.startsWith('?')) ?? '(none)';
    throw new FlexInputError(
      `the root element is <${name}>, not <FlexQueryResponse>: not a Flex statement`,
      1,
    );
  }
  const attrs = attributes(root);
  if (root.FlexStatements === undefined) {
    throw new FlexInputError('<FlexQueryResponse> without <FlexStatements>: not a Flex statement', 1);
  }
  return {
    queryName: attrs.queryName,
    type: attrs.type,
    statements: asNodes(asNode(root.FlexStatements)?.FlexStatement).map((node) =>
      readStatement(node, lineOf),
    ),
  };
}
