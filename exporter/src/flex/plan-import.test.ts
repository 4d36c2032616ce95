import { readFileSync } from 'node:fs';
import Big from 'big.js';
import { describe, expect, it } from 'vitest';
import { type FlexBatch, FlexInputError } from '../domain/flex.js';
import { parseFlexStatement } from './parse-statement.js';
import { negateDecimal, planFlexImport, type FlexPlanOptions } from './plan-import.js';

const FIXTURE = readFileSync(
  new URL('../../test/fixtures/flex/activity-statement.xml', import.meta.url),
  'utf8',
);
const lineOf = (needle: string): number => FIXTURE.split('\n').findIndex((line) => line.includes(needle)) + 1;

const plan = (xml: string, options?: FlexPlanOptions): FlexBatch =>
  planFlexImport(parseFlexStatement(xml), options);

/** Statements of one account each; the rows of the first start on line 5. */
function statement(
  rows: string[],
  { account = 'U1234567', whenGenerated = '20261130;183012', more = '' } = {},
): string {
  return [
    '<FlexQueryResponse queryName="t" type="AF">',
    '<FlexStatements count="1">',
    `<FlexStatement accountId="${account}" fromDate="20261130" toDate="20261130" whenGenerated="${whenGenerated}">`,
    '<Trades>',
    ...rows,
    '</Trades>',
    '</FlexStatement>',
    more,
    '</FlexStatements>',
    '</FlexQueryResponse>',
  ].join('\n');
}

/** One execution row; `attrs` replace the defaults of the same name. */
function trade(attrs: Record<string, string> = {}): string {
  const all: Record<string, string> = {
    accountId: 'U1234567',
    currency: 'USD',
    assetCategory: 'STK',
    symbol: 'AAPL',
    conid: '265598',
    multiplier: '1',
    tradeID: '11',
    dateTime: '20261130;093512',
    exchange: 'ISLAND',
    quantity: '10',
    tradePrice: '230',
    ibCommission: '-1',
    ibCommissionCurrency: 'USD',
    openCloseIndicator: 'O',
    notes: '',
    fifoPnlRealized: '0',
    buySell: 'BUY',
    ibOrderID: '41',
    ibExecID: '0000e0d5.1.01.01',
    levelOfDetail: 'EXECUTION',
    ...attrs,
  };
  return `<Trade ${Object.entries(all)
    .map(([name, value]) => `${name}="${value}"`)
    .join(' ')} />`;
}

function inputError(run: () => unknown): FlexInputError {
  try {
    run();
  } catch (error) {
    if (error instanceof FlexInputError) return error;
    throw error;
  }
  throw new Error('planned without an error');
}

/** 2026-11-25 to 11-30 are after the end of daylight saving time: US/Eastern is UTC-5. */
const eastern = (day: number, hour: number, minute: number, second: number): number =>
  Date.UTC(2026, 10, day, hour + 5, minute, second);

