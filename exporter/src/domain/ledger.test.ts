import { describe, expect, it } from 'vitest';
import { parseExecId } from './exec-id.js';
import { basisOf } from './basis.js';
import {
  addTotals,
  applyContribution,
  contribution,
  decideRevision,
  decideVersion,
  ledgerKey,
} from './ledger.js';
import { addDecimal, addSigned, subDecimal, toDecimal } from './money.js';
import { snapshotReason } from './snapshot-policy.js';
import type { CommissionRecord, ContractInfo, LedgerContribution } from './types.js';

const stock: ContractInfo = { conId: 1, symbol: 'AAPL', secType: 'STK', currency: 'USD', multiplier: 1 };

describe('parseExecId', () => {
  it('splits the correction revision off the last dot', () => {
    expect(parseExecId('0000e0d5.6554f3a1.01.02')).toEqual({
      baseExecId: '0000e0d5.6554f3a1.01',
      revision: 2,
    });
  });

  it('treats an id without a numeric suffix as revision 0 of itself', () => {
    expect(parseExecId('abc')).toEqual({ baseExecId: 'abc', revision: 0 });
    expect(parseExecId('abc.x1')).toEqual({ baseExecId: 'abc.x1', revision: 0 });
  });
});

describe('decideRevision', () => {
  it('inserts a fill seen for the first time', () => {
    expect(decideRevision(undefined, { revision: 1 })).toBe('insert');
  });

  it('ignores a duplicate execution', () => {
    expect(decideRevision({ revision: 1 }, { revision: 1 })).toBe('ignore');
  });

  it('replaces a fill with its correction', () => {
    expect(decideRevision({ revision: 1 }, { revision: 2 })).toBe('replace');
  });

  it('ignores an older revision arriving after its correction', () => {
    expect(decideRevision({ revision: 2 }, { revision: 1 })).toBe('ignore');
  });
});

describe('contribution', () => {
  const report = { execId: 'x.01', baseExecId: 'x', revision: 1, commission: '1.05', currency: 'USD' };

  it('adds no realized PnL for an opening fill (IB sent Double.MAX)', () => {
    expect(contribution({ account: 'DU1', contract: stock }, report)).toEqual({
      account: 'DU1',
      conId: 1,
      currency: 'USD',
      commission: '1.05',
      realizedPnl: undefined,
    });
  });

  it('falls back to the contract currency when the report has none', () => {
    const c = contribution(
      { account: 'DU1', contract: { ...stock, currency: 'EUR' } },
      { ...report, currency: undefined },
    );
    expect(c.currency).toBe('EUR');
  });

  it('counts a missing commission as nothing paid', () => {
    expect(
      contribution({ account: 'DU1', contract: stock }, { ...report, commission: undefined }).commission,
    ).toBe('0');
  });
});

describe('applyContribution', () => {
  const closing: LedgerContribution = {
    account: 'DU1',
    conId: 1,
    currency: 'USD',
    commission: '1.05',
    realizedPnl: '79.35',
  };

  it('starts the totals of a position at its first joined fill', () => {
    expect(applyContribution(undefined, closing, 1)).toEqual({
      account: 'DU1',
      conId: 1,
      currency: 'USD',
      realizedPnl: '79.35',
      commissions: '1.05',
      reports: 1,
    });
  });

  it('counts an opening fill as a report without touching realized PnL', () => {
    const first = applyContribution(undefined, closing, 1);
    const next = applyContribution(first, { ...closing, commission: '0.35', realizedPnl: undefined }, 1);
    expect(next).toMatchObject({ realizedPnl: '79.35', commissions: '1.4', reports: 2 });
  });

  it('takes back a corrected fill exactly before adding its correction', () => {
    const first = applyContribution(undefined, closing, 1);
    const withdrawn = applyContribution(first, closing, -1);
    expect(withdrawn).toMatchObject({ realizedPnl: '0', commissions: '0', reports: 0 });
    const corrected = applyContribution(withdrawn, { ...closing, realizedPnl: '80.1', commission: '1.1' }, 1);
    expect(corrected).toMatchObject({ realizedPnl: '80.1', commissions: '1.1', reports: 1 });
  });

  it('sums many small amounts without float drift', () => {
    let totals = applyContribution(undefined, { ...closing, commission: '0.1', realizedPnl: '0.1' }, 1);
    for (let i = 0; i < 9; i++) {
      totals = applyContribution(totals, { ...closing, commission: '0.1', realizedPnl: '0.1' }, 1);
    }
    expect(totals).toMatchObject({ realizedPnl: '1', commissions: '1', reports: 10 });
  });

  it('does not change the totals it was given', () => {
    const first = applyContribution(undefined, closing, 1);
    applyContribution(first, closing, 1);
    expect(first.reports).toBe(1);
  });

  it('keys a row by account, contract and report currency', () => {
    expect(ledgerKey({ account: 'DU1', conId: 1, currency: 'USD' })).not.toBe(
      ledgerKey({ account: 'DU1', conId: 1, currency: 'EUR' }),
    );
  });
});

