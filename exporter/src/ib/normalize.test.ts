import type { Contract, Execution } from '@stoqey/ib';
import { describe, expect, it } from 'vitest';
import {
  connectionTimeZone,
  ibDouble,
  ibFilterTime,
  ibInt,
  ibSide,
  ibTime,
  toCommissionRecord,
  toContractInfo,
  toExecutionRecord,
} from './normalize.js';

const DOUBLE_MAX = 1.7976931348623157e308;

describe('ibDouble', () => {
  it.each([DOUBLE_MAX, -DOUBLE_MAX, Number.NaN, Infinity, -Infinity, undefined, null, '12'])(
    'maps %s to undefined, never 0',
    (value) => {
      expect(ibDouble(value)).toBeUndefined();
    },
  );

  it('keeps real values, 0 and negatives included', () => {
    expect(ibDouble(0)).toBe(0);
    expect(ibDouble(-12.5)).toBe(-12.5);
  });
});

describe('ibInt', () => {
  it('maps Integer.MAX (orderId of a fill entered in TWS) to undefined', () => {
    expect(ibInt(2147483647)).toBeUndefined();
    expect(ibInt(42)).toBe(42);
    expect(ibInt(1.5)).toBeUndefined();
  });
});

describe('ibSide', () => {
  it('maps BOT/SLD and BUY/SELL', () => {
    expect([ibSide('BOT'), ibSide('BUY'), ibSide('SLD'), ibSide('SELL'), ibSide('??')]).toEqual([
      'buy',
      'buy',
      'sell',
      'sell',
      undefined,
    ]);
  });
});

describe('ibTime', () => {
  it('follows daylight saving time on both sides of a change (US/Eastern, 2026-03-08 and 2026-11-01)', () => {
    expect(ibTime('20260307 12:00:00 US/Eastern')).toBe(Date.UTC(2026, 2, 7, 17, 0, 0));
    expect(ibTime('20260309 12:00:00 US/Eastern')).toBe(Date.UTC(2026, 2, 9, 16, 0, 0));
    expect(ibTime('20261031 23:59:59 US/Eastern')).toBe(Date.UTC(2026, 10, 1, 3, 59, 59));
    expect(ibTime('20261101 03:00:00 US/Eastern')).toBe(Date.UTC(2026, 10, 1, 8, 0, 0));
    expect(ibTime('20261125 10:05:07', 'Asia/Kolkata')).toBe(Date.UTC(2026, 10, 25, 4, 35, 7));
  });

  it('refuses impossible dates and clocks instead of rolling them over', () => {
    expect(ibTime('20261332 10:00:00')).toBeUndefined();
    expect(ibTime('20260230 10:00:00 UTC')).toBeUndefined();
    expect(ibTime('20261125 24:00:00')).toBeUndefined();
    expect(ibTime('20261125 10:60:00 US/Eastern')).toBeUndefined();
  });

  it('reads a time with an IANA zone, as the gateway sends it', () => {
    expect(ibTime('20261125 09:30:00 US/Eastern')).toBe(Date.UTC(2026, 10, 25, 14, 30, 0));
    expect(ibTime('20261125 14:30:00 UTC')).toBe(Date.UTC(2026, 10, 25, 14, 30, 0));
  });

  it('reads the dashed UTC form and epoch seconds', () => {
    expect(ibTime('20261125-14:30:00')).toBe(Date.UTC(2026, 10, 25, 14, 30, 0));
    expect(ibTime('1795617000')).toBe(1795617000 * 1000);
  });

  it('takes a zone-less time in the given default zone, tolerating IB’s double space', () => {
    expect(ibTime('20261125  15:30:00', 'Europe/Berlin')).toBe(Date.UTC(2026, 10, 25, 14, 30, 0));
  });

  it('rejects what it cannot read', () => {
    expect(ibTime('yesterday')).toBeUndefined();
    expect(ibTime('20261125 14:30:00 Mars/Olympus')).toBeUndefined();
  });

  it('round-trips the execution filter format', () => {
    const t = Date.UTC(2026, 10, 25, 14, 30, 5);
    expect(ibFilterTime(t)).toBe('20261125-14:30:05');
    expect(ibTime(ibFilterTime(t))).toBe(t);
  });
});

