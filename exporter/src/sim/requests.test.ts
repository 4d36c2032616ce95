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

  it('decodes placeOrder with and without the version field (ORDER_CONTAINER, 145)', () => {
    const contract = ['265598', 'AAPL', 'STK', '', '', '', '', 'SMART', '', 'USD', '', '', '', ''];
    const order = [
      'BUY',
      '10',
      'LMT',
      '150.5',
      '',
      'DAY',
      '',
      'DU1',
      '',
      '0',
      'ref-1',
      '1',
      '0',
      '0',
      '0',
      '',
      '0',
      '1',
    ];
    const expected = {
      name: 'placeOrder',
      orderId: 7,
      contract: { conId: 265598, symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD' },
      order: {
        action: 'BUY',
        totalQuantity: 10,
        orderType: 'LMT',
        lmtPrice: 150.5,
        tif: 'DAY',
        account: 'DU1',
      },
    };
    const current = decodeRequest(['3', '7', ...contract, ...order], ctx);
    expect(current).toMatchObject(expected);
    expect(current.order).toMatchObject({ orderRef: 'ref-1', transmit: true, outsideRth: true });
    expect(
      decodeRequest(['3', '45', '7', ...contract, ...order], { ...ctx, serverVersion: 140 }),
    ).toMatchObject(expected);
  });

  it("decodes placeOrder's includeOvernight from the end of the message (server versions 189 and 192+)", () => {
    const head = ['3', '7', ...Array<string>(40).fill('')];
    expect(decodeRequest([...head, '1'], { ...ctx, serverVersion: 189 }).order?.includeOvernight).toBe(true);
    expect(decodeRequest([...head, '1', ''], { ...ctx, serverVersion: 193 }).order?.includeOvernight).toBe(
      true,
    );
    expect(decodeRequest([...head, '0', ''], { ...ctx, serverVersion: 193 }).order?.includeOvernight).toBe(
      false,
    );
    expect(decodeRequest([...head, '1'], { ...ctx, serverVersion: 176 }).order?.includeOvernight).toBe(false);
  });

  it('decodes reqContractDetails', () => {
    const r = decodeRequest(
      ['9', '8', '12', '', 'AAPL', 'OPT', '202612', '200', 'C', '100', 'SMART', '', 'USD', '', '', '0'],
      ctx,
    );
    expect(r).toMatchObject({
      name: 'reqContractDetails',
      reqId: 12,
      contract: {
        conId: 0,
        symbol: 'AAPL',
        secType: 'OPT',
        lastTradeDateOrContractMonth: '202612',
        strike: 200,
        right: 'C',
        multiplier: 100,
      },
    });
  });

  it('records unknown, empty and short messages without throwing', () => {
    expect(decodeRequest(['999', 'x'], ctx)).toMatchObject({ name: 'unknown', msgId: 999, fields: ['x'] });
    expect(decodeRequest([], ctx)).toMatchObject({ name: 'unknown', msgId: -1 });
    expect(decodeRequest(['94'], ctx)).toMatchObject({ name: 'reqPnLSingle', reqId: 0, conId: 0 });
  });
});
