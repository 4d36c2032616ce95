// The basis of every realized number the JSON API shows: round trips and positions say api, flex
// or mixed (from the counts of their sums), fills say where their realized PnL came from, and
// anything whose realized PnL is unknown says null.
import { describe, expect, it } from 'vitest';
import { Portfolio } from '../domain/portfolio.js';
import type { ContractInfo, MoneyTotals } from '../domain/types.js';
import type { RoundTripFill, RoundTripRow, TradeRow } from '../store/store.js';
import { roundTripView, tripFillView } from './history-views.js';
import { pnlSummary, positionsView, tradesView } from './views.js';

const AAPL: ContractInfo = { conId: 265598, symbol: 'AAPL', secType: 'STK', currency: 'USD', multiplier: 1 };
const usd = (reports: number, flexReports?: number): MoneyTotals => ({
  currency: 'USD',
  realizedPnl: '10.5',
  commissions: '2',
  reports,
  flexReports,
});

const trip = (totals: MoneyTotals[]): RoundTripRow => ({
  id: 7,
  account: 'DU1',
  conId: AAPL.conId,
  contract: AAPL,
  openKey: 'a',
  openedBeforeLedger: false,
  openTime: 0,
  closeTime: 1,
  quantity: '0',
  fills: 2,
  totals,
});

const fill = (overrides: Partial<RoundTripFill>): RoundTripFill => ({
  execId: 'a.01',
  side: 'sell',
  quantity: '10',
  shares: 10,
  price: 151,
  time: 0,
  money: true,
  commission: '1',
  commissionCurrency: 'USD',
  realizedPnl: '9',
  ...overrides,
});

describe('the basis in the JSON views', () => {
  it.each([
    ['api', [usd(2)]],
    ['api', [usd(2, 0)]],
    ['flex', [usd(2, 2)]],
    ['mixed', [usd(2, 1)]],
  ])('gives a round trip basis %s from its reports, in its ledger entry too', (basis, totals) => {
    expect(roundTripView(trip(totals))).toMatchObject({
      realized_pnl: 10.5,
      basis,
      ledger: [{ currency: 'USD', realized_pnl: '10.5', commissions: '2', basis }],
    });
  });

  it('gives a round trip without a report basis null, and one in two currencies a basis per entry', () => {
    expect(roundTripView(trip([usd(0)]))).toMatchObject({ realized_pnl: null, basis: null, ledger: [] });
    const two = roundTripView(trip([{ ...usd(1, 1), currency: 'EUR' }, usd(1)]));
    expect(two).toMatchObject({ realized_pnl: null, basis: null });
    expect(two.ledger.map((l) => [l.currency, l.basis])).toEqual([
      ['EUR', 'flex'],
      ['USD', 'api'],
    ]);
  });

  it('gives a fill the source of its realized PnL, and null where it has none', () => {
    const sources = (overrides: Partial<RoundTripFill>) => {
      const view = tripFillView(fill(overrides));
      return [view.source, view.pnl_source];
    };
    expect(sources({})).toEqual(['api', 'api']);
    expect(sources({ source: 'flex', reportSource: 'flex' })).toEqual(['flex', 'flex']);
    // An API execution whose report came from a statement (a merge): the PnL is Flex's.
    expect(sources({ reportSource: 'flex' })).toEqual(['api', 'flex']);
    // An opening fill, a report not yet arrived, the opening part of a flip: no realized PnL.
    expect(sources({ source: 'flex', reportSource: 'flex', realizedPnl: undefined })).toEqual(['flex', null]);
    expect(sources({ commission: undefined, realizedPnl: undefined })).toEqual(['api', null]);
    expect(tripFillView(fill({ reportSource: 'flex', money: false }))).toMatchObject({
      realized_pnl: null,
      pnl_source: null,
    });
  });

  it('gives a trade the source of its realized PnL, and null where it has none', () => {
    const row = (overrides: Partial<TradeRow>): TradeRow => ({
      execId: 'a.01',
      account: 'DU1',
      contract: AAPL,
      side: 'sell',
      shares: 10,
      price: 151,
      time: 0,
      commission: '1',
      commissionCurrency: 'USD',
      realizedPnl: '9',
      ...overrides,
    });
    expect(
      tradesView([
        row({}),
        row({ source: 'flex', reportSource: 'flex' }),
        row({ reportSource: 'flex' }),
        row({ source: 'flex', reportSource: 'flex', realizedPnl: undefined }),
      ]).map((t) => [t.realized_pnl, t.source, t.pnl_source]),
    ).toEqual([
      [9, 'api', 'api'],
      [9, 'flex', 'flex'],
      [9, 'api', 'flex'],
      [null, 'flex', null],
    ]);
  });

  it.each([
    ['api', 2, undefined],
    ['flex', 2, 2],
    ['mixed', 3, 1],
  ])('gives a position the basis %s of its current round trip', (basis, reports, flexReports) => {
    const portfolio = new Portfolio({
      roundTrips: [{ account: 'DU1', conId: AAPL.conId, trip: trip([usd(reports, flexReports)]) }],
    });
    portfolio.setPosition({ account: 'DU1', contract: AAPL, quantity: 0, updatedAt: 0 });
    expect(positionsView(portfolio, 'USD')).toEqual([
      expect.objectContaining({
        realized_pnl: 10.5,
        realized_pnl_currency: 'USD',
        realized_pnl_basis: basis,
        ledger: [{ currency: 'USD', realized_pnl: '10.5', commissions: '2', basis }],
      }),
    ]);
  });

  it('gives a position held from before the ledger, with no report, basis null', () => {
    const portfolio = new Portfolio();
    portfolio.setPosition({ account: 'DU1', contract: AAPL, quantity: 10, updatedAt: 0 });
    expect(positionsView(portfolio, 'USD')[0]).toMatchObject({
      realized_pnl: null,
      realized_pnl_basis: null,
    });
  });

  it('gives the summary the basis of the account ledger, and none to reqPnL’s realized', () => {
    const ledger = (conId: number, reports: number, flexReports: number) => ({
      account: 'DU1',
      conId,
      ...usd(reports, flexReports),
    });
    const portfolio = new Portfolio({
      ledger: [ledger(1, 2, 0), ledger(2, 1, 1)],
      accountPnl: [{ account: 'DU1', realizedPnl: 3, updatedAt: 0 }],
    });
    const summary = pnlSummary(portfolio, 'USD');
    expect(summary).toMatchObject({ realized_pnl: 21, realized_pnl_basis: 'mixed' });
    expect(summary.accounts).toEqual([
      expect.objectContaining({
        realized_pnl: 3,
        ledger: [{ currency: 'USD', realized_pnl: '21', commissions: '4', basis: 'mixed' }],
      }),
    ]);
    portfolio.applyLedger([ledger(1, 2, 2)]);
    expect(pnlSummary(portfolio, 'USD').realized_pnl_basis).toBe('flex');
    expect(pnlSummary(new Portfolio(), 'USD').realized_pnl_basis).toBeNull();
  });
});