describe('planFlexImport of the checked-in Activity statement', () => {
  const batch = plan(FIXTURE);
  const fill = (execId: string) => batch.fills.find((f) => f.execution.execId === execId);

  it('covers its account', () => {
    expect(batch.accounts).toEqual(['U1234567']);
  });

  it('makes a fill of every execution but the cancelled one and its reversal, in time order', () => {
    expect(
      batch.fills.map((f) => [f.line, f.execution.contract.symbol, f.execution.side, f.execution.shares]),
    ).toEqual([
      [7, 'SAP', 'buy', 20],
      [8, 'AAPL', 'buy', 100],
      [22, 'TSLA', 'buy', 1],
      [24, 'NVDA', 'sell', 1],
      [9, 'MSFT', 'buy', 30],
      [10, 'MSFT', 'buy', 20],
      [12, 'AAPL', 'buy', 2],
      [13, 'MES', 'buy', 1],
      [14, 'AAPL', 'sell', 40],
      [18, 'MES', 'sell', 1],
      [19, 'AAPL', 'sell', 2],
      [20, 'AAPL', 'sell', 60],
    ]);
  });

  it('ignores the ORDER row and the CLOSED_LOT rows, which restate fills', () => {
    const lines = batch.fills.map((f) => f.line);
    for (const ignored of [11, 15, 21]) expect(lines).not.toContain(ignored);
  });

  it('cancels the NVDA buy with its reversal, storing neither', () => {
    expect(batch.cancellations).toEqual([
      {
        line: lineOf('tradeID="7001001109"'),
        account: 'U1234567',
        tradeId: '7001001108',
        // From the cancelled buy's own row: the cancellation writes no ibExecID.
        baseExecId: '0000e0d5.67470f20.01',
      },
    ]);
    expect(
      batch.fills.some(
        (f) => f.execution.contract.secType === 'STK' && f.execution.contract.symbol === 'NVDA',
      ),
    ).toBe(false);
  });

  it('leaves out the expiry and the assignment IB booked without an execution, saying why', () => {
    expect(batch.ignored).toEqual([
      { line: 23, account: 'U1234567', reason: 'option expiry booked by IB (Ep), not an execution' },
      { line: 25, account: 'U1234567', reason: 'option assignment booked by IB (A), not an execution' },
      { line: 26, account: 'U1234567', reason: 'option assignment booked by IB (A), not an execution' },
    ]);
    for (const line of [23, 25, 26]) expect(batch.fills.map((f) => f.line)).not.toContain(line);
  });

  it('so the expired put and the assigned put stay open in what the ledger gets, and no NVDA shares arrive', () => {
    // Worked by hand: +1 TSLA put bought (line 22), -1 NVDA put sold (line 24); the expiry (23),
    // the assignment (25) and its 100 shares (26) are not fills.
    const held = new Map<number, number>();
    for (const { execution } of batch.fills) {
      const signed = execution.side === 'buy' ? execution.shares : -execution.shares;
      held.set(execution.contract.conId, (held.get(execution.contract.conId) ?? 0) + signed);
    }
    expect(held.get(760001001)).toBe(1);
    expect(held.get(760001002)).toBe(-1);
    expect(held.has(4815747)).toBe(false);
    expect(fill('0000e0d5.6744e001.01.01')?.report).toMatchObject({
      commission: '0.65',
      realizedPnl: undefined,
    });
  });

  it('turns the stock buy into the execution and commission report the API would have sent', () => {
    expect(fill('0000e0d5.6744d8c0.01.01')).toEqual({
      line: 8,
      execution: {
        execId: '0000e0d5.6744d8c0.01.01',
        baseExecId: '0000e0d5.6744d8c0.01',
        revision: 1,
        account: 'U1234567',
        contract: {
          conId: 265598,
          symbol: 'AAPL',
          secType: 'STK',
          currency: 'USD',
          exchange: 'ISLAND',
          localSymbol: 'AAPL',
          multiplier: 1,
          lastTradeDate: undefined,
          strike: undefined,
          right: undefined,
        },
        side: 'buy',
        shares: 100,
        price: 228.5,
        // 09:35:12 in New York on 2026-11-25 (the statement writes no zone: US/Eastern).
        time: eastern(25, 9, 35, 12),
        exchange: 'ISLAND',
        orderRef: undefined,
        source: 'flex',
        tradeId: '7001001102',
      },
      report: {
        execId: '0000e0d5.6744d8c0.01.01',
        baseExecId: '0000e0d5.6744d8c0.01',
        revision: 1,
        // ibCommission="-1": Flex's cost is negative, the API's positive.
        commission: '1',
        currency: 'USD',
        // An opening trade realizes nothing: unknown, as the API's Double.MAX, not fifoPnlRealized="0".
        realizedPnl: undefined,
        source: 'flex',
      },
    });
  });

  it('realizes FIFO PnL, net of commissions, on the closing trades', () => {
    const realized = (execId: string) => fill(execId)?.report.realizedPnl;
    // AAPL bought 100 at 228.50 for 1.00; 40 sold at 232.10 for 1.00: 40 × 3.60 − 0.40 − 1.00.
    expect(realized('0000e0d5.67470b34.01.01')).toBe(
      new Big('232.10').minus('228.50').times(40).minus('1.40').toString(),
    );
    // The other 60 at 230.05 for 1.00: 60 × 1.55 − 0.60 − 1.00.
    expect(realized('0000e0d5.674b5e91.01.01')).toBe('91.4');
    // 2 calls (×100) bought at 6.85 for 1.30, sold at 7.40 for 1.3076: 2 × 100 × 0.55 − 2.6076.
    expect(realized('0000e0d5.674b1c02.01.01')).toBe(new Big('110').minus('2.6076').toString());
    // 1 MES (×5) bought at 6012.25, sold at 6020.50, 0.62 each way: 5 × 8.25 − 1.24.
    expect(realized('0000f2a0.674733e5.01.01')).toBe('40.01');
  });

  it('names the option by its underlying and keeps its local symbol, multiplier, expiry, strike and right', () => {
    expect(fill('0000e0d5.67450a11.01.01')?.execution).toMatchObject({
      contract: {
        conId: 745212345,
        symbol: 'AAPL',
        localSymbol: 'AAPL  261218C00230000',
        secType: 'OPT',
        multiplier: 100,
        lastTradeDate: '20261218',
        strike: 230,
        right: 'C',
      },
      price: 6.85,
      shares: 2,
      time: eastern(25, 13, 5, 44),
    });
    expect(fill('0000e0d5.67450a11.01.01')?.report.commission).toBe('1.3');
  });

  it('reads the future with its multiplier of 5', () => {
    expect(fill('0000f2a0.6746f7d1.01.01')?.execution.contract).toEqual({
      conId: 711280073,
      symbol: 'MES',
      secType: 'FUT',
      currency: 'USD',
      exchange: 'CME',
      localSymbol: 'MESZ6',
      multiplier: 5,
      lastTradeDate: '20261218',
      strike: undefined,
      right: undefined,
    });
    expect(fill('0000f2a0.674733e5.01.01')?.execution).toMatchObject({
      side: 'sell',
      shares: 1,
      price: 6020.5,
    });
  });

  it('keeps the EUR trade in EUR, its commission in EUR, never converted to the account’s USD', () => {
    const sap = fill('0001f4e8.6744c1a0.01.01');
    expect(sap?.execution.contract.currency).toBe('EUR');
    expect(sap?.report).toMatchObject({ commission: '3', currency: 'EUR', realizedPnl: undefined });
    // 04:15:33 in New York is 10:15:33 in Frankfurt.
    expect(sap?.execution.time).toBe(Date.UTC(2026, 10, 25, 9, 15, 33));
  });

  it('keeps the two executions of the split order as two fills', () => {
    const msft = batch.fills.filter((f) => f.execution.contract.conId === 272093);
    expect(
      msft.map((f) => [f.execution.execId, f.execution.shares, f.execution.price, f.report.commission]),
    ).toEqual([
      ['0000e0d5.6744f2a1.01.01', 30, 415.2, '1'],
      ['0000e0d5.6744f2a2.01.01', 20, 415.22, '0.1'],
    ]);
  });
});

