import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FlexInputError } from '../domain/flex.js';
import { parseFlexStatement } from './parse-statement.js';

const FIXTURE = readFileSync(
  new URL('../../test/fixtures/flex/activity-statement.xml', import.meta.url),
  'utf8',
);

/** The line of the fixture that holds `needle`, found by reading the text, not by the parser. */
const lineOf = (needle: string): number => FIXTURE.split('\n').findIndex((line) => line.includes(needle)) + 1;

/** A one-statement Flex document around the given Trades rows (one a line from line 4 on). */
const statement = (
  rows: string[],
  attrs = 'accountId="U1234567" fromDate="20261130" toDate="20261130"',
): string =>
  [
    '<FlexQueryResponse queryName="t" type="AF">',
    '<FlexStatements count="1">',
    `<FlexStatement ${attrs}>`,
    '<Trades>',
    ...rows,
    '</Trades>',
    '</FlexStatement>',
    '</FlexStatements>',
    '</FlexQueryResponse>',
  ].join('\n');

const trade = (attrs: string): string =>
  `<Trade accountId="U1234567" currency="USD" assetCategory="STK" symbol="AAPL" conid="265598" tradeID="11" ` +
  `dateTime="20261130;093512" quantity="10" tradePrice="230" ibCommission="-1" ibExecID="0000e0d5.1.01.01" ` +
  `levelOfDetail="EXECUTION" ${attrs}/>`;

function inputError(xml: string): FlexInputError {
  try {
    parseFlexStatement(xml);
  } catch (error) {
    if (error instanceof FlexInputError) return error;
    throw error;
  }
  throw new Error('parsed without an error');
}

describe('parseFlexStatement on the checked-in Activity statement', () => {
  const response = parseFlexStatement(FIXTURE);
  const [only] = response.statements;
  const rows = only?.trades ?? [];
  const row = (execId: string) => rows.find((t) => t.ibExecID === execId);

  it('reads the query and the statement', () => {
    expect(response.queryName).toBe('Trades history');
    expect(response.type).toBe('AF');
    expect(response.statements).toHaveLength(1);
    expect(only).toMatchObject({
      line: 4,
      accountId: 'U1234567',
      fromDate: '2026-11-25',
      toDate: '2026-11-30',
      period: 'Last5CalendarDays',
      whenGenerated: { date: '2026-11-30', time: '18:30:12' },
    });
  });

  it('keeps every row of the Trades section in order, executions, the order and the closed lots', () => {
    // 12 executions (one the cancellation), 1 ORDER row, 2 CLOSED_LOT rows, on lines 7 to 21, then
    // 5 executions on lines 22 to 26 (three of them booked by IB: an expiry and an assignment).
    expect(rows.map((t) => t.element)).toEqual([
      ...['Trade', 'Trade', 'Trade', 'Trade', 'Order', 'Trade', 'Trade', 'Trade', 'Lot'],
      ...['Trade', 'Trade', 'Trade', 'Trade', 'Trade', 'Lot'],
      ...['Trade', 'Trade', 'Trade', 'Trade', 'Trade'],
    ]);
    expect(rows.map((t) => t.line)).toEqual(Array.from({ length: 20 }, (_, i) => 7 + i));
    expect(rows.map((t) => t.levelOfDetail)).toEqual(
      rows.map((t) => ({ Trade: 'EXECUTION', Order: 'ORDER', Lot: 'CLOSED_LOT' })[t.element]),
    );
  });

  it('reads a stock trade field by field, money as the text IB wrote', () => {
    expect(row('0000e0d5.67470b34.01.01')).toEqual({
      line: lineOf('0000e0d5.67470b34.01.01'),
      element: 'Trade',
      levelOfDetail: 'EXECUTION',
      transactionType: 'ExchTrade',
      accountId: 'U1234567',
      currency: 'USD',
      fxRateToBase: '1',
      assetCategory: 'STK',
      symbol: 'AAPL',
      underlyingSymbol: undefined,
      description: 'APPLE INC',
      conid: 265598,
      listingExchange: 'NASDAQ',
      multiplier: '1',
      strike: undefined,
      expiry: undefined,
      putCall: undefined,
      tradeID: '7001001107',
      // origTradeID="" is absent, not an empty id.
      origTradeID: undefined,
      transactionID: '29800000107',
      tradeDate: '2026-11-27',
      dateTime: { date: '2026-11-27', time: '10:12:03' },
      exchange: 'NASDAQ',
      quantity: '-40',
      tradePrice: '232.1',
      ibCommission: '-1',
      ibCommissionCurrency: 'USD',
      notes: [],
      openCloseIndicator: 'C',
      fifoPnlRealized: '142.6',
      buySell: 'SELL',
      ibOrderID: '4100000106',
      ibExecID: '0000e0d5.67470b34.01.01',
      orderReference: undefined,
    });
  });

  it('reads the option, the future and the EUR trade', () => {
    expect(row('0000e0d5.67450a11.01.01')).toMatchObject({
      assetCategory: 'OPT',
      symbol: 'AAPL  261218C00230000',
      underlyingSymbol: 'AAPL',
      multiplier: '100',
      strike: '230',
      expiry: '2026-12-18',
      putCall: 'C',
      quantity: '2',
      tradePrice: '6.85',
    });
    expect(row('0000f2a0.6746f7d1.01.01')).toMatchObject({
      assetCategory: 'FUT',
      symbol: 'MESZ6',
      underlyingSymbol: 'MES',
      multiplier: '5',
      strike: undefined,
      expiry: '2026-12-18',
      putCall: undefined,
    });
    expect(row('0001f4e8.6744c1a0.01.01')).toMatchObject({
      currency: 'EUR',
      fxRateToBase: '1.0512',
      ibCommission: '-3',
      ibCommissionCurrency: 'EUR',
      exchange: 'IBIS',
    });
  });

  it('reads the cancellation: its codes, the trade it cancels, no execution id', () => {
    const reversal = rows.find((t) => t.tradeID === '7001001109');
    expect(reversal).toMatchObject({
      line: lineOf('tradeID="7001001109"'),
      transactionType: 'TradeCancel',
      buySell: 'BUY (Ca.)',
      quantity: '-10',
      notes: ['Ca'],
      origTradeID: '7001001108',
      ibExecID: undefined,
      // exchange="--" is Flex's "none".
      exchange: undefined,
    });
  });
});

