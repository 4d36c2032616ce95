import { describe, expect, it } from 'vitest';
import { ORDER_STATUSES, TERMINAL_ORDER_STATUSES, isTerminalStatus } from './order-status.js';

describe('isTerminalStatus', () => {
  it('treats filled, cancelled and inactive orders as done', () => {
    for (const status of ['Filled', 'Cancelled', 'ApiCancelled', 'Inactive']) {
      expect(isTerminalStatus(status)).toBe(true);
    }
  });

  it('keeps orders that may still fill or be cancelled open', () => {
    for (const status of ['PendingSubmit', 'PreSubmitted', 'Submitted', 'PendingCancel']) {
      expect(isTerminalStatus(status)).toBe(false);
    }
  });

  it('does not call a state it does not know terminal', () => {
    expect(isTerminalStatus('Unknown')).toBe(false);
    expect(isTerminalStatus('filled')).toBe(false);
  });

  it('lists only states IB reports', () => {
    for (const status of TERMINAL_ORDER_STATUSES) expect(ORDER_STATUSES).toContain(status);
  });
});
