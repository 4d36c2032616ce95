import Big from 'big.js';
import { describe, expect, it } from 'vitest';
import { FifoBook } from './fifo.js';

const fill = (quantity: string, netCash: string, openedBy: string) => ({
  quantity: new Big(quantity),
  netCash: new Big(netCash),
  openedBy,
});

const text = (r: ReturnType<FifoBook<string>['apply']>) => ({
  openClose: r.openClose,
  cost: r.cost.toFixed(),
  realized: r.realized.toFixed(),
  closes: r.closes.map((c) => ({
    lot: c.lot,
    quantity: c.quantity.toFixed(),
    cost: c.cost.toFixed(),
    realized: c.realized.toFixed(),
  })),
});

describe('FIFO lots', () => {
  it('opens a lot at its cash, commission included, and realizes nothing', () => {
    const book = new FifoBook<string>();
    // Buy 10 at 89.5 with 4 commission: net cash -899, cost 899.
    expect(text(book.apply('k', fill('10', '-899', 'a')))).toEqual({
      openClose: 'O',
      cost: '899',
      realized: '0',
      closes: [],
    });
  });

  it('closes the oldest lot first', () => {
    const book = new FifoBook<string>();
    book.apply('k', fill('10', '-1001', 'a')); // 10 at 100 + 1
    book.apply('k', fill('10', '-1101', 'b')); // 10 at 110 + 1
    // Sell 15 at 120 - 1.5: net 1798.5. Closes a (10) and 5 of b.
    const r = text(book.apply('k', fill('-15', '1798.5', 'c')));
    expect(r.openClose).toBe('C');
    expect(r.closes).toEqual([
      { lot: 'a', quantity: '10', cost: '1001', realized: '198' },
      { lot: 'b', quantity: '5', cost: '550.5', realized: '49' },
    ]);
    expect(r.realized).toBe('247');
    expect(r.cost).toBe('-1551.5');
    expect(book.open('k').map((l) => [l.quantity.toFixed(), l.cost.toFixed(), l.openedBy])).toEqual([
      ['5', '550.5', 'b'],
    ]);
  });

  it('realizes a short: proceeds net of commission minus the cost to cover', () => {
    const book = new FifoBook<string>();
    book.apply('k', fill('-10', '999', 'a')); // short 10 at 100, commission 1
    expect(text(book.apply('k', fill('10', '-901', 'b')))).toMatchObject({
      openClose: 'C',
      realized: '98',
      cost: '999',
    });
  });

  it('flips: closes what is open and opens the rest (C;O), the cash split pro rata', () => {
    const book = new FifoBook<string>();
    book.apply('k', fill('10', '-1000', 'a'));
    // Sell 30 at 110, commission 3: net 3297. 10 close (1099 cash), 20 open short (2198).
    const r = text(book.apply('k', fill('-30', '3297', 'b')));
    expect(r).toMatchObject({ openClose: 'C;O', realized: '99', cost: '-3198' });
    expect(book.open('k').map((l) => [l.quantity.toFixed(), l.cost.toFixed()])).toEqual([['-20', '-2198']]);
  });

  it('splits an uneven lot at 6 decimals and keeps the remainder in the lot', () => {
    const book = new FifoBook<string>();
    book.apply('k', fill('3', '-100', 'a'));
    const first = book.apply('k', fill('-1', '40', 'b'));
    expect(first.closes[0]?.cost.toFixed()).toBe('33.333333');
    const rest = book.apply('k', fill('-2', '80', 'c'));
    expect(rest.closes[0]?.cost.toFixed()).toBe('66.666667');
    expect(first.realized.plus(rest.realized).toFixed()).toBe('20');
  });

  it('keeps positions apart', () => {
    const book = new FifoBook<string>();
    book.apply('x', fill('1', '-10', 'a'));
    expect(book.apply('y', fill('-1', '10', 'b')).openClose).toBe('O');
  });
});