describe('parseFlexStatement values', () => {
  it('reads empty, placeholder and Double.MAX values as absent, never 0', () => {
    const [t] = parseFlexStatement(
      statement([
        trade(
          'fifoPnlRealized="1.7976931348623157E308" strike="" multiplier="" exchange="--" extExecID="N/A"',
        ),
      ]),
    ).statements[0]!.trades;
    expect(t).toMatchObject({ fifoPnlRealized: undefined, strike: undefined, multiplier: undefined });
    expect(t?.exchange).toBeUndefined();
  });

  it('keeps decimals exactly, exponents and all, and drops thousands separators', () => {
    const [t] = parseFlexStatement(
      statement([trade('fifoPnlRealized="0.30000000000000004" cost="1,234.5" ')]),
    ).statements[0]!.trades;
    expect(t?.fifoPnlRealized).toBe('0.30000000000000004');
    const [u] = parseFlexStatement(statement([trade('fifoPnlRealized="1,234.5"')])).statements[0]!.trades;
    expect(u?.fifoPnlRealized).toBe('1234.5');
  });

  it('splits the codes of notes', () => {
    const [t] = parseFlexStatement(statement([trade('notes="C;P;LT"')])).statements[0]!.trades;
    expect(t?.notes).toEqual(['C', 'P', 'LT']);
  });

  it('joins tradeDate and tradeTime when the query has no dateTime', () => {
    const row = trade('tradeDate="20261130" tradeTime="093512"').replace(' dateTime="20261130;093512"', '');
    const [t] = parseFlexStatement(statement([row])).statements[0]!.trades;
    expect(t?.dateTime).toEqual({ date: '2026-11-30', time: '09:35:12' });
  });

  it('reads a Trade Confirmation query, whose rows name some values differently', () => {
    const xml = [
      '<FlexQueryResponse queryName="tc" type="TCF"><FlexStatements count="1">',
      '<FlexStatement accountId="U1234567" fromDate="20261130" toDate="20261130">',
      '<TradeConfirms>',
      '<TradeConfirm accountId="U1234567" currency="USD" assetCategory="STK" symbol="AAPL" conid="265598" ' +
        'tradeID="12" orderID="41" execID="0000e0d5.2.01.01" dateTime="20261130;093512" buySell="BUY" ' +
        'quantity="5" price="230.5" commission="-1" commissionCurrency="USD" code="O;P" levelOfDetail="EXECUTION" />',
      '</TradeConfirms></FlexStatement></FlexStatements></FlexQueryResponse>',
    ].join('\n');
    const [t] = parseFlexStatement(xml).statements[0]!.trades;
    expect(t).toMatchObject({
      line: 4,
      element: 'TradeConfirm',
      ibExecID: '0000e0d5.2.01.01',
      ibOrderID: '41',
      tradePrice: '230.5',
      ibCommission: '-1',
      ibCommissionCurrency: 'USD',
      notes: ['O', 'P'],
    });
  });

  it('reads an empty Trades section as a statement without trades', () => {
    expect(parseFlexStatement(statement([])).statements[0]?.trades).toEqual([]);
    const selfClosed = statement([]).replace('<Trades>\n</Trades>', '<Trades/>');
    expect(parseFlexStatement(selfClosed).statements[0]?.trades).toEqual([]);
  });

  it('reads a statement with several accounts, one FlexStatement each', () => {
    const xml = statement([trade('')]).replace(
      '</FlexStatements>',
      '<FlexStatement accountId="U7654321"><Trades/></FlexStatement>\n</FlexStatements>',
    );
    expect(parseFlexStatement(xml).statements.map((s) => s.accountId)).toEqual(['U1234567', 'U7654321']);
  });

  it('reads a file that starts with a byte order mark, with CRLF lines', () => {
    const xml = `\uFEFF<?xml version="1.0" encoding="UTF-8"?>\r\n${statement([trade('')]).replaceAll('\n', '\r\n')}`;
    expect(parseFlexStatement(xml).statements[0]?.trades[0]?.line).toBe(6);
  });
});

