import { describe, expect, it } from 'vitest';
import { RestartDisabledError, disabledRestarter } from './restarter.js';

describe('disabledRestarter', () => {
  it('refuses to restart and says which variable enables it', async () => {
    await expect(disabledRestarter.restart()).rejects.toThrow(RestartDisabledError);
    await expect(disabledRestarter.restart()).rejects.toThrow('set IBKR_GATEWAY_RESTART_ENABLED=true');
    expect(disabledRestarter.status()).toEqual({ state: 'idle' });
  });
});
