// Sums of money are exact decimals (big.js): adding realized PnL as floats drifts by cents over a
// year of fills, and a ledger that disagrees with IB's statement by 0.0000001 is still wrong.
import Big from 'big.js';
import type { Decimal } from './types.js';

/** A float IB sent (parsed by stoqey) back to the decimal text it was printed from. */
export function toDecimal(value: number): Decimal {
  // String(n) is the shortest text that round-trips, which is what Java's Double.toString printed.
  return new Big(String(value)).toString();
}

export function addDecimal(a: Decimal, b: Decimal): Decimal {
  return new Big(a).plus(b).toString();
}

export function subDecimal(a: Decimal, b: Decimal): Decimal {
  return new Big(a).minus(b).toString();
}

/** a + sign × b */
export function addSigned(a: Decimal, b: Decimal, sign: 1 | -1): Decimal {
  return sign > 0 ? addDecimal(a, b) : subDecimal(a, b);
}
