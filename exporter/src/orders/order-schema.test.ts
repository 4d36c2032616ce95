import { describe, expect, it } from 'vitest';
import { bodyHash, fieldProblems, orderRequestSchema } from './order-schema.js';

const problems = (body: unknown) => {
  const result = orderRequestSchema.safeParse(body);
  return result.success ? [] : fieldProblems(result.error);
};

describe('the order request schema', () => {
  it('fills the seed defaults: STK on SMART in USD, DAY, MKT', () => {
    expect(orderRequestSchema.parse({ symbol: 'AAPL', qty: 10, side: 'BUY' })).toEqual({
      symbol: 'AAPL',
      qty: 10,
      side: 'BUY',
      order_type: 'MKT',
      exchange: 'SMART',
      currency: 'USD',
      tif: 'DAY',
      sec_type: 'STK',
      outside_rth: false,
    });
  });

  it.each([
    [{ symbol: 'AAPL', qty: 0, side: 'BUY' }, [{ field: 'qty', message: 'must be greater than 0' }]],
    [
      { symbol: 'AAPL', qty: 1, side: 'BUY', order_type: 'LMT' },
      [{ field: 'price', message: 'is required for LMT orders' }],
    ],
    [
      { symbol: 'AAPL', qty: 1, side: 'BUY', price: 10 },
      [{ field: 'price', message: 'is not allowed for MKT orders' }],
    ],
    [
      { symbol: 'AAPL', qty: 1.5, side: 'SELL', sec_type: 'OPT', expiry: '202612' },
      [
        { field: 'qty', message: 'must be a whole number of OPT contracts' },
        { field: 'strike', message: 'is required for OPT orders' },
        { field: 'right', message: 'is required for OPT orders' },
      ],
    ],
    [
      { symbol: 'ES', qty: 1, side: 'BUY', sec_type: 'FUT', right: 'C' },
      [
        { field: 'expiry', message: 'is required for FUT orders' },
        { field: 'right', message: 'is only for OPT orders' },
      ],
    ],
    [
      { symbol: 'AAPL', qty: 1, side: 'BUY', strike: 5, qtty: 2 },
      [
        { field: 'qtty', message: 'is not a known field' },
        { field: 'strike', message: 'is only for OPT and FUT orders' },
      ],
    ],
  ])('names each bad field of %j', (body, expected) => {
    expect(problems(body)).toEqual(expected);
  });

  it('rejects wrong types and a body that is not an object, field by field', () => {
    expect(problems({ symbol: 7, qty: '1', side: 'buy' }).map((p) => p.field)).toEqual([
      'symbol',
      'qty',
      'side',
    ]);
    expect(problems([1, 2]).map((p) => p.field)).toEqual(['(body)']);
  });

  it('hashes the validated request, so key order and spelled-out defaults are the same body', () => {
    const a = orderRequestSchema.parse({ symbol: 'AAPL', qty: 10, side: 'BUY' });
    const b = orderRequestSchema.parse({
      side: 'BUY',
      tif: 'DAY',
      qty: 10.0,
      symbol: 'AAPL',
      exchange: 'SMART',
    });
    const c = orderRequestSchema.parse({ symbol: 'AAPL', qty: 11, side: 'BUY' });
    expect(bodyHash(a)).toBe(bodyHash(b));
    expect(bodyHash(a)).not.toBe(bodyHash(c));
  });
});
