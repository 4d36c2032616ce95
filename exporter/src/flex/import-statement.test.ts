import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FlexInputError } from '../domain/flex.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { importFlexStatement } from './import-statement.js';

const FIXTURE = readFileSync(
  new URL('../../test/fixtures/flex/activity-statement.xml', import.meta.url),
  'utf8',
);
/** The fixture's AAPL call (multiplier 100): bought 2 for 1.3, sold 2 for 1.3076, FIFO realized 107.3924. */
const CALL = { realizedPnl: '107.3924', commissions: '2.6076', reports: 2, flexReports: 2 };

describe('importFlexStatement', () => {
  let store: SqliteStore;
  beforeEach(() => {
    store = new SqliteStore({ path: ':memory:' });
  });
  afterEach(() => store.close());

  it('parses, plans and imports a statement of a managed account', async () => {
    const result = await importFlexStatement(store, FIXTURE, {
      managedAccounts: ['U1234567'],
      dryRun: false,
    });
    expect(result.summary.accounts).toEqual([{ account: 'U1234567', add: 12, merge: 0, skip: 1, cancel: 0 }]);
    const call = store.load().ledger.find((t) => t.realizedPnl === CALL.realizedPnl);
    expect(call).toMatchObject(CALL);
    // The EUR trade is totalled in its commission's currency, apart from the USD ones.
    expect(store.load().ledger.filter((t) => t.currency === 'EUR')).toMatchObject([
      { realizedPnl: '0', commissions: '3', reports: 1, flexReports: 1 },
    ]);
    expect(result.executionCounts).toEqual([{ account: 'U1234567', executions: 12 }]);
  });

  it('refuses a statement for an account the ledger does not manage, naming it and its line', async () => {
    const attempt = importFlexStatement(store, FIXTURE, { managedAccounts: ['DU1', 'DU2'], dryRun: false });
    await expect(attempt).rejects.toThrow(FlexInputError);
    await expect(attempt).rejects.toMatchObject({
      line: 7,
      message: expect.stringContaining(
        'account U1234567 (line 7), which this ledger does not manage (it manages DU1, DU2)',
      ),
    });
    expect(store.load().executionCounts).toEqual([]);
  });

  it('imports nothing of a file that is not a Flex statement', async () => {
    await expect(
      importFlexStatement(store, '<FlexQueryResponse><Oops', {
        managedAccounts: ['U1234567'],
        dryRun: false,
      }),
    ).rejects.toThrow(FlexInputError);
    expect(store.load().ledger).toEqual([]);
  });
});
