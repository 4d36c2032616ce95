import { describe, expect, it } from 'vitest';
import {
  bodyHash,
  fieldProblems,
  idempotencyKeyOf,
  orderRequestSchema,
  parseOrderRequest,
  sessionRouting,
} from './order-schema.js';
import type { OrderRequest } from './order-schema.js';

const problems = (body: unknown) => {
  const result = orderRequestSchema.safeParse(body);
  return result.success ? [] : fieldProblems(result.error);
};
const parse = (body: unknown): OrderRequest => {
  const result = parseOrderRequest(body);
  if (!result.success) throw new Error(JSON.stringify(fieldProblems(result.error)));
  return result.data;
};

describe('the order request schema', () => {
  it('fills the seed defaults: STK on SMART in USD, DAY, MKT', () => {
    expect(parse({ symbol: 'AAPL', qty: 10, side: 'BUY' })).toEqual({
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

  it("takes the tracker's spellings: side and order type in any case, MARKET and LIMIT", () => {
    expect(parse({ symbol: 'AAPL', qty: 1, side: 'buy', order_type: 'MKT' })).toMatchObject({
      side: 'BUY',
      order_type: 'MKT',
    });
    expect(parse({ symbol: 'AAPL', qty: 1, side: 'Sell', order_type: 'limit', price: 5 })).toMatchObject({
      side: 'SELL',
      order_type: 'LMT',
    });
    expect(parse({ symbol: 'AAPL', qty: 1, side: 'sELL', order_type: 'Market' }).order_type).toBe('MKT');
    expect(parse({ symbol: 'AAPL', qty: 1, side: 'BUY', order_type: 'lmt', price: 1 }).order_type).toBe(
      'LMT',
    );
  });

  it('refuses other words, naming what is accepted', () => {
    expect(problems({ symbol: 'AAPL', qty: 1, side: 'purchase', order_type: 'STP' })).toEqual([
      { field: 'side', message: 'must be one of BUY, SELL (any case)' },
      { field: 'order_type', message: 'must be one of MKT, LMT, MARKET, LIMIT (any case)' },
    ]);
  });

  it('turns trading sessions into outside-RTH: EXTENDED and OVERNIGHT set it, RTH and none leave it off', () => {
    const order = { symbol: 'AAPL', qty: 1, side: 'buy' };
    expect(parse({ ...order, trading_session: 'extended' })).toMatchObject({
      trading_session: 'EXTENDED',
      outside_rth: true,
    });
    expect(parse({ ...order, trading_session: 'Overnight' })).toMatchObject({
      trading_session: 'OVERNIGHT',
      outside_rth: true,
    });
    expect(parse({ ...order, trading_session: 'rth' }).outside_rth).toBe(false);
    expect(parse({ ...order, outside_rth: true }).outside_rth).toBe(true);
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
    [
      { symbol: 'AAPL', qty: 1, side: 'BUY', trading_session: 'RTH', outside_rth: true },
      [{ field: 'outside_rth', message: 'cannot be true with trading_session RTH' }],
    ],
    [
      { symbol: 'AAPL', qty: 1, side: 'BUY', trading_session: 'extended', outside_rth: false },
      [{ field: 'outside_rth', message: 'cannot be false with trading_session EXTENDED' }],
    ],
    [
      { symbol: 'AAPL', qty: 1, side: 'BUY', trading_session: 'weekend' },
      [{ field: 'trading_session', message: 'must be one of RTH, EXTENDED, OVERNIGHT (any case)' }],
    ],
    [
      {
        symbol: 'SAP',
        qty: 1,
        side: 'BUY',
        currency: 'EUR',
        exchange: 'IBIS',
        tif: 'GTC',
        trading_session: 'OVERNIGHT',
      },
      [
        {
          field: 'trading_session',
          message: 'OVERNIGHT is only for US stocks and ETFs (sec_type STK, currency USD)',
        },
        { field: 'tif', message: 'must be DAY with trading_session OVERNIGHT' },
        { field: 'exchange', message: 'must be SMART or OVERNIGHT with trading_session OVERNIGHT' },
      ],
    ],
  ])('names each bad field of %j', (body, expected) => {
    expect(problems(body)).toEqual(expected);
  });

  it('rejects wrong types and a body that is not an object, field by field', () => {
    expect(problems({ symbol: 7, qty: '1', side: true }).map((p) => p.field)).toEqual([
      'symbol',
      'qty',
      'side',
    ]);
    expect(problems([1, 2]).map((p) => p.field)).toEqual(['(body)']);
  });

  it('hashes the validated request, so key order, spelling, defaults and where the key was sent do not matter', () => {
    const a = parse({ symbol: 'AAPL', qty: 10, side: 'BUY' });
    const b = parse({
      side: 'buy',
      tif: 'DAY',
      qty: 10.0,
      symbol: 'AAPL',
      exchange: 'SMART',
      order_type: 'market',
      outside_rth: false,
      idempotency_key: 'k-1',
    });
    const c = parse({ symbol: 'AAPL', qty: 11, side: 'BUY' });
    expect(bodyHash(a)).toBe(bodyHash(b));
    expect(bodyHash(a)).not.toBe(bodyHash(c));
  });
});

describe('the idempotency key of a request', () => {
  const order = { symbol: 'AAPL', qty: 1, side: 'BUY', client_order_id: 'ref-1' };

  it('is the header, else idempotency_key in the body, else client_order_id', () => {
    expect(idempotencyKeyOf(parse(order), 'h-1')).toEqual({ key: 'h-1' });
    expect(idempotencyKeyOf(parse({ ...order, idempotency_key: 'b-1' }), undefined)).toEqual({ key: 'b-1' });
    expect(idempotencyKeyOf(parse({ ...order, idempotency_key: 'b-1' }), 'b-1')).toEqual({ key: 'b-1' });
    expect(idempotencyKeyOf(parse(order), undefined)).toEqual({ key: 'ref-1' });
  });

  it('is refused, naming both, when the header and the body disagree', () => {
    expect(idempotencyKeyOf(parse({ ...order, idempotency_key: 'b-1' }), 'h-1')).toEqual([
      { field: 'Idempotency-Key', message: 'differs from idempotency_key in the body' },
      { field: 'idempotency_key', message: 'differs from the Idempotency-Key header' },
    ]);
  });
});

describe('routing of a trading session', () => {
  const overnight = (exchange: string) =>
    parse({ symbol: 'AAPL', qty: 1, side: 'BUY', trading_session: 'OVERNIGHT', exchange });

  it('asks for includeOvernight on SMART from server version 189', () => {
    expect(sessionRouting(overnight('SMART'), 189)).toEqual({ outsideRth: true, includeOvernight: true });
    expect(sessionRouting(overnight('SMART'), 193)).toEqual({ outsideRth: true, includeOvernight: true });
  });

  it('refuses OVERNIGHT on SMART below server version 189, and sends the OVERNIGHT venue as it is', () => {
    expect(sessionRouting(overnight('SMART'), 176)).toEqual({
      field: 'trading_session',
      message:
        'OVERNIGHT on SMART needs a gateway with API server version 189 or later (this one: 176); ' +
        'upgrade TWS / IB Gateway, or send exchange OVERNIGHT',
    });
    expect(sessionRouting(overnight('OVERNIGHT'), 176)).toEqual({
      outsideRth: true,
      includeOvernight: false,
    });
  });

  it('leaves other sessions to outside_rth', () => {
    const extended = parse({ symbol: 'AAPL', qty: 1, side: 'BUY', trading_session: 'EXTENDED' });
    expect(sessionRouting(extended, 150)).toEqual({ outsideRth: true, includeOvernight: false });
  });
});
