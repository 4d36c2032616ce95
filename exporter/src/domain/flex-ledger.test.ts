import { describe, expect, it } from 'vitest';
import { carryAfterImport, flexFillEvents, flexOutcome, summarizeFlex } from './flex-ledger.js';
import type { FlexFill } from './flex.js';

const AAPL = { conId: 1, symbol: 'AAPL', secType: 'STK', currency: 'USD', multiplier: 1 };
const fill: FlexFill = {
  line: 3,
  execution: {
    execId: 'a.01',
    baseExecId: 'a',
    revision: 1,
    account: 'DU1',
    contract: AAPL,
    side: 'buy',
    shares: 1,
    price: 10,
    time: 0,
  },
  report: { execId: 'a.01', baseExecId: 'a', revision: 1, commission: '1', currency: 'USD' },
};

describe('flexFillEvents', () => {
  it('makes each fill an execution then its report, both from flex', () => {
    const events = flexFillEvents([fill]);
    expect(events.map((e) => e.kind)).toEqual(['execution', 'commission']);
    expect(events.map((e) => (e.kind === 'execution' ? e.execution.source : e.report.source))).toEqual([
      'flex',
      'flex',
    ]);
  });
});

describe('flexOutcome', () => {
  it('adds a new fill, skips a stored one and merges a half-known one', () => {
    expect(flexOutcome('insert', 'insert')).toBe('add');
    expect(flexOutcome('replace', 'replace')).toBe('add');
    expect(flexOutcome('ignore', 'ignore')).toBe('skip');
    expect(flexOutcome('ignore', 'insert')).toBe('merge');
    expect(flexOutcome('insert', 'ignore')).toBe('merge');
  });
});

describe('summarizeFlex', () => {
  it('lists every account of the statement, those with nothing to do too', () => {
    const summary = summarizeFlex(
      { accounts: ['DU1', 'DU2'] },
      [
        { account: 'DU1', outcome: 'add' },
        { account: 'DU1', outcome: 'add' },
        { account: 'DU1', outcome: 'cancel' },
      ],
      true,
    );
    expect(summary).toEqual({
      dryRun: true,
      accounts: [
        { account: 'DU1', add: 2, merge: 0, skip: 0, cancel: 1 },
        { account: 'DU2', add: 0, merge: 0, skip: 0, cancel: 0 },
      ],
    });
  });
});

describe('carryAfterImport', () => {
  const first = { time: 100, baseExecId: 'm' };
  const buy = (time: number, shares: string, baseExecId = 'x') => ({
    time,
    baseExecId,
    side: 'buy' as const,
    shares,
  });

  it('moves fills older than the first stored one out of the carry', () => {
    expect(carryAfterImport('15', first, [buy(10, '10'), { ...buy(20, '2.5'), side: 'sell' }])).toBe('7.5');
  });

  it('leaves the carry alone for fills inside the stored history, and says so', () => {
    expect(carryAfterImport('15', first, [buy(200, '10'), buy(100, '1', 'z')])).toBeUndefined();
    // Same second as the first stored fill: the execId orders them, as it orders the trips.
    expect(carryAfterImport('15', first, [buy(100, '1', 'a')])).toBe('14');
  });

  it('takes every fill as older when the position had no stored fill', () => {
    expect(carryAfterImport('10', undefined, [buy(5000, '10')])).toBe('0');
  });
});