describe('toContractInfo', () => {
  it('treats a stock multiplier of 0 as 1', () => {
    expect(
      toContractInfo({ conId: 1, symbol: 'AAPL', secType: 'STK' as never, multiplier: 0 })?.multiplier,
    ).toBe(1);
  });

  it('keeps an option multiplier, strike and right', () => {
    const info = toContractInfo({
      conId: 2,
      symbol: 'AAPL',
      secType: 'OPT' as never,
      multiplier: 100,
      strike: 200,
      right: 'C' as never,
      lastTradeDateOrContractMonth: '20261218',
      currency: 'USD',
    });
    expect(info).toMatchObject({ multiplier: 100, strike: 200, right: 'C', lastTradeDate: '20261218' });
  });

  it('refuses a contract without conId or symbol', () => {
    expect(toContractInfo({ symbol: 'X' })).toBeUndefined();
    expect(toContractInfo({ conId: 5 })).toBeUndefined();
  });
});

describe('toExecutionRecord', () => {
  const contract: Contract = { conId: 1, symbol: 'AAPL', secType: 'STK' as never, currency: 'USD' };
  const execution: Execution = {
    execId: '0001.02.01.03',
    time: '20261125 14:30:00 UTC',
    acctNumber: 'DU1',
    side: 'SLD',
    shares: 20,
    price: 250.5,
    orderId: 2147483647,
    permId: 77,
  };

  it('normalises a fill: side, time, revision, sentinels', () => {
    const result = toExecutionRecord(undefined, contract, execution);
    expect(result).toMatchObject({
      ok: true,
      value: {
        execId: '0001.02.01.03',
        baseExecId: '0001.02.01',
        revision: 3,
        account: 'DU1',
        side: 'sell',
        shares: 20,
        price: 250.5,
        time: Date.UTC(2026, 10, 25, 14, 30),
        orderId: undefined,
        permId: 77,
      },
    });
  });

  it('rejects a fill with a Double.MAX price or no shares, saying why', () => {
    expect(toExecutionRecord(undefined, contract, { ...execution, price: DOUBLE_MAX })).toEqual({
      ok: false,
      reason: 'execution 0001.02.01.03: shares or price missing',
    });
    expect(toExecutionRecord(undefined, contract, { ...execution, shares: 0 }).ok).toBe(false);
    expect(toExecutionRecord(undefined, contract, { ...execution, time: 'soon' })).toEqual({
      ok: false,
      reason: 'execution 0001.02.01.03: unreadable time soon',
    });
  });
});

describe('toCommissionRecord', () => {
  it('stores a Double.MAX realized PnL as absent, not 0', () => {
    const result = toCommissionRecord({
      execId: 'a.01',
      commission: 1.05,
      currency: 'USD',
      realizedPNL: DOUBLE_MAX,
    });
    expect(result).toEqual({
      ok: true,
      value: {
        execId: 'a.01',
        baseExecId: 'a',
        revision: 1,
        commission: '1.05',
        currency: 'USD',
        realizedPnl: undefined,
      },
    });
  });

  it('keeps a realized PnL as exact decimal text', () => {
    const result = toCommissionRecord({
      execId: 'a.01',
      commission: 0.65,
      currency: 'USD',
      realizedPNL: 79.35,
    });
    expect(result.ok && result.value.realizedPnl).toBe('79.35');
  });
});

describe('connectionTimeZone', () => {
  it.each([
    ['20261125 15:41:57 US/Eastern', 'US/Eastern'],
    ['20261125 15:41:57 EST', 'EST'],
    ['20261125 15:41:57 Greenwich Mean Time', 'Greenwich Mean Time'],
    ['20261125 15:41:57', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('reads the zone of %j', (text, zone) => {
    expect(connectionTimeZone(text)).toBe(zone);
  });
});
