import { describe, expect, it } from 'vitest';
import { applyFill } from './accounting.js';

const fill = (side: 'BOT' | 'SLD', shares: number, price: number, commission = 0, multiplier = 1) => ({
  side,
  shares,
  price,
  commission,
  multiplier,
});

describe('applyFill (average cost, commissions in avgCost)', () => {
  it('opens and adds to a long position with commissions in the cost', () => {
    const opened = applyFill({ quantity: 50, avgCost: 140 }, fill('BOT', 50, 160, 1));
    expect(opened.quantity).toBe(100);
    expect(opened.avgCost).toBeCloseTo(150.01, 10);
    expect(opened.realizedPnl).toBeNull();
  });

  it('opens a short at proceeds net of commission', () => {
    const short = applyFill({ quantity: 0, avgCost: 0 }, fill('SLD', 20, 250, 1));
    expect(short).toEqual({ quantity: -20, avgCost: 249.95, realizedPnl: null });
  });

  it('realizes PnL net of commission on a partial close, keeping avgCost', () => {
    const closed = applyFill({ quantity: 2, avgCost: 520 }, fill('SLD', 1, 6, 0.65, 100));
    expect(closed.quantity).toBe(1);
    expect(closed.avgCost).toBe(520);
    expect(closed.realizedPnl).toBeCloseTo(79.35, 10);
  });

  it('realizes a short cover and goes flat with avgCost 0', () => {
    const covered = applyFill({ quantity: -20, avgCost: 249.95 }, fill('BOT', 20, 240, 1));
    expect(covered.quantity).toBe(0);
    expect(covered.avgCost).toBe(0);
    expect(covered.realizedPnl).toBeCloseTo(20 * 9.95 - 1, 10);
  });

  it('opens the remainder at the fill price when a fill crosses zero', () => {
    const flipped = applyFill({ quantity: 10, avgCost: 100 }, fill('SLD', 30, 110));
    expect(flipped).toEqual({ quantity: -20, avgCost: 110, realizedPnl: 100 });
  });
});
