import { XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { parseScenario, type ScenarioInput } from '../scenario.js';
import { checkWellFormed, tradeRows } from '../../../test/support/xml-check.js';
import { scenarioAccountStatements, scenarioStatementXml } from './statement-from-scenario.js';
import { TRADE_ATTRIBUTES, type FlexTradeRow } from './statement.js';

const AAPL = 265598;
const SAP = 14204;
const CALL = 712345678;

const input: ScenarioInput = {
  accounts: [
    { id: 'DU1', baseCurrency: 'USD' },
    { id: 'DU2', baseCurrency: 'USD' },
  ],
  contracts: [
    { conId: AAPL, symbol: 'AAPL', secType: 'STK', currency: 'USD', primaryExchange: 'NASDAQ' },
    { conId: SAP, symbol: 'SAP', secType: 'STK', currency: 'EUR', primaryExchange: 'IBIS' },
    {
      conId: CALL,
      symbol: 'AAPL',
      secType: 'OPT',
      currency: 'USD',
      localSymbol: 'AAPL  261218C00200000',
      multiplier: 100,
      lastTradeDateOrContractMonth: '20261218',
      strike: 200,
      right: 'C',
    },
  ],
  executions: [
    {
      execId: 'e1.01',
      account: 'DU1',
      conId: AAPL,
      time: '2026-11-25T15:00:00Z',
      side: 'SLD',
      shares: 30,
      price: 180,
      commission: { commission: 1, currency: 'USD', realizedPnl: 235 },
    },
    {
      execId: 'e2.01',
      account: 'DU1',
      conId: AAPL,
      time: '2026-11-25T20:00:00Z',
      side: 'BOT',
      shares: 5,
      price: 181,
    },
  ],
  history: {
    days: 3,
    fxRatesToBase: { EUR: 1.05 },
    fills: [
      {
        execId: 'h1.01',
        tradeId: '1001',
        account: 'DU1',
        conId: AAPL,
        time: '2026-11-23T15:00:00Z',
        side: 'BOT',
        shares: 100,
        price: 170,
        commission: 1,
        permId: 77,
      },
      {
        execId: 'h2.01',
        account: 'DU1',
        conId: AAPL,
        time: '2026-11-23T16:00:00Z',
        side: 'BOT',
        shares: 50,
        price: 172,
        commission: 1,
      },
      {
        execId: 'h3.01',
        account: 'DU1',
        conId: AAPL,
        time: '2026-11-24T15:30:00Z',
        side: 'SLD',
        shares: 120,
        price: 175,
        commission: 1.2,
      },
      {
        execId: 'h4.01',
        account: 'DU1',
        conId: CALL,
        time: '2026-11-24T17:00:00Z',
        side: 'BOT',
        shares: 2,
        price: 5.1,
        commission: 1.3,
        closePrice: 5.3,
      },
      {
        execId: 'h5.01',
        tradeId: '1005',
        account: 'DU1',
        conId: SAP,
        time: '2026-11-24T18:00:00Z',
        side: 'BOT',
        shares: 10,
        price: 220,
        commission: 2,
        cancelledAt: '2026-11-24T18:30:00Z',
      },
    ],
  },
};
const scenario = parseScenario(input);
const AT = Date.parse('2026-11-25T18:00:00Z');

const pick = (row: Record<string, string | undefined>, ...names: string[]) =>
  Object.fromEntries(names.map((n) => [n, row[n]]));

describe('a statement from a scenario', () => {
  const [du1, du2] = scenarioAccountStatements(scenario, { at: AT });
  const rows = du1?.trades ?? [];
  /** A fill's row (notes '') or its cancellation's (notes 'Ca'). */
  const row = (execId: string, notes = ''): FlexTradeRow =>
    rows.find((r) => r.ibExecID === execId && (r.notes ?? '') === notes) ?? {};

  it('covers history.days calendar days ending today in New York, one FlexStatement per account', () => {
    expect(du1).toMatchObject({
      accountId: 'DU1',
      fromDate: '20261123',
      toDate: '20261125',
      period: 'Last3CalendarDays',
      whenGenerated: '20261125;130000',
    });
    expect(du2).toMatchObject({ accountId: 'DU2', trades: [] });
  });

  it('has the past fills, the cancellation and today’s fills up to the moment of the request, in IB’s order: asset class, symbol, time', () => {
    expect(rows.map((r) => [r.ibExecID, r.notes])).toEqual([
      ['h1.01', ''],
      ['h2.01', ''],
      ['h3.01', ''],
      ['e1.01', ''],
      ['h5.01', ''],
      ['h5.01', 'Ca'],
      ['h4.01', ''],
    ]);
  });

  it('writes an opening buy as IB does: paid cash negative, cost positive, fifoPnlRealized 0', () => {
    expect(
      pick(
        row('h1.01'),
        'tradeID',
        'dateTime',
        'tradeDate',
        'settleDateTarget',
        'quantity',
        'tradePrice',
        'tradeMoney',
        'proceeds',
        'ibCommission',
        'netCash',
        'cost',
        'fifoPnlRealized',
        'openCloseIndicator',
        'buySell',
        'ibOrderID',
        'levelOfDetail',
        'fxRateToBase',
        'multiplier',
        'strike',
      ),
    ).toEqual({
      tradeID: '1001',
      dateTime: '20261123;100000',
      tradeDate: '20261123',
      settleDateTarget: '20261124',
      quantity: '100',
      tradePrice: '170',
      tradeMoney: '17000',
      proceeds: '-17000',
      ibCommission: '-1',
      netCash: '-17001',
      cost: '17001',
      fifoPnlRealized: '0',
      openCloseIndicator: 'O',
      buySell: 'BUY',
      ibOrderID: '77',
      levelOfDetail: 'EXECUTION',
      fxRateToBase: '1',
      multiplier: '1',
      strike: '',
    });
  });

  it('realizes a sale FIFO: the oldest lot first, commissions of both sides included', () => {
    // 100 of h1 (cost 17001) and 20 of h2 (8601 * 20/50 = 3440.4) against 20998.8 net.
    expect(
      pick(
        row('h3.01'),
        'quantity',
        'proceeds',
        'netCash',
        'cost',
        'fifoPnlRealized',
        'openCloseIndicator',
        'buySell',
      ),
    ).toEqual({
      quantity: '-120',
      proceeds: '21000',
      netCash: '20998.8',
      cost: '-20441.4',
      fifoPnlRealized: '557.4',
      openCloseIndicator: 'C',
      buySell: 'SELL',
    });
    // Today: the last 30 of h2 (5160.6) against 5399: FIFO, not the API's average cost.
    expect(pick(row('e1.01'), 'tradeDate', 'cost', 'fifoPnlRealized', 'openCloseIndicator')).toEqual({
      tradeDate: '20261125',
      cost: '-5160.6',
      fifoPnlRealized: '238.4',
      openCloseIndicator: 'C',
    });
  });

  it('names an option by its local symbol, with multiplier, strike, expiry and right', () => {
    expect(
      pick(
        row('h4.01'),
        'assetCategory',
        'symbol',
        'underlyingSymbol',
        'description',
        'multiplier',
        'strike',
        'expiry',
        'putCall',
        'tradeMoney',
        'netCash',
        'mtmPnl',
      ),
    ).toEqual({
      assetCategory: 'OPT',
      symbol: 'AAPL  261218C00200000',
      underlyingSymbol: 'AAPL',
      description: 'AAPL 18DEC26 200 C',
      multiplier: '100',
      strike: '200',
      expiry: '20261218',
      putCall: 'C',
      tradeMoney: '1020',
      netCash: '-1021.3',
      mtmPnl: '40',
    });
  });

  it('reverses a cancelled trade with a Ca row naming it, and keeps it out of the lots', () => {
    expect(pick(row('h5.01'), 'currency', 'fxRateToBase', 'quantity', 'ibCommissionCurrency')).toEqual({
      currency: 'EUR',
      fxRateToBase: '1.05',
      quantity: '10',
      ibCommissionCurrency: 'EUR',
    });
    expect(
      pick(
        row('h5.01', 'Ca'),
        'quantity',
        'proceeds',
        'ibCommission',
        'netCash',
        'notes',
        'origTradeID',
        'buySell',
        'ibExecID',
        'dateTime',
        'fifoPnlRealized',
      ),
    ).toEqual({
      quantity: '-10',
      proceeds: '2200',
      ibCommission: '2',
      netCash: '2202',
      notes: 'Ca',
      origTradeID: '1005',
      buySell: 'SELL',
      ibExecID: 'h5.01',
      dateTime: '20261124;133000',
      fifoPnlRealized: '0',
    });
    expect(row('h5.01', 'Ca').tradeID).not.toBe('1005');
  });

  it('gives a fill the same derived tradeID in every statement', () => {
    const later =
      scenarioAccountStatements(scenario, { at: Date.parse('2026-11-25T21:00:00Z') })[0]?.trades ?? [];
    const id = (rs: typeof rows, execId: string) =>
      rs.find((r) => r.ibExecID === execId && r.notes === '')?.tradeID;
    expect(id(rows, 'h2.01')).toMatch(/^\d{9}$/);
    expect(id(later, 'h2.01')).toBe(id(rows, 'h2.01'));
    expect(id(later, 'e2.01')).toMatch(/^\d{9}$/);
  });

  it('still works FIFO out over fills before its range', () => {
    const s = parseScenario({ ...input, history: { ...input.history, days: 1 } });
    const today = scenarioAccountStatements(s, { at: AT })[0]?.trades ?? [];
    expect(today.map((r) => [r.ibExecID, r.fifoPnlRealized])).toEqual([['e1.01', '238.4']]);
  });

  it('ends on history.asOf when the scenario sets it, whatever the clock says', () => {
    const s = parseScenario({ ...input, history: { ...input.history, asOf: '20261124', days: 1 } });
    const [fixed] = scenarioAccountStatements(s, { at: Date.parse('2027-03-01T12:00:00Z') });
    expect(fixed).toMatchObject({
      fromDate: '20261124',
      toDate: '20261124',
      whenGenerated: '20270301;070000',
    });
    expect(fixed?.trades.map((r) => r.ibExecID)).toEqual(['h3.01', 'h5.01', 'h5.01', 'h4.01']);
  });

  it('corrects a trade with a Co row (revision one up) that replaces it, also for FIFO', () => {
    const corrected = {
      execId: 'h6.01',
      tradeId: '1006',
      account: 'DU1',
      conId: AAPL,
      time: '2026-11-24T19:00:00Z',
      side: 'BOT' as const,
      shares: 10,
      price: 176,
      commission: 1,
      correction: { at: '2026-11-25T14:00:00Z', price: 176.5 },
    };
    const s = parseScenario({
      ...input,
      history: { ...input.history, fills: [...(input.history?.fills ?? []), corrected] },
    });
    const sale = {
      execId: 'e3.01',
      account: 'DU1',
      conId: AAPL,
      side: 'SLD' as const,
      shares: 10,
      price: 180,
      commission: { commission: 1, currency: 'USD', realizedPnl: null },
      time: '2026-11-25T17:00:00Z',
    };
    const executions = [...s.executions, sale];
    const rows = scenarioAccountStatements(s, { at: AT, executions })[0]?.trades ?? [];
    const h6 = rows.filter((r) => r.ibExecID?.startsWith('h6.'));
    expect(
      h6.map((r) =>
        pick(
          r,
          'ibExecID',
          'notes',
          'tradePrice',
          'netCash',
          'origTradeID',
          'tradeDate',
          'reportDate',
          'dateTime',
        ),
      ),
    ).toEqual([
      {
        ibExecID: 'h6.01',
        notes: '',
        tradePrice: '176',
        netCash: '-1761',
        origTradeID: undefined,
        tradeDate: '20261124',
        reportDate: '20261124',
        dateTime: '20261124;140000',
      },
      {
        ibExecID: 'h6.02',
        notes: 'Co',
        tradePrice: '176.5',
        netCash: '-1766',
        origTradeID: '1006',
        tradeDate: '20261124',
        reportDate: '20261125',
        dateTime: '20261124;140000',
      },
    ]);
    expect(h6[1]?.tradeID).not.toBe('1006');
    // The sale closes the corrected lot: 1799 - 1766.
    expect(rows.find((r) => r.ibExecID === 'e3.01')?.fifoPnlRealized).toBe('33');
    // Before the correction the statement has the trade as first reported.
    const before = scenarioAccountStatements(s, { at: Date.parse('2026-11-25T13:00:00Z') })[0]?.trades ?? [];
    expect(before.filter((r) => r.ibExecID?.startsWith('h6.')).map((r) => r.notes)).toEqual(['']);
  });

  it('adds ORDER rows before an order’s executions and CLOSED_LOT rows after a closing one', () => {
    const orders = {
      ...input,
      executions: [
        ...(input.executions ?? []),
        {
          execId: 'e1.02',
          account: 'DU1',
          conId: AAPL,
          time: '2026-11-25T15:00:01Z',
          side: 'SLD' as const,
          shares: 0.5,
          price: 180.1,
          permId: 88,
        },
      ],
    };
    const withPerm = orders.executions.map((e) => (e.execId === 'e1.01' ? { ...e, permId: 88 } : e));
    const s = parseScenario({
      ...orders,
      executions: withPerm,
      history: { ...input.history, levels: ['ORDER', 'CLOSED_LOT'] },
    });
    const all = scenarioAccountStatements(s, { at: AT })[0]?.trades ?? [];
    const aapl = all.filter((r) => r.symbol === 'AAPL');
    expect(aapl.map((r) => [r.levelOfDetail, r.ibExecID, r.quantity])).toEqual([
      ['ORDER', '', '100'],
      ['EXECUTION', 'h1.01', '100'],
      ['ORDER', '', '50'],
      ['EXECUTION', 'h2.01', '50'],
      ['ORDER', '', '-120'],
      ['EXECUTION', 'h3.01', '-120'],
      ['CLOSED_LOT', '', '-100'],
      ['CLOSED_LOT', '', '-20'],
      ['ORDER', '', '-30.5'],
      ['EXECUTION', 'e1.01', '-30'],
      ['CLOSED_LOT', '', '-30'],
      // The position is flat after e1.01: e1.02 opens a short and closes no lot.
      ['EXECUTION', 'e1.02', '-0.5'],
    ]);
    expect(pick(aapl[6] ?? {}, 'cost', 'fifoPnlRealized', 'openDateTime', 'tradePrice', 'tradeID')).toEqual({
      cost: '17001',
      fifoPnlRealized: '498',
      openDateTime: '20261123;100000',
      tradePrice: '170',
      tradeID: '',
    });
    // The order of two executions: sums, and the average price at 6 decimals.
    expect(
      pick(
        aapl[8] ?? {},
        'tradePrice',
        'proceeds',
        'ibCommission',
        'netCash',
        'fifoPnlRealized',
        'openCloseIndicator',
        'ibOrderID',
      ),
    ).toEqual({
      tradePrice: '180.001639',
      proceeds: '5490.05',
      ibCommission: '-1',
      netCash: '5489.05',
      fifoPnlRealized: '238.4',
      openCloseIndicator: 'C;O',
      ibOrderID: '88',
    });
    // A cancellation has no order or lot rows.
    expect(all.filter((r) => r.symbol === 'SAP').map((r) => [r.levelOfDetail, r.notes])).toEqual([
      ['ORDER', ''],
      ['EXECUTION', ''],
      ['EXECUTION', 'Ca'],
    ]);
  });

  it('takes the fd/td override as a Custom period', () => {
    const [custom] = scenarioAccountStatements(scenario, {
      at: AT,
      fromDate: '20261124',
      toDate: '20261124',
    });
    expect(custom).toMatchObject({ fromDate: '20261124', toDate: '20261124', period: 'Custom' });
    expect(custom?.trades.map((r) => r.ibExecID)).toEqual(['h3.01', 'h5.01', 'h5.01', 'h4.01']);
  });

  it('takes today’s executions as the Gateway holds them', () => {
    const [live] = scenarioAccountStatements(scenario, {
      at: AT,
      executions: [
        {
          execId: 'live.01',
          account: 'DU1',
          conId: AAPL,
          side: 'SLD',
          shares: 10,
          price: 190,
          timeMs: AT - 1,
        },
      ],
    });
    expect(live?.trades.find((r) => r.ibExecID === 'live.01')).toMatchObject({
      ibExecID: 'live.01',
      ibCommission: '0',
      fifoPnlRealized: '179.8',
    });
  });

  it('renders well-formed XML with every Trade attribute in order', () => {
    const xml = scenarioStatementXml(scenario, { at: AT });
    checkWellFormed(xml);
    // A second opinion from a well-kept validator (test only: the simulator never depends on it).
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml.split('\n').slice(0, 3)).toEqual([
      '<FlexQueryResponse queryName="ibkr-pnl-exporter" type="AF">',
      '<FlexStatements count="2">',
      '<FlexStatement accountId="DU1" fromDate="20261123" toDate="20261125" period="Last3CalendarDays" whenGenerated="20261125;130000">',
    ]);
    const parsed = tradeRows(xml);
    expect(parsed).toHaveLength(7);
    expect(Object.keys(parsed[0] ?? {})).toEqual([...TRADE_ATTRIBUTES]);
    expect(parsed[6]?.symbol).toBe('AAPL  261218C00200000');
    expect(xml).toContain(
      '<FlexStatement accountId="DU2" fromDate="20261123" toDate="20261125" period="Last3CalendarDays" whenGenerated="20261125;130000">\n<Trades />\n</FlexStatement>',
    );
  });
});
