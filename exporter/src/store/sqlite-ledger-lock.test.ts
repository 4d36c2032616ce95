import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/env.js';
import { LedgerError } from './ledger-error.js';
import { LedgerLock } from './sqlite-ledger-lock.js';

describe('LedgerLock', () => {
  const dir = tempDir();
  afterEach(() => dir.cleanup());

  it('refuses a second holder, naming the first, and is free again once released', () => {
    const ledger = `${dir.path}/ibkr.db`;
    const first = LedgerLock.acquire(ledger);
    let refusal: unknown;
    try {
      LedgerLock.acquire(ledger);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(LedgerError);
    expect((refusal as LedgerError).problem).toBe('in_use');
    expect((refusal as LedgerError).message).toMatch(
      new RegExp(
        `^cannot use the ledger ${ledger}: it is in use by another exporter \\(pid ${process.pid} on host ${hostname()}, started \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\); stop that one first, or give each exporter its own IBKR_DB_PATH$`,
      ),
    );
    first.release();
    LedgerLock.acquire(ledger).release();
  });
});