describe('money', () => {
  it('sums decimals exactly where floats drift', () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(addDecimal(toDecimal(0.1), toDecimal(0.2))).toBe('0.3');
    expect(addSigned(addSigned('79.35', '12.01', -1), '0.66', 1)).toBe('68');
    expect(subDecimal('1', '0.35')).toBe('0.65');
  });

  it('keeps the digits IB printed', () => {
    expect(toDecimal(123.456789012)).toBe('123.456789012');
    expect(toDecimal(-0.65)).toBe('-0.65');
  });
});

describe('snapshotReason', () => {
  const minute = 60_000;

  it('snapshots a new position and every quantity change', () => {
    expect(snapshotReason(undefined, { quantity: 10, pnlChanged: false }, 0)).toBe('quantity');
    expect(snapshotReason({ quantity: 10, lastSnapshotAt: 0 }, { quantity: 5, pnlChanged: false }, 1)).toBe(
      'quantity',
    );
  });

  it('snapshots moving PnL at most once a minute', () => {
    const mark = { quantity: 10, lastSnapshotAt: 1000 };
    expect(snapshotReason(mark, { quantity: 10, pnlChanged: true }, 1000 + minute - 1)).toBeUndefined();
    expect(snapshotReason(mark, { quantity: 10, pnlChanged: true }, 1000 + minute)).toBe('pnl');
  });

  it('does not snapshot PnL that did not move', () => {
    expect(
      snapshotReason({ quantity: 10, lastSnapshotAt: 0 }, { quantity: 10, pnlChanged: false }, 10 * minute),
    ).toBe(undefined);
  });
});

describe('decideVersion (the API wins)', () => {
  const api = { revision: 1 };
  const flex = { revision: 1, source: 'flex' as const };

  it('never lets a Flex version replace an API row, whatever its revision', () => {
    expect(decideVersion(api, { revision: 5, source: 'flex' })).toBe('ignore');
  });

  it('lets an API version replace a Flex row, whatever its revision', () => {
    expect(decideVersion({ revision: 5, source: 'flex' }, api)).toBe('replace');
  });

  it('decides by revision between two versions of one source', () => {
    expect(decideVersion(flex, { revision: 2, source: 'flex' })).toBe('replace');
    expect(decideVersion(flex, flex)).toBe('ignore');
    expect(decideVersion(api, { revision: 2 })).toBe('replace');
    expect(decideVersion(undefined, flex)).toBe('insert');
  });
});

describe('the basis of sums', () => {
  const stock = { conId: 1, currency: 'USD' };
  const owner = { account: 'DU1', contract: stock };
  const apiReport: CommissionRecord = {
    execId: 'a.01',
    baseExecId: 'a',
    revision: 1,
    commission: '1',
    realizedPnl: '10',
  };
  const flexReport: CommissionRecord = {
    ...apiReport,
    execId: 'b.01',
    baseExecId: 'b',
    source: 'flex',
    realizedPnl: '12.5',
  };

  it('carries the source of a Flex report in its contribution, and none for the API', () => {
    expect(contribution(owner, flexReport).source).toBe('flex');
    expect(contribution(owner, apiReport)).not.toHaveProperty('source');
  });

  it('counts Flex reports, so a sum of both is mixed and one taken back moves the basis back', () => {
    const flexOnly = applyContribution(undefined, contribution(owner, flexReport), 1);
    expect(flexOnly).toMatchObject({ realizedPnl: '12.5', reports: 1, flexReports: 1 });
    expect(basisOf(flexOnly)).toBe('flex');
    const both = applyContribution(flexOnly, contribution(owner, apiReport), 1);
    expect(both).toMatchObject({ realizedPnl: '22.5', reports: 2, flexReports: 1 });
    expect(basisOf(both)).toBe('mixed');
    const apiOnly = applyContribution(both, contribution(owner, flexReport), -1);
    expect(apiOnly).toEqual({
      account: 'DU1',
      conId: 1,
      currency: 'USD',
      realizedPnl: '10',
      commissions: '1',
      reports: 1,
    });
    expect(basisOf(apiOnly)).toBe('api');
  });

  it('adds two sums with their Flex counts', () => {
    const a = { currency: 'USD', realizedPnl: '1.5', commissions: '1', reports: 2, flexReports: 1 };
    const b = { currency: 'USD', realizedPnl: '-0.5', commissions: '0.25', reports: 1, flexReports: -1 };
    expect(addTotals(a, b)).toEqual({ currency: 'USD', realizedPnl: '1', commissions: '1.25', reports: 3 });
  });
});
