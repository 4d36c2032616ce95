// Store.importFlex: one contract, both backends (PostgreSQL on a throwaway cluster). Statements are
// built by hand here (FlexBatch, as planFlexImport gives them), so the ledger side is specified on
// its own; the values are worked out by hand in each test.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { postgresBackend, sqliteBackend } from '../../test/support/backends.js';
import type { Backend, Ledger } from '../../test/support/backends.js';
import { describePostgres } from '../../test/support/postgres.js';
import { basisOf } from '../domain/basis.js';
import { parseExecId } from '../domain/exec-id.js';
import type { FlexBatch, FlexCancellation, FlexFill } from '../domain/flex.js';
import type {
  CommissionRecord,
  ContractInfo,
  ExecutionRecord,
  LedgerTotals,
  PositionRecord,
} from '../domain/types.js';
import type { Store } from './store.js';

const AAPL: ContractInfo = { conId: 265598, symbol: 'AAPL', secType: 'STK', currency: 'USD', multiplier: 1 };
/** Minutes after 14:00 UTC on a day of November 2026. */
const at = (day: number, minute = 0) => Date.UTC(2026, 10, day, 14, minute);

interface Trade {
  side: 'buy' | 'sell';
  shares: number;
  price: number;
  time: number;
  commission: string;
  realizedPnl?: string;
}

function execution(execId: string, t: Trade): ExecutionRecord {
  return {
    execId,
    ...parseExecId(execId),
    account: 'DU1',
    contract: AAPL,
    side: t.side,
    shares: t.shares,
    price: t.price,
    time: t.time,
  };
}

function report(execId: string, t: Trade): CommissionRecord {
  return {
    execId,
    ...parseExecId(execId),
    commission: t.commission,
    currency: 'USD',
    realizedPnl: t.realizedPnl,
  };
}

let line = 10;
function flex(execId: string, tradeId: string, t: Trade): FlexFill {
  return {
    line: line++,
    execution: { ...execution(execId, t), source: 'flex', tradeId },
    report: { ...report(execId, t), source: 'flex' },
  };
}

const position = (quantity: number): PositionRecord => ({
  account: 'DU1',
  contract: AAPL,
  quantity,
  avgCost: 100,
  updatedAt: at(25),
});

const statement = (fills: FlexFill[], cancellations: FlexCancellation[] = []): FlexBatch => ({
  accounts: ['DU1'],
  fills,
  cancellations,
});
const cancel = (tradeId: string): FlexCancellation => ({ line: line++, account: 'DU1', tradeId });

// Bought 10 at 100 on the 23rd (1 commission), sold them at 110 the next day (1 commission):
// FIFO realized 10 × 10 − 2 = 98, as Flex's fifoPnlRealized nets both commissions.
const BUY: Trade = { side: 'buy', shares: 10, price: 100, time: at(23), commission: '1' };
const SELL: Trade = {
  side: 'sell',
  shares: 10,
  price: 110,
  time: at(24),
  commission: '1',
  realizedPnl: '98',
};
const BUY_AGAIN: Trade = { side: 'buy', shares: 5, price: 105, time: at(24, 30), commission: '0.5' };

/** The statement of the buy and the sell: one round trip. */
const roundTrip = () => statement([flex('x1.01', 'T1', BUY), flex('x2.01', 'T2', SELL)]);
/** The AAPL ledger row with these sums. */
const aapl = (
  sums: Pick<LedgerTotals, 'realizedPnl' | 'commissions' | 'reports' | 'flexReports'>,
): LedgerTotals => ({
  account: 'DU1',
  conId: AAPL.conId,
  currency: 'USD',
  ...sums,
});

const counts = (
  accounts: Array<{ account: string; add: number; merge: number; skip: number; cancel: number }>,
) => Object.fromEntries(accounts.map((a) => [a.account, [a.add, a.merge, a.skip, a.cancel]]));