describe('parseFlexStatement refuses what is not a statement', () => {
  it.each([
    ['text', 'hello', /^line 1: not XML/],
    ['JSON', '{"trades": []}', /^line 1: not XML/],
    ['an empty file', '  \n', /empty: not a Flex statement/],
    [
      'an HTML login page',
      '<!DOCTYPE html>\n<html><body>Log in</body></html>',
      /an HTML page.*download the statement as XML/,
    ],
    [
      'another XML document',
      '<?xml version="1.0"?>\n<rss version="2.0"/>',
      /root element is <rss>, not <FlexQueryResponse>/,
    ],
  ])('%s', (_, xml, message) => {
    expect(inputError(xml).message).toMatch(message);
  });

  it('names the line where the XML breaks', () => {
    const error = inputError(statement([trade('')]).replace('</Trades>', '</Trade>'));
    // <FlexQueryResponse> is line 1, the Trade row line 5, the broken closing tag line 6.
    expect(error.line).toBe(6);
    expect(error.message).toMatch(/^line 6: not XML \(Expected closing tag 'Trades'/);
  });

  it('says when the file is the Web Service envelope with its error, not a statement', () => {
    const envelope = [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<FlexStatementResponse timestamp="30 November, 2026 06:31 PM EST">',
      '<Status>Warn</Status>',
      '<ErrorCode>1019</ErrorCode>',
      '<ErrorMessage>Statement generation in progress. Please try again shortly.</ErrorMessage>',
      '</FlexStatementResponse>',
    ].join('\n');
    expect(inputError(envelope).message).toBe(
      'a Flex Web Service response (<FlexStatementResponse>, status Warn: error 1019 (Statement generation ' +
        'in progress. Please try again shortly.)), not a statement',
    );
  });

  it('refuses a statement without a Trades section, naming the account and the line', () => {
    const xml = statement([]).replace('<Trades>\n</Trades>', '<OpenPositions/>');
    const error = inputError(xml);
    expect(error.line).toBe(3);
    expect(error.message).toMatch(/^line 3: the statement of U1234567 has no Trades section/);
  });

  it('refuses a statement without an account', () => {
    expect(inputError(statement([], 'fromDate="20261130"')).message).toBe(
      'line 3: FlexStatement without an accountId',
    );
  });

  it('names the line, the trade and the attribute of a number it cannot read', () => {
    const error = inputError(statement([trade(''), trade('').replace('quantity="10"', 'quantity="ten"')]));
    expect(error.line).toBe(6);
    expect(error.message).toBe(
      'line 6: Trade (tradeID 11, ibExecID 0000e0d5.1.01.01, AAPL): quantity "ten" is not a number',
    );
  });

  it('names the line, the trade and the attribute of a time it cannot read', () => {
    const error = inputError(statement([trade('').replace('20261130;093512', '30.11.2026 09:35')]));
    expect(error.line).toBe(5);
    expect(error.message).toMatch(
      /^line 5: Trade \(tradeID 11, .*\): dateTime "30\.11\.2026 09:35" is not a date\/time/,
    );
  });

  it('refuses an ambiguous date format, saying which to choose', () => {
    const error = inputError(statement([trade('').replace('20261130;093512', '11/30/2026;093512')]));
    expect(error.message).toMatch(/^line 5: .*dateTime "11\/30\/2026" is ambiguous.*yyyyMMdd or yyyy-MM-dd/);
  });

  it('refuses a conid that is not an id', () => {
    expect(inputError(statement([trade('').replace('conid="265598"', 'conid="26x"')])).message).toMatch(
      /^line 5: .*conid "26x" is not an id/,
    );
  });
});
