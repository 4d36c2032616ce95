import { describe, expect, it } from 'vitest';
import { groupTotalsKeys, planFillGroup } from './fill-group.js';
import type { FillEvent, StoredFill } from './fill-group.js';
import type { CommissionRecord, ExecutionRecord, LedgerTotals } from './types.js';

const AAPL = { conId: 1, symbol: 'AAPL', secType: 'STK', currency: 'USD', multiplier: 1 };
const fill = (id: string, revision = 1): ExecutionRecord => ({
  execId: `${id}.0${revision}`,
  baseExecId: id,
  revision,
  account: 'DU1',
  contract: AAPL,
  side: 'sell',
  shares: 1,
  price: 10,
  time: 0,
});
const report = (id: string, commission: string, realizedPnl?: string, revision = 1): CommissionRecord => ({
  execId: `${id}.0${revision}`,
  baseExecId: id,
  revision,
  commission,
  currency: 'USD',
  realizedPnl,
});
const stored: StoredFill = { revision: 1, account: 'DU1', contract: { conId: 1, currency: 'USD' } };
const totals: LedgerTotals = {
  account: 'DU1',
  conId: 1,
  currency: 'USD',
  realizedPnl: '5',
  commissions: '1',
  reports: 1,
};
const empty = { fills: new Map(), reports: new Map(), totals: new Map(), executionCounts: new Map() };

describe('planFillGroup', () => {
  it('writes one row per execId, the last version winning, with the totals after the group', () => {
    const events: FillEvent[] = [
      { kind: 'execution', execution: fill('a') },
      { kind: 'commission', report: report('a', '1', '5') },
      { kind: 'execution', execution: fill('a', 2) },
      { kind: 'commission', report: report('a', '0.1', '0.2', 2) },
    ];
    const plan = planFillGroup(events, empty);
    expect(plan.executions.map((e) => e.execId)).toEqual(['a.02']);
    expect(plan.reports.map((r) => r.execId)).toEqual(['a.02']);
    expect(plan.totals).toEqual([{ ...totals, realizedPnl: '0.2', commissions: '0.1', reports: 1 }]);
    expect(plan.newExecutions).toEqual(new Map([['DU1', 1]]));
  });

  it('takes back a stored contribution before a correction adds its own', () => {
    const plan = planFillGroup([{ kind: 'commission', report: report('a', '2', '7', 2) }], {
      fills: new Map([['a', stored]]),
      reports: new Map([['a', report('a', '1', '5')]]),
      totals: new Map([['DU1|1|USD', totals]]),
      executionCounts: new Map([['DU1', 1]]),
    });
    expect(plan.results[0]).toEqual({
      decision: 'replace',
      ledger: [{ ...totals, realizedPnl: '7', commissions: '2' }],
      executionCounts: [],
    });
  });

  it('echoes the stored rows of an ignored fill only when asked (several exporters on one database)', () => {
    const state = {
      fills: new Map([['a', stored]]),
      reports: new Map([['a', report('a', '1', '5')]]),
      totals: new Map([['DU1|1|USD', totals]]),
      executionCounts: new Map([['DU1', 4]]),
    };
    const events: FillEvent[] = [{ kind: 'execution', execution: fill('a') }];
    expect(planFillGroup(events, state).results[0]).toEqual({
      decision: 'ignore',
      ledger: [],
      executionCounts: [],
    });
    expect(planFillGroup(events, state, { echoStored: true }).results[0]).toEqual({
      decision: 'ignore',
      ledger: [totals],
      executionCounts: [{ account: 'DU1', executions: 4 }],
    });
    const plan = planFillGroup(events, state, { echoStored: true });
    expect([plan.executions, plan.reports, plan.totals]).toEqual([[], [], []]);
  });

  it('names every ledger row a group can touch, for the backend to read first', () => {
    const keys = groupTotalsKeys(
      [
        { kind: 'commission', report: { ...report('a', '1'), currency: 'EUR' } },
        { kind: 'execution', execution: fill('b') },
      ],
      new Map([['a', stored]]),
      new Map(),
    );
    expect(keys).toEqual([
      { account: 'DU1', conId: 1, currency: 'EUR' },
      { account: 'DU1', conId: 1, currency: 'USD' },
    ]);
  });
});

describe('planFillGroup between the API and Flex', () => {
  const flexFill = (id: string, revision = 1): ExecutionRecord => ({
    ...fill(id, revision),
    source: 'flex',
    tradeId: `T${id}`,
  });
  const flexReport = (id: string, commission: string, realizedPnl?: string): CommissionRecord => ({
    ...report(id, commission, realizedPnl),
    source: 'flex',
  });

  it('never replaces what the API stored with a Flex version', () => {
    const plan = planFillGroup(
      [
        { kind: 'execution', execution: flexFill('a', 2) },
        { kind: 'commission', report: flexReport('a', '9', '99') },
      ],
      {
        fills: new Map([['a', stored]]),
        reports: new Map([['a', report('a', '1', '5')]]),
        totals: new Map([['DU1|1|USD', totals]]),
        executionCounts: new Map([['DU1', 1]]),
      },
    );
    expect(plan.results.map((r) => r.decision)).toEqual(['ignore', 'ignore']);
    expect(plan.executions).toEqual([]);
    expect(plan.totals).toEqual([]);
  });

  it('replaces a Flex row with the API version, taking the Flex credit back and keeping the trade id', () => {
    const flexTotals = { ...totals, realizedPnl: '6', commissions: '2', flexReports: 1 };
    const plan = planFillGroup(
      [
        { kind: 'execution', execution: fill('a') },
        { kind: 'commission', report: report('a', '1', '5') },
      ],
      {
        fills: new Map([['a', { ...stored, revision: 3, source: 'flex' as const, tradeId: 'Ta' }]]),
        reports: new Map([['a', flexReport('a', '2', '6')]]),
        totals: new Map([['DU1|1|USD', flexTotals]]),
        executionCounts: new Map([['DU1', 1]]),
      },
    );
    expect(plan.results.map((r) => r.decision)).toEqual(['replace', 'replace']);
    expect(plan.executions).toEqual([{ ...fill('a'), tradeId: 'Ta' }]);
    // The Flex report still joins the API execution until the API's report replaces it.
    expect(
      plan.credits.map((c) => [c.sign, c.contribution.source ?? 'api', c.contribution.realizedPnl]),
    ).toEqual([
      [-1, 'flex', '6'],
      [1, 'flex', '6'],
      [-1, 'flex', '6'],
      [1, 'api', '5'],
    ]);
    expect(plan.totals).toEqual([totals]);
    expect(plan.newExecutions).toEqual(new Map());
  });
});
