// FIFO by tax lot, the basis of Flex's `fifoPnlRealized`: a fill first closes the oldest open lots
// of its position, and what is left opens a new lot. A lot's cost is the cash that opened it, its
// commission included (a long: price paid plus commission; a short: minus the proceeds net of
// commission), so a close realizes its own net cash minus the closed lots' cost; the row's `cost`
// is minus that basis. Exact: big.js throughout; a part of a lot or a fill is split pro rata at
// 6 decimals and the remainder stays with the rest, so no cash is ever lost or made by rounding.
import Big from 'big.js';

export interface FifoLot<T> {
  /** Signed: positive for a long lot, negative for a short one. */
  quantity: Big;
  /** Signed cash that opened it (long: positive cost; short: negative). */
  cost: Big;
  /** Who opened it (the simulator keeps the fill, for closed-lot rows). */
  openedBy: T;
}

export interface FifoFill<T> {
  /** Signed quantity in units of the contract (shares, contracts). */
  quantity: Big;
  /** Signed cash of the fill: proceeds plus the (negative) commission. */
  netCash: Big;
  openedBy: T;
}

export interface FifoClose<T> {
  lot: T;
  /** Signed quantity of the lot closed (as the lot's sign). */
  quantity: Big;
  /** The closed part's cost (the lot's sign). */
  cost: Big;
  realized: Big;
}

export interface FifoResult<T> {
  openClose: 'O' | 'C' | 'C;O';
  /** The row's `cost`: minus the closed basis, plus the opening part's cost. */
  cost: Big;
  /** Zero for a purely opening fill, as Flex writes it. */
  realized: Big;
  closes: FifoClose<T>[];
}

const SHARE_DP = 6;

/** `whole * part / total`, at 6 decimals, half-even. */
function share(whole: Big, part: Big, total: Big): Big {
  return whole.times(part).div(total).round(SHARE_DP, Big.roundHalfEven);
}

export class FifoBook<T> {
  private readonly lots = new Map<string, FifoLot<T>[]>();

  /** The open lots of a position, oldest first. */
  open(key: string): readonly FifoLot<T>[] {
    return this.lots.get(key) ?? [];
  }

  apply(key: string, fill: FifoFill<T>): FifoResult<T> {
    if (fill.quantity.eq(0)) throw new Error('a fill needs a quantity');
    const lots = this.lots.get(key) ?? [];
    this.lots.set(key, lots);
    const sign = fill.quantity.gt(0) ? 1 : -1;
    let left = fill.quantity.abs();
    let cashLeft = fill.netCash;
    const closes: FifoClose<T>[] = [];
    while (left.gt(0) && lots.length > 0 && (lots[0]?.quantity.gt(0) ? 1 : -1) !== sign) {
      const lot = lots[0] as FifoLot<T>;
      const lotSize = lot.quantity.abs();
      const closing = lotSize.lt(left) ? lotSize : left;
      const cost = closing.eq(lotSize) ? lot.cost : share(lot.cost, closing, lotSize);
      // This fill's cash for the units it closes; the last part takes what is left.
      const cash = closing.eq(left) ? cashLeft : share(cashLeft, closing, left);
      closes.push({
        lot: lot.openedBy,
        quantity: closing.times(-sign),
        cost,
        realized: cash.minus(cost),
      });
      left = left.minus(closing);
      cashLeft = cashLeft.minus(cash);
      if (closing.eq(lotSize)) lots.shift();
      else {
        lot.quantity = lot.quantity.minus(closing.times(-sign));
        lot.cost = lot.cost.minus(cost);
      }
    }
    const closedCost = closes.reduce((sum, c) => sum.plus(c.cost), new Big(0));
    const realized = closes.reduce((sum, c) => sum.plus(c.realized), new Big(0));
    if (left.gt(0)) {
      // The opening part's cost is the cash it took: minus its net cash.
      lots.push({ quantity: left.times(sign), cost: cashLeft.times(-1), openedBy: fill.openedBy });
    }
    const openClose = closes.length === 0 ? 'O' : left.gt(0) ? 'C;O' : 'C';
    return {
      openClose,
      cost: closedCost.times(-1).plus(left.gt(0) ? cashLeft.times(-1) : 0),
      realized,
      closes,
    };
  }
}
