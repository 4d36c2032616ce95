// Money at the edge of the JSON API. The ledger keeps exact decimal text (big.js, NUMERIC); the
// IBKR PnL Tracker's clients read money as JSON numbers, so a field they know is converted here,
// when the answer is written, and nowhere earlier. Unknown stays null, never 0. The exact text
// stays in each answer's `ledger` list.
import type { Decimal } from '../domain/types.js';

export function moneyNumber(value: Decimal | null | undefined): number | null {
  return value === undefined || value === null ? null : Number(value);
}