describe('planFlexImport rules', () => {
  it('refuses an execution without ibExecID, naming the line, the trade and the symbol', () => {
    const error = inputError(() =>
      plan(statement([trade(), trade({ ibExecID: '', tradeID: '12', symbol: 'MSFT' })])),
    );
    expect(error.line).toBe(6);
    expect(error.message).toBe(
      'line 6: trade 12, MSFT: no ibExecID: add "IB Execution ID" to the Trades section of the Flex query',
    );
  });

  it('leaves out a row IB booked without an execution and lists it with the reason', () => {
    const booked = (notes: string, transactionType = 'BookTrade') =>
      trade({ transactionType, notes, ibExecID: '', quantity: '-2', buySell: 'SELL', tradePrice: '0' });
    const batch = plan(
      statement([
        booked('C;Ep'),
        booked('A;C'),
        booked('Ex;C'),
        booked('AFx', ''),
        booked(''),
        trade({ ibExecID: '0000e0d5.7.01.01', tradeID: '17' }),
      ]),
    );
    expect(batch.ignored).toEqual([
      { line: 5, account: 'U1234567', reason: 'option expiry booked by IB (Ep), not an execution' },
      { line: 6, account: 'U1234567', reason: 'option assignment booked by IB (A), not an execution' },
      { line: 7, account: 'U1234567', reason: 'option exercise booked by IB (Ex), not an execution' },
      {
        line: 8,
        account: 'U1234567',
        reason: 'automatic currency conversion booked by IB (AFx), not an execution',
      },
      { line: 9, account: 'U1234567', reason: 'booked by IB (BookTrade), not an execution' },
    ]);
    expect(batch.fills.map((f) => f.line)).toEqual([10]);
  });

  it('still refuses an exchange execution without ibExecID, whatever its codes say', () => {
    const error = inputError(() =>
      plan(statement([trade({ transactionType: 'ExchTrade', notes: 'Ep', ibExecID: '', tradeID: '12' })])),
    );
    expect(error.line).toBe(5);
    expect(error.message).toBe(
      'line 5: trade 12, AAPL: no ibExecID: add "IB Execution ID" to the Trades section of the Flex query',
    );
  });

  it('keeps a booked row that does carry an ibExecID as a fill', () => {
    const batch = plan(statement([trade({ transactionType: 'BookTrade', notes: 'Ep' })]));
    expect(batch.fills.map((f) => f.execution.execId)).toEqual(['0000e0d5.1.01.01']);
    expect(batch.ignored).toEqual([]);
  });

  it('names a currency pair as the API does: its base currency, the pair as local symbol', () => {
    const fx = trade({ assetCategory: 'CASH', symbol: 'EUR.USD', conid: '12087792', exchange: 'IDEALFX' });
    expect(plan(statement([fx])).fills[0]?.execution.contract).toMatchObject({
      symbol: 'EUR',
      localSymbol: 'EUR.USD',
      secType: 'CASH',
      currency: 'USD',
    });
  });

  it('sends a cancellation of a trade from an earlier statement, with no fill', () => {
    const batch = plan(
      statement([
        trade({
          tradeID: '13',
          origTradeID: '9',
          buySell: 'SELL (Ca.)',
          quantity: '10',
          notes: 'Ca',
          ibExecID: '',
        }),
      ]),
    );
    expect(batch.fills).toEqual([]);
    expect(batch.cancellations).toEqual([{ line: 5, account: 'U1234567', tradeId: '9' }]);
  });

  it('takes a cancellation without origTradeID as repeating the id of the trade it cancels', () => {
    const batch = plan(statement([trade({ tradeID: '9', transactionType: 'TradeCancel', quantity: '-10' })]));
    expect(batch.cancellations).toEqual([{ line: 5, account: 'U1234567', tradeId: '9' }]);
  });

  it('makes a correction the cancellation of the trade it corrects plus a fill', () => {
    const batch = plan(
      statement([
        trade({ tradeID: '9', ibExecID: '0000e0d5.9.01.01' }),
        trade({
          tradeID: '10',
          origTradeID: '9',
          notes: 'Co',
          tradePrice: '230.5',
          ibExecID: '0000e0d5.10.01.01',
        }),
      ]),
    );
    expect(batch.cancellations).toEqual([
      { line: 6, account: 'U1234567', tradeId: '9', baseExecId: '0000e0d5.9.01' },
    ]);
    expect(batch.fills.map((f) => [f.line, f.execution.tradeId, f.execution.price])).toEqual([
      [6, '10', 230.5],
    ]);
  });

  it('keeps a correction that repeats the id of the trade it corrects', () => {
    const batch = plan(
      statement([
        trade({ tradeID: '9', ibExecID: '0000e0d5.9.01.01' }),
        trade({
          tradeID: '9',
          origTradeID: '9',
          notes: 'Co',
          tradePrice: '230.5',
          ibExecID: '0000e0d5.19.01.01',
        }),
      ]),
    );
    expect(batch.fills.map((f) => f.line)).toEqual([6]);
    // The execId of the trade it corrects, not its own.
    expect(batch.cancellations.map((c) => c.baseExecId)).toEqual(['0000e0d5.9.01']);
  });

  it('keeps a fill IB cancelled and booked again under the same tradeID as the higher revision', () => {
    // Bought 2, cancelled, booked again as 1 under the same trade id with the execId's next
    // revision, then 1 more as a trade of its own: 2 held, no cancellation left to send.
    const batch = plan(
      statement([
        trade({ tradeID: '9', quantity: '2', ibExecID: '0000e0d5.9.01.01' }),
        trade({
          tradeID: '',
          origTradeID: '9',
          notes: 'Ca',
          ibExecID: '',
          quantity: '-2',
          buySell: 'BUY (Ca.)',
        }),
        trade({ tradeID: '9', quantity: '1', ibExecID: '0000e0d5.9.01.02' }),
        trade({ tradeID: '10', quantity: '1', ibExecID: '0000e0d5.10.01.01' }),
      ]),
    );
    expect(batch.fills.map((f) => [f.line, f.execution.execId, f.execution.shares])).toEqual([
      [7, '0000e0d5.9.01.02', 1],
      [8, '0000e0d5.10.01.01', 1],
    ]);
    expect(batch.cancellations).toEqual([]);
  });

  it('names no execId for a cancelled trade whose rows disagree on it', () => {
    const batch = plan(
      statement([
        trade({ tradeID: '9', ibExecID: '0000e0d5.9.01.01' }),
        trade({ tradeID: '9', ibExecID: '0000e0d5.29.01.01' }),
        trade({
          tradeID: '13',
          origTradeID: '9',
          notes: 'Ca',
          ibExecID: '',
          quantity: '-10',
          buySell: 'BUY (Ca.)',
        }),
      ]),
    );
    expect(batch.cancellations).toEqual([{ line: 7, account: 'U1234567', tradeId: '9' }]);
  });

  it('stores a row written twice once', () => {
    const batch = plan(statement([trade(), trade()]));
    expect(batch.fills.map((f) => f.line)).toEqual([5]);
  });

  it('refuses two different trades under one ibExecID, naming both lines', () => {
    const error = inputError(() => plan(statement([trade(), trade({ tradeID: '12', quantity: '11' })])));
    expect(error.line).toBe(6);
    expect(error.message).toBe(
      'line 6: trade 12, AAPL, ibExecID 0000e0d5.1.01.01: ibExecID 0000e0d5.1.01.01 is also the different trade on line 5',
    );
  });

  it('keeps the higher revision of a corrected execution, whichever line comes first', () => {
    const corrected = trade({ ibExecID: '0000e0d5.1.01.02', tradePrice: '230.1' });
    for (const rows of [
      [trade(), corrected],
      [corrected, trade()],
    ]) {
      const batch = plan(statement(rows));
      expect(
        batch.fills.map((f) => [f.execution.execId, f.execution.baseExecId, f.execution.revision]),
      ).toEqual([['0000e0d5.1.01.02', '0000e0d5.1.01', 2]]);
    }
  });

  it('gives one batch of every account of a multi-account statement', () => {
    const second = [
      '<FlexStatement accountId="U7654321" fromDate="20261130" toDate="20261130" whenGenerated="20261130;183012">',
      '<Trades>',
      trade({ accountId: 'U7654321', ibExecID: '0000e0d5.2.01.01', tradeID: '21' }),
      '</Trades>',
      '</FlexStatement>',
    ].join('\n');
    const batch = plan(statement([trade()], { more: second }));
    expect(batch.accounts).toEqual(['U1234567', 'U7654321']);
    expect(batch.fills.map((f) => [f.execution.account, f.execution.tradeId])).toEqual([
      ['U1234567', '11'],
      ['U7654321', '21'],
    ]);
  });

  it('takes the side from buySell and checks it against the sign of quantity', () => {
    const sell = plan(statement([trade({ buySell: 'SELL', quantity: '-3.5', openCloseIndicator: 'C' })]))
      .fills[0];
    expect(sell?.execution).toMatchObject({ side: 'sell', shares: 3.5 });
    const bySign = plan(statement([trade({ buySell: '', quantity: '-2' })])).fills[0];
    expect(bySign?.execution.side).toBe('sell');
    expect(inputError(() => plan(statement([trade({ buySell: 'SELL', quantity: '10' })]))).message).toBe(
      'line 5: trade 11, AAPL, ibExecID 0000e0d5.1.01.01: buySell SELL contradicts quantity 10',
    );
  });

  it('realizes fifoPnlRealized exactly as written on a closing or flipping trade, never through a float', () => {
    const closing = plan(
      statement([trade({ openCloseIndicator: 'C', fifoPnlRealized: '0.30000000000000004' })]),
    );
    expect(closing.fills[0]?.report.realizedPnl).toBe('0.30000000000000004');
    const flip = plan(statement([trade({ openCloseIndicator: 'C;O', fifoPnlRealized: '-12.5' })]));
    expect(flip.fills[0]?.report.realizedPnl).toBe('-12.5');
  });

  it('reads the opening or closing code from notes when the query has no openCloseIndicator', () => {
    const closing = plan(statement([trade({ openCloseIndicator: '', notes: 'C;P', fifoPnlRealized: '0' })]));
    expect(closing.fills[0]?.report.realizedPnl).toBe('0');
    const unknown = plan(statement([trade({ openCloseIndicator: '', fifoPnlRealized: '7.25' })]));
    expect(unknown.fills[0]?.report.realizedPnl).toBe('7.25');
    const nothing = plan(statement([trade({ openCloseIndicator: '', fifoPnlRealized: '0' })]));
    expect(nothing.fills[0]?.report.realizedPnl).toBeUndefined();
  });

  it('converts commission signs: a cost becomes positive, a rebate negative, none stays unknown', () => {
    const commission = (ibCommission: string) =>
      plan(statement([trade({ ibCommission })])).fills[0]?.report.commission;
    expect(commission('-1.0512')).toBe('1.0512');
    expect(commission('0.25')).toBe('-0.25');
    expect(commission('0')).toBe('0');
    expect(commission('')).toBeUndefined();
    expect([negateDecimal('-0'), negateDecimal('+2'), negateDecimal('1E-7')]).toEqual(['0', '-2', '-1E-7']);
  });

  it('refuses realized PnL and commission in two currencies, which one report cannot hold', () => {
    const row = trade({
      currency: 'EUR',
      ibCommissionCurrency: 'USD',
      openCloseIndicator: 'C',
      fifoPnlRealized: '5',
    });
    expect(inputError(() => plan(statement([row]))).message).toMatch(
      /^line 5: .*realized PnL in EUR but commission in USD/,
    );
  });

  it('refuses an execution missing what a fill needs, naming it', () => {
    for (const [name, message] of [
      ['conid', 'no conid'],
      ['symbol', 'no symbol'],
      ['currency', 'no currency'],
      ['tradePrice', 'no tradePrice'],
      ['quantity', 'no quantity'],
      ['dateTime', 'no dateTime'],
    ] as const) {
      const error = inputError(() => plan(statement([trade({ [name]: '' })])));
      expect(error.message.endsWith(`: ${message}`), error.message).toBe(true);
      expect(error.line).toBe(5);
    }
  });

  it('treats a Trade without levelOfDetail as an execution, and ignores other levels', () => {
    const batch = plan(
      statement([
        trade({ levelOfDetail: '' }),
        trade({ levelOfDetail: 'SYMBOL_SUMMARY', ibExecID: '', tradeID: '' }),
        trade({ levelOfDetail: 'CLOSED_LOT', ibExecID: '' }),
      ]),
    );
    expect(batch.fills.map((f) => f.line)).toEqual([5]);
  });
});

