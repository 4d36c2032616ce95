import { describe, expect, it } from 'vitest';
import { decodeRequest } from './requests.js';

const ctx = { clientId: 4, serverVersion: 176, at: 1000 };

describe('decodeRequest', () => {
  it('decodes reqExecutions with its filter', () => {
    const r = decodeRequest(['7', '3', '9', '2', 'DU1', '20261125-15:00:00', 'AAPL', 'STK', '', 'BUY'], ctx);
    expect(r).toMatchObject({
      name: 'reqExecutions',
      msgId: 7,
      clientId: 4,
      at: 1000,
      reqId: 9,
      filter: {
        clientId: 2,
        acctCode: 'DU1',
        time: '20261125-15:00:00',
        symbol: 'AAPL',
        secType: 'STK',
        exchange: '',
        side: 'BUY',
      },
    });
  });

  it('decodes the PnL requests (reqPnLSingle is 94, cancelPnL is 93)', () => {
    expect(decodeRequest(['94', '5', 'DU1', '', '265598'], ctx)).toMatchObject({
      name: 'reqPnLSingle',
      reqId: 5,
      account: 'DU1',
      conId: 265598,
    });
    expect(decodeRequest(['93', '6'], ctx)).toMatchObject({ name: 'cancelPnL', reqId: 6 });
    expect(decodeRequest(['92', '7', 'DU1', ''], ctx)).toMatchObject({
      name: 'reqPnL',
      reqId: 7,
      account: 'DU1',
    });
  });

  it('decodes account summary tags and startApi client ids', () => {
    expect(decodeRequest(['62', '1', '3', 'All', 'NetLiquidation,BuyingPower'], ctx)).toMatchObject({
      reqId: 3,
      group: 'All',
      tags: ['NetLiquidation', 'BuyingPower'],
    });
    expect(decodeRequest(['71', '2', '17', ''], ctx)).toMatchObject({ name: 'startApi', clientId: 17 });
  });

  it('reads cancelOrder with and without the version field', () => {
    expect(decodeRequest(['4', '1', '42', ''], ctx).orderId).toBe(42);
    expect(decodeRequest(['4', '42', '', '', '2147483647'], { ...ctx, serverVersion: 193 }).orderId).toBe(42);
  });

  it('records unknown, empty and short messages without throwing', () => {
    expect(decodeRequest(['999', 'x'], ctx)).toMatchObject({ name: 'unknown', msgId: 999, fields: ['x'] });
    expect(decodeRequest([], ctx)).toMatchObject({ name: 'unknown', msgId: -1 });
    expect(decodeRequest(['94'], ctx)).toMatchObject({ name: 'reqPnLSingle', reqId: 0, conId: 0 });
  });
});