function contract(backend: Backend): void {
  let ledger: Ledger;
  let store: Store;

  beforeAll(() => backend.setup());
  afterAll(() => backend.teardown());
  beforeEach(async () => {
    ledger = await backend.ledger();
    store = await ledger.open();
  });
  afterEach(() => ledger.cleanup());

  const totals = async (): Promise<LedgerTotals | undefined> =>
    (await store.load()).ledger.find((t) => t.conId === AAPL.conId);
  const executions = async () => (await store.load()).executionCounts;
  const trips = async () =>
    (await store.roundTripHistory({ limit: 10, offset: 0 })).map((t) => ({
      fills: t.fills,
      totals: t.totals,
      basis: basisOf(t.totals[0]!),
    }));
  const rows = (sql: string) => ledger.sql(sql);
  const daily = () =>
    rows(`SELECT day, realized_pnl, commissions, reports, flex_reports FROM daily_realized ORDER BY day`);

  it('adds a statement once: importing it again, or an overlapping one, changes nothing already there', async () => {
    const first = await store.importFlex(roundTrip(), {
      dryRun: false,
    });
    expect(first.summary).toEqual({
      dryRun: false,
      accounts: [{ account: 'DU1', add: 2, merge: 0, skip: 0, cancel: 0 }],
    });
    const after = aapl({ realizedPnl: '98', commissions: '2', reports: 2, flexReports: 2 });
    expect(first.ledger).toEqual([after]);
    expect(first.executionCounts).toEqual([{ account: 'DU1', executions: 2 }]);
    expect(first.roundTrips.map((t) => t.trip?.closeTime)).toEqual([SELL.time]);
    expect(await totals()).toEqual(after);

    const again = await store.importFlex(roundTrip(), {
      dryRun: false,
    });
    expect(counts(again.summary.accounts)).toEqual({ DU1: [0, 0, 2, 0] });
    const overlapping = await store.importFlex(
      statement([flex('x2.01', 'T2', SELL), flex('x3.01', 'T3', BUY_AGAIN)]),
      { dryRun: false },
    );
    expect(counts(overlapping.summary.accounts)).toEqual({ DU1: [1, 0, 1, 0] });
    expect(await totals()).toEqual({ ...after, commissions: '2.5', reports: 3, flexReports: 3 });
    expect(await executions()).toEqual([{ account: 'DU1', executions: 3 }]);
    expect(await daily()).toEqual([
      { day: '2026-11-23', realized_pnl: '0', commissions: '1', reports: 1, flex_reports: 1 },
      { day: '2026-11-24', realized_pnl: '98', commissions: '1.5', reports: 2, flex_reports: 2 },
    ]);
    expect(await trips()).toEqual([
      {
        fills: 2,
        totals: [{ currency: 'USD', realizedPnl: '98', commissions: '2', reports: 2, flexReports: 2 }],
        basis: 'flex',
      },
    ]);
  });

  it('merges into what the API left half-known and skips what it stored: nothing is counted twice', async () => {
    // The API stored the buy with its report (1.05 commission), and the sell without one yet.
    await store.recordFills([
      { kind: 'execution', execution: execution('x1.01', BUY) },
      { kind: 'commission', report: report('x1.01', { ...BUY, commission: '1.05' }) },
      { kind: 'execution', execution: execution('x2.01', SELL) },
    ]);
    const result = await store.importFlex(
      statement([flex('x1.01', 'T1', BUY), flex('x2.01', 'T2', SELL), flex('x3.01', 'T3', BUY_AGAIN)]),
      { dryRun: false },
    );
    expect(counts(result.summary.accounts)).toEqual({ DU1: [1, 1, 1, 0] });
    // 1.05 (API) + 1 and 98 (Flex, the sell's report) + 0.5 (Flex): three reports, two from Flex.
    const after = aapl({ realizedPnl: '98', commissions: '2.55', reports: 3, flexReports: 2 });
    expect(await totals()).toEqual(after);
    expect(basisOf(after)).toBe('mixed');
    expect(await executions()).toEqual([{ account: 'DU1', executions: 3 }]);
    expect(await rows(`SELECT base_exec_id, source, trade_id FROM executions ORDER BY base_exec_id`)).toEqual(
      [
        { base_exec_id: 'x1', source: 'api', trade_id: 'T1' },
        { base_exec_id: 'x2', source: 'api', trade_id: 'T2' },
        { base_exec_id: 'x3', source: 'flex', trade_id: 'T3' },
      ],
    );
    // The closed trip: the API's buy report and the statement's sell report.
    expect((await trips())[0]).toEqual({
      fills: 2,
      totals: [{ currency: 'USD', realizedPnl: '98', commissions: '2.05', reports: 2, flexReports: 1 }],
      basis: 'mixed',
    });
  });

  it('lets the API win over an imported fill it reports later: its numbers replace them, the basis moves to api', async () => {
    await store.importFlex(roundTrip(), {
      dryRun: false,
    });
    // The API reports the same fills (a correction revision of the sell, too), with IB's average-cost PnL.
    const results = await store.recordFills([
      { kind: 'execution', execution: execution('x1.01', BUY) },
      { kind: 'commission', report: report('x1.01', { ...BUY, commission: '1.1' }) },
      { kind: 'execution', execution: execution('x2.01', SELL) },
      { kind: 'commission', report: report('x2.01', { ...SELL, commission: '1.1', realizedPnl: '97.8' }) },
    ]);
    expect(results.map((r) => r.decision)).toEqual(['replace', 'replace', 'replace', 'replace']);
    const after = aapl({ realizedPnl: '97.8', commissions: '2.2', reports: 2 });
    expect(await totals()).toEqual(after);
    expect(basisOf(after)).toBe('api');
    expect(await executions()).toEqual([{ account: 'DU1', executions: 2 }]);
    expect(
      await rows(
        `SELECT e.source, e.trade_id, r.source AS report_source FROM executions e JOIN commission_reports r USING (base_exec_id) ORDER BY e.base_exec_id`,
      ),
    ).toEqual([
      { source: 'api', trade_id: 'T1', report_source: 'api' },
      { source: 'api', trade_id: 'T2', report_source: 'api' },
    ]);
    expect(await trips()).toEqual([
      {
        fills: 2,
        totals: [{ currency: 'USD', realizedPnl: '97.8', commissions: '2.2', reports: 2 }],
        basis: 'api',
      },
    ]);
    expect(await daily()).toEqual([
      { day: '2026-11-23', realized_pnl: '0', commissions: '1.1', reports: 1, flex_reports: 0 },
      { day: '2026-11-24', realized_pnl: '97.8', commissions: '1.1', reports: 1, flex_reports: 0 },
    ]);
    // A statement imported again skips both: the API's version stays.
    const again = await store.importFlex(roundTrip(), {
      dryRun: false,
    });
    expect(counts(again.summary.accounts)).toEqual({ DU1: [0, 0, 2, 0] });
    expect(await totals()).toEqual(after);
  });

  it('forgets a fill a later statement cancels, with everything it added, and never brings it back', async () => {
    const first = roundTrip();
    await store.importFlex(first, { dryRun: false });
    const second = await store.importFlex(
      statement([flex('x3.01', 'T3', BUY_AGAIN)], [cancel('T2'), cancel('T9')]),
      {
        dryRun: false,
      },
    );
    // T9 names no stored trade: nothing to forget.
    expect(counts(second.summary.accounts)).toEqual({ DU1: [1, 0, 1, 1] });
    // Left: the buy (1) and the second buy (0.5), both opening: no realized PnL, 15 held.
    const after = aapl({ realizedPnl: '0', commissions: '1.5', reports: 2, flexReports: 2 });
    expect(await totals()).toEqual(after);
    expect(second.ledger).toEqual([after]);
    expect(second.executionCounts).toEqual([{ account: 'DU1', executions: 2 }]);
    expect(await executions()).toEqual([{ account: 'DU1', executions: 2 }]);
    expect(await trips()).toEqual([]);
    const open = (await store.load()).roundTrips[0]!.trip!;
    expect([open.openTime, open.quantity, open.fills, open.closeTime]).toEqual([
      BUY.time,
      '15',
      2,
      undefined,
    ]);
    expect(await daily()).toEqual([
      { day: '2026-11-23', realized_pnl: '0', commissions: '1', reports: 1, flex_reports: 1 },
      { day: '2026-11-24', realized_pnl: '0', commissions: '0.5', reports: 1, flex_reports: 1 },
    ]);
    const third = await store.importFlex(first, { dryRun: false });
    expect(counts(third.summary.accounts)).toEqual({ DU1: [0, 0, 2, 0] });
    expect(await totals()).toEqual(after);
  });

  it('forgets a fill only the API stored when the cancellation names its execId', async () => {
    // The API stored the buy and the sell, with no trade ids; the statement cancels the sell (its
    // own row was in the statement, so the planner named its execId).
    await store.recordFills([
      { kind: 'execution', execution: execution('x1.01', BUY) },
      { kind: 'commission', report: report('x1.01', BUY) },
      { kind: 'execution', execution: execution('x2.01', SELL) },
      { kind: 'commission', report: report('x2.01', { ...SELL, realizedPnl: '97.8' }) },
    ]);
    const result = await store.importFlex(statement([], [{ ...cancel('T2'), baseExecId: 'x2' }]), {
      dryRun: false,
    });
    expect(counts(result.summary.accounts)).toEqual({ DU1: [0, 0, 0, 1] });
    // Left: the API's buy alone (1 commission, opening: no realized PnL).
    const after = aapl({ realizedPnl: '0', commissions: '1', reports: 1 });
    expect(await totals()).toEqual(after);
    expect(await executions()).toEqual([{ account: 'DU1', executions: 1 }]);
    expect(await rows('SELECT base_exec_id FROM executions')).toEqual([{ base_exec_id: 'x1' }]);
    expect(await trips()).toEqual([]);
  });

  it('imports nothing of a statement that fails in the middle', async () => {
    const broken = flex('x2.01', 'T2', { ...SELL, shares: 0 });
    const batch = statement([flex('x1.01', 'T1', BUY), broken, flex('x3.01', 'T3', BUY_AGAIN)]);
    // SQLite throws at once, PostgreSQL rejects: either way the database refused the broken fill.
    await expect(Promise.resolve().then(() => store.importFlex(batch, { dryRun: false }))).rejects.toThrow(
      /shares/,
    );
    expect(await rows('SELECT count(*) AS n FROM executions')).toEqual([
      { n: backend.name === 'postgres' ? '0' : 0 },
    ]);
    expect((await store.load()).ledger).toEqual([]);
    // And the store goes on: the same statement without the broken fill imports.
    const ok = await store.importFlex(statement([flex('x1.01', 'T1', BUY)]), { dryRun: false });
    expect(counts(ok.summary.accounts)).toEqual({ DU1: [1, 0, 0, 0] });
  });

  it('writes nothing on a dry run, and says what the import would do', async () => {
    await store.recordFills([{ kind: 'execution', execution: execution('x1.01', BUY) }]);
    const batch = statement([flex('x1.01', 'T1', BUY), flex('x2.01', 'T2', SELL)], [cancel('T7')]);
    const dry = await store.importFlex(batch, { dryRun: true });
    expect(dry.summary).toEqual({
      dryRun: true,
      accounts: [{ account: 'DU1', add: 1, merge: 1, skip: 1, cancel: 0 }],
    });
    expect(dry.ledger).toEqual([aapl({ realizedPnl: '98', commissions: '2', reports: 2, flexReports: 2 })]);
    expect((await store.load()).ledger).toEqual([]);
    expect(await executions()).toEqual([{ account: 'DU1', executions: 1 }]);
    expect(await rows('SELECT count(*) AS n FROM commission_reports')).toEqual([
      { n: backend.name === 'postgres' ? '0' : 0 },
    ]);
    expect(await rows('SELECT count(*) AS n FROM flex_cancelled')).toEqual([
      { n: backend.name === 'postgres' ? '0' : 0 },
    ]);
    const real = await store.importFlex(batch, { dryRun: false });
    expect(real.summary).toEqual({ ...dry.summary, dryRun: false });
    expect(real.ledger).toEqual(dry.ledger);
  });

  it('says flex for a round trip of imported fills and mixed for one the API closed', async () => {
    await store.importFlex(statement([flex('x1.01', 'T1', BUY)]), { dryRun: false });
    // The API closes it today: 10 sold at 112, IB's average-cost PnL net of this commission.
    await store.recordFills([
      { kind: 'execution', execution: execution('y1.01', { ...SELL, time: at(25), price: 112 }) },
      { kind: 'commission', report: report('y1.01', { ...SELL, commission: '1', realizedPnl: '119' }) },
    ]);
    expect(await trips()).toEqual([
      {
        fills: 2,
        totals: [{ currency: 'USD', realizedPnl: '119', commissions: '2', reports: 2, flexReports: 1 }],
        basis: 'mixed',
      },
    ]);
  });

  it('shrinks what a position held before the ledger by the older fills a statement brings', async () => {
    // The exporter started holding 15 AAPL with no fills stored: all 15 were carried.
    await store.savePosition(position(15), undefined, at(25));
    await store.reconcileRoundTrips([{ account: 'DU1', conId: AAPL.conId, quantity: 15 }]);
    expect((await store.load()).roundTrips[0]!.trip).toMatchObject({
      openedBeforeLedger: true,
      quantity: '15',
    });
    // The statement explains them: 10 bought on the 23rd, 5 on the 24th.
    const result = await store.importFlex(
      statement([flex('x1.01', 'T1', BUY), flex('x3.01', 'T3', BUY_AGAIN)]),
      {
        dryRun: false,
      },
    );
    expect(await rows('SELECT quantity FROM round_trip_carry')).toEqual([{ quantity: '0' }]);
    const trip = (await store.load()).roundTrips[0]!.trip!;
    expect([trip.openedBeforeLedger, trip.openTime, trip.quantity, trip.fills]).toEqual([
      false,
      BUY.time,
      '15',
      2,
    ]);
    expect(result.roundTrips.map((t) => t.trip?.quantity)).toEqual(['15']);
    // A later reconcile (IB still says 15) keeps it: the carry is learned once.
    await store.reconcileRoundTrips([{ account: 'DU1', conId: AAPL.conId, quantity: 15 }]);
    expect(await rows('SELECT quantity FROM round_trip_carry')).toEqual([{ quantity: '0' }]);
  });

  it('leaves the carry alone for a fill inside the stored history', async () => {
    // The API stored a buy of 5 on the 24th; IB held 15, so 10 were carried from before it.
    await store.recordFills([{ kind: 'execution', execution: execution('x3.01', BUY_AGAIN) }]);
    await store.savePosition(position(15), undefined, at(25));
    await store.reconcileRoundTrips([{ account: 'DU1', conId: AAPL.conId, quantity: 15 }]);
    // An older buy of 10 moves out of the carry; a missing sell and buy-back after the 24th do not.
    await store.importFlex(
      statement([
        flex('x1.01', 'T1', BUY),
        flex('z1.01', 'T5', { ...SELL, shares: 5, time: at(25), realizedPnl: '47' }),
        flex('z2.01', 'T6', { ...BUY_AGAIN, time: at(26) }),
      ]),
      { dryRun: false },
    );
    expect(await rows('SELECT quantity FROM round_trip_carry')).toEqual([{ quantity: '0' }]);
    const trip = (await store.load()).roundTrips[0]!.trip!;
    expect([trip.openedBeforeLedger, trip.openTime, trip.quantity, trip.fills]).toEqual([
      false,
      BUY.time,
      '15',
      4,
    ]);
  });
}

describe('Store.importFlex on SQLite', () => contract(sqliteBackend()));
describePostgres('Store.importFlex on PostgreSQL', () => contract(postgresBackend()));