describe('planFlexImport time zones', () => {
  it('takes zone-less times in US/Eastern by default', () => {
    const [fill] = plan(statement([trade()], { whenGenerated: '20261130;183012' })).fills;
    expect(fill?.execution.time).toBe(eastern(30, 9, 35, 12));
  });

  it('takes them in the zone the statement names, or in the zone of the option', () => {
    const berlin = statement([trade()], { whenGenerated: '20261130;183012 Europe/Berlin' });
    expect(plan(berlin).fills[0]?.execution.time).toBe(Date.UTC(2026, 10, 30, 8, 35, 12));
    expect(plan(berlin, { timeZone: 'Asia/Tokyo' }).fills[0]?.execution.time).toBe(
      Date.UTC(2026, 10, 30, 0, 35, 12),
    );
  });

  it('prefers the zone written on the time itself', () => {
    const [fill] = plan(statement([trade({ dateTime: '20261130;093512 EDT' })]), { timeZone: 'UTC' }).fills;
    expect(fill?.execution.time).toBe(Date.UTC(2026, 10, 30, 13, 35, 12));
  });

  it('refuses a time zone option nobody knows', () => {
    expect(inputError(() => plan(statement([trade()]), { timeZone: 'Eastern' })).message).toMatch(
      /^time zone option: "Eastern" is not a time zone/,
    );
  });
});
