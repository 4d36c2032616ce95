// A Flex statement (XML text) into the ledger: parsed (parse-statement.ts), planned into fills and
// cancellations (plan-import.ts), checked against the accounts this exporter manages, and handed
// to Store.importFlex as one transaction. The CLI (`ledger import-flex`) and the Flex Web Service
// schedule both come through here, so a file and a download are imported alike.
import { FlexInputError } from '../domain/flex.js';
import type { FlexBatch } from '../domain/flex.js';
import type { FlexImportResult, Store } from '../store/store.js';
import { parseFlexStatement } from './parse-statement.js';
import { planFlexImport } from './plan-import.js';

export type { FlexImportResult } from '../store/store.js';

export interface ImportStatementOptions {
  /** The accounts the ledger belongs to (the gateway's managed accounts): no other is imported. */
  managedAccounts: readonly string[];
  /** Plan and report, write nothing. */
  dryRun: boolean;
}

/** Throws a FlexInputError, naming the account and its first line, for an account not managed. */
export function checkAccounts(batch: FlexBatch, managedAccounts: readonly string[]): void {
  const managed = new Set(managedAccounts);
  for (const account of batch.accounts) {
    if (managed.has(account)) continue;
    const lines = [
      ...batch.fills.map((f) => ({ line: f.line, account: f.execution.account })),
      ...batch.cancellations,
    ]
      .filter((row) => row.account === account)
      .map((row) => row.line);
    const line = lines.length > 0 ? Math.min(...lines) : undefined;
    const where = line === undefined ? '' : ` (line ${line})`;
    const known = managedAccounts.length > 0 ? managedAccounts.join(', ') : 'none';
    throw new FlexInputError(
      `the statement is for account ${account}${where}, which this ledger does not manage (it manages ${known}); nothing was imported`,
      line,
    );
  }
}

/** Parses, plans, checks and imports a statement; nothing of it is kept if any step fails. */
export async function importFlexStatement(
  store: Pick<Store, 'importFlex'>,
  xml: string,
  options: ImportStatementOptions,
): Promise<FlexImportResult> {
  const batch = planFlexImport(parseFlexStatement(xml));
  checkAccounts(batch, options.managedAccounts);
  const result = await store.importFlex(batch, { dryRun: options.dryRun });
  const ignored = batch.ignored ?? [];
  return ignored.length === 0 ? result : { ...result, summary: { ...result.summary, ignored } };
}
