import { describe, expect, it } from 'vitest';
import { RestartDisabledError, disabledRestarter } from './restarter.js';

describe('disabledRestarter', () => {
  it('refuses to restart and says which variable enables it', async () => {
    await expect(disabledRestarter.restart()).rejects.toThrow(RestartDisabledError);
    await expect(disabledRestarter.restart()).rejects.toMatchObject({
      reason: 'disabled',
      message: 'gateway restart is disabled: set IBKR_GATEWAY_RESTART_ENABLED=true',
    });
    expect(disabledRestarter.status()).toEqual({ state: 'idle' });
    expect(disabledRestarter.outcomes()).toEqual({
      cold: { success: 0, failure: 0 },
      soft: { success: 0, failure: 0 },
    });
  });
});
