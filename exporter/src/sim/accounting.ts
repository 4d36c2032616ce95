// Average-cost accounting of a fill against a position, the way IB reports avgCost:
// per share for stocks, per contract including the multiplier for options and futures,
// commissions included (for shorts: proceeds net of commission).

export interface Holding {
  quantity: number;
  avgCost: number;
}

export interface Fill {
  side: 'BOT' | 'SLD';
  shares: number;
  /** Per unit, as in execDetails. */
  price: number;
  /** Contract multiplier; stocks have none (1). */
  multiplier: number;
  commission: number;
}

export interface FillResult extends Holding {
  /** Realized PnL net of commission; null for a purely opening fill (IB sends Double.MAX). */
  realizedPnl: number | null;
}

export function applyFill(before: Holding, fill: Fill): FillResult {
  const signed = fill.side === 'BOT' ? fill.shares : -fill.shares;
  const unitCost = fill.price * fill.multiplier;
  const commissionPerShare = fill.shares === 0 ? 0 : fill.commission / fill.shares;
  const q = before.quantity;
  const opening = q === 0 || Math.sign(q) === Math.sign(signed);
  if (opening) {
    const quantity = q + signed;
    // Buying adds commission to the cost; selling short subtracts it from the proceeds.
    const addedCost = Math.abs(signed) * (unitCost + Math.sign(signed) * commissionPerShare);
    const avgCost = (Math.abs(q) * before.avgCost + addedCost) / Math.abs(quantity);
    return { quantity, avgCost, realizedPnl: null };
  }
  const closed = Math.min(Math.abs(q), Math.abs(signed));
  const opened = Math.abs(signed) - closed;
  // Long closed by a sale gains (price - cost); short closed by a buy gains (cost - price).
  const gross = closed * (unitCost - before.avgCost) * Math.sign(q);
  const realizedPnl = gross - closed * commissionPerShare;
  const quantity = q + signed;
  if (quantity === 0) return { quantity: 0, avgCost: 0, realizedPnl };
  if (opened === 0) return { quantity, avgCost: before.avgCost, realizedPnl };
  // The fill crossed zero: the rest opens a new position at this fill's price.
  const avgCost = unitCost + Math.sign(signed) * commissionPerShare;
  return { quantity, avgCost, realizedPnl };
}
