import { describe, expect, it } from 'vitest';
import { parseExecId } from './exec-id.js';
import { contribution, decideRevision } from './ledger.js';
import { addDecimal, addSigned, subDecimal, toDecimal } from './money.js';
import { snapshotReason } from './snapshot-policy.js';
import type { ContractInfo } from './types.js';

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
