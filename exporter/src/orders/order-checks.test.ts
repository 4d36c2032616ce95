import { describe, expect, it } from 'vitest';
import type { ContractMatch } from '../ib/order-session.js';
import {
  checkLimits,
  checkNotional,
  chooseAccount,
  knownMultiplier,
  singleContract,
} from './order-checks.js';
import { OrderError } from './order-error.js';
import { orderRequestSchema } from './order-schema.js';
import type { OrderRequest } from './order-schema.js';

const request = (body: Record<string, unknown>) =>
  orderRequestSchema.parse({ symbol: 'AAPL', qty: 10, side: 'BUY', ...body }) as OrderRequest;

/** The reason and details of the OrderError `check` throws. */
function rejection(check: () => unknown): { reason: string; fields: string[]; messages: string[] } {
  try {
    check();
  } catch (error) {
    if (!(error instanceof OrderError)) throw error;
    const details = error.details ?? [];
    return {
      reason: error.reason,
      fields: details.map((d) => d.field),
      messages: details.map((d) => d.message),
    };
  }
  throw new Error('the check passed');
}

const match = (conId: number, extra: Partial<ContractMatch> = {}): ContractMatch => ({
  conId,
  symbol: 'ACME',
  secType: 'STK',
  currency: 'USD',
  multiplier: 1,
  ...extra,
});

describe('checkLimits', () => {
  it('lets an order within the limits through', () => {
    expect(() =>
      checkLimits(request({ order_type: 'LMT', price: 5 }), { maxQuantity: 10, maxNotional: 50 }),
    ).not.toThrow();
    expect(() => checkLimits(request({}), {})).not.toThrow();
  });

  it('refuses a quantity above IBKR_MAX_ORDER_QUANTITY, naming qty', () => {
    expect(rejection(() => checkLimits(request({ qty: 11 }), { maxQuantity: 10 }))).toEqual({
      reason: 'limits',
      fields: ['qty'],
      messages: ['must be at most 10 (IBKR_MAX_ORDER_QUANTITY)'],
    });
  });

  it('refuses a MKT order under a notional limit: it has no price to check', () => {
    expect(rejection(() => checkLimits(request({}), { maxNotional: 1e6 }))).toMatchObject({
      reason: 'limits',
      fields: ['order_type'],
    });
  });
});

describe('checkNotional', () => {
  const lmt = request({ order_type: 'LMT', price: 100.1, qty: 3 });

  it('compares qty × price × multiplier exactly', () => {
    // 3 × 100.1 = 300.3 exactly; as floats it is 300.29999999999995.
    expect(() => checkNotional(lmt, 300.3, 1)).not.toThrow();
    expect(rejection(() => checkNotional(lmt, 300.29, 1))).toEqual({
      reason: 'limits',
      fields: ['price'],
      messages: ['qty × price × multiplier = 300.3 is above 300.29 (IBKR_MAX_ORDER_NOTIONAL)'],
    });
  });

  it('counts the contract multiplier', () => {
    expect(rejection(() => checkNotional(lmt, 1000, 100)).messages[0]).toContain('= 30030 is above 1000');
  });

  it('checks nothing without a limit or a known multiplier', () => {
    expect(() => checkNotional(lmt, undefined, 100)).not.toThrow();
    expect(() => checkNotional(lmt, 1, undefined)).not.toThrow();
  });

  it('knows a stock multiplier before the lookup, and an option one only if it was sent', () => {
    expect(knownMultiplier(lmt)).toBe(1);
    const option = { sec_type: 'OPT', expiry: '20270115', strike: 100, right: 'C', qty: 1 };
    expect(knownMultiplier(request(option))).toBeUndefined();
    expect(knownMultiplier(request({ ...option, multiplier: 100 }))).toBe(100);
  });
});

describe('chooseAccount', () => {
  it('takes the only managed account when none is named', () => {
    expect(chooseAccount(undefined, ['DU1'])).toBe('DU1');
  });

  it('takes a named account the gateway manages', () => {
    expect(chooseAccount('DU2', ['DU1', 'DU2'])).toBe('DU2');
  });

  it('refuses an account the gateway does not manage', () => {
    expect(rejection(() => chooseAccount('DU9', ['DU1']))).toEqual({
      reason: 'invalid',
      fields: ['account'],
      messages: ['is not managed by this gateway (managed: DU1)'],
    });
  });

  it('asks for the account when the gateway manages several', () => {
    expect(rejection(() => chooseAccount(undefined, ['DU1', 'DU2'])).messages).toEqual([
      'is required: the gateway manages 2 accounts (DU1, DU2)',
    ]);
  });
});

describe('singleContract', () => {
  const acme = request({ symbol: 'ACME' });

  it('returns the one match', () => {
    expect(singleContract(acme, [match(7)]).conId).toBe(7);
  });

  it('refuses a contract the gateway does not know', () => {
    expect(rejection(() => singleContract(acme, []))).toEqual({
      reason: 'unknown_contract',
      fields: ['symbol'],
      messages: ['no contract found for STK ACME on SMART in USD'],
    });
  });

  it('lists the first matches of an ambiguous contract so the caller can narrow it', () => {
    const matches = [1, 2, 3, 4, 5, 6].map((id) =>
      match(id, { primaryExchange: id === 1 ? 'NYSE' : undefined }),
    );
    const { reason, messages } = rejection(() => singleContract(acme, matches));
    expect(reason).toBe('ambiguous_contract');
    expect(messages[0]).toMatch(
      /^6 contracts match STK ACME on SMART in USD: 1 \(NYSE\), 2, 3, 4, 5; narrow it/,
    );
  });
});
