import { describe, expect, it } from 'vitest';
import { takeIncomingCarry } from './ledger-merge.js';

describe('takeIncomingCarry', () => {
  it('takes the copied carry of a position the target never learned one for', () => {
    expect(takeIncomingCarry(undefined, { quantity: '200' })).toBe(true);
  });

  it('takes the carry of the ledger whose history of the position starts earlier', () => {
    // A live exporter began today: it learned 300 held before today's fill; the copy's history
    // starts a week earlier, before 100 of those were bought.
    expect(
      takeIncomingCarry({ quantity: '300', firstFill: 2_000 }, { quantity: '200', firstFill: 1_000 }),
    ).toBe(true);
    expect(
      takeIncomingCarry({ quantity: '200', firstFill: 1_000 }, { quantity: '300', firstFill: 2_000 }),
    ).toBe(false);
  });

  it('takes the copied carry over one learned without any fill', () => {
    expect(takeIncomingCarry({ quantity: '300' }, { quantity: '200', firstFill: 1_000 })).toBe(true);
  });

  it("keeps the target's carry on a tie, an equal quantity, or a copy without fills", () => {
    expect(
      takeIncomingCarry({ quantity: '300', firstFill: 1_000 }, { quantity: '200', firstFill: 1_000 }),
    ).toBe(false);
    expect(
      takeIncomingCarry({ quantity: '200', firstFill: 5_000 }, { quantity: '200.0', firstFill: 1_000 }),
    ).toBe(false);
    expect(takeIncomingCarry({ quantity: '300', firstFill: 1_000 }, { quantity: '200' })).toBe(false);
    expect(takeIncomingCarry({ quantity: '300' }, { quantity: '200' })).toBe(false);
  });
});
