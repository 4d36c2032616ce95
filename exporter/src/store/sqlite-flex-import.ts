// A Flex statement into the SQLite ledger, inside the store's one transaction (SqliteStore.importFlex
// opens it, and rolls it back for a dry run). The fills go through the store's own group path, so
// the planner decides them as it decides the API's, then: the trade ids the API never reports are
// written onto its rows, carries shrink by the fills older than a position's history, and the
// statement's cancellations forget their fills. The rules are domain/flex-ledger.ts.
import type { Database as Db, Statement } from 'better-sqlite3';
import { carryAfterImport, flexFillEvents } from '../domain/flex-ledger.js';
import type { FlexBatch, FlexFill } from '../domain/flex.js';
import type { FillEvent } from '../domain/fill-group.js';
import { applyContribution, contribution } from '../domain/ledger.js';
import { toDecimal } from '../domain/money.js';
import type { LedgerTotals } from '../domain/types.js';
import { FlexChanges, flexPositions } from './flex-import.js';
import { joinedReportFromRow } from './rows.js';
import type { Row } from './rows.js';
import type { SqliteHistory } from './sqlite-history.js';
import type { FlexImportResult, RecordResult } from './store.js';

/** What the import needs of the store: its group path and its cached totals and counts. */
export interface SqliteFlexDeps {
  db: Db;
  history: SqliteHistory;
  recordGroup(events: FillEvent[]): RecordResult[];
  storedTotals(key: Pick<LedgerTotals, 'account' | 'conId' | 'currency'>): LedgerTotals | undefined;
  saveTotals(totals: LedgerTotals): void;
  /** Adds delta to the account's execution count; returns the count after. */
  addExecutions(account: string, delta: number): number;
}

export class SqliteFlexImport {
  private readonly stmt: Record<string, Statement>;

  constructor(private readonly deps: SqliteFlexDeps) {
    const p = (sql: string) => deps.db.prepare(sql);
    this.stmt = {
      cancelled: p(`SELECT 1 FROM flex_cancelled WHERE account = ? AND trade_id = ?`),
      cancel: p(`INSERT INTO flex_cancelled (account, trade_id) VALUES (?, ?) ON CONFLICT DO NOTHING`),
      setTradeId: p(`UPDATE executions SET trade_id = ? WHERE base_exec_id = ? AND trade_id IS NULL`),
      byTrade: p(`SELECT e.base_exec_id, e.account, e.con_id, e.time_ms, c.currency,
          r.exec_id AS report_exec_id, r.revision AS report_revision, r.commission, r.currency AS report_currency,
          r.realized_pnl, r.source AS report_source
        FROM executions e JOIN contracts c USING (con_id) LEFT JOIN commission_reports r USING (base_exec_id)
        WHERE e.account = ? AND (e.trade_id = ? OR e.base_exec_id = ?)`),
      deleteReport: p(`DELETE FROM commission_reports WHERE base_exec_id = ?`),
      deleteExecution: p(`DELETE FROM executions WHERE base_exec_id = ?`),
    };
  }

  /** Applies the statement; the caller's transaction keeps all of it or none. */
  run(batch: FlexBatch, dryRun: boolean): FlexImportResult {
    const { history } = this.deps;
    const changes = new FlexChanges();
    // A fill a statement cancelled before stays forgotten, whichever statement lists it again.
    const fills: FlexFill[] = [];
    for (const fill of batch.fills) {
      const { account, tradeId } = fill.execution;
      if (tradeId !== undefined && this.stmt.cancelled!.get(account, tradeId))
        changes.outcome(account, 'skip');
      else fills.push(fill);
    }
    const before = flexPositions(fills).map((p) => ({
      ...p,
      carry: history.carryOf(p.account, p.conId),
      first: history.firstFill(p.account, p.conId),
    }));
    const results = fills.length > 0 ? this.deps.recordGroup(flexFillEvents(fills)) : [];
    changes.recorded(fills, results);
    fills.forEach((fill, i) => {
      const { tradeId, baseExecId } = fill.execution;
      if (results[2 * i]!.decision === 'ignore' && tradeId !== undefined)
        this.stmt.setTradeId!.run(tradeId, baseExecId);
    });
    for (const p of before) {
      if (p.carry === undefined) continue;
      const added = fills
        .filter((_fill, i) => results[2 * i]!.decision === 'insert')
        .map((f) => f.execution)
        .filter((e) => e.account === p.account && e.contract.conId === p.conId)
        .map((e) => ({ ...e, shares: toDecimal(e.shares) }));
      const carry = carryAfterImport(p.carry, p.first, added);
      if (carry === undefined) continue;
      history.saveCarry(p.account, p.conId, carry);
      changes.trip(history.rederive(p.account, p.conId));
    }
    for (const { account, tradeId, baseExecId: named } of batch.cancellations) {
      this.stmt.cancel!.run(account, tradeId);
      // By trade id, or by execId when the statement named it: the API's rows carry no trade id.
      const row = this.stmt.byTrade!.get(account, tradeId, named ?? null) as Row | undefined;
      if (!row) {
        changes.outcome(account, 'skip');
        continue;
      }
      const conId = row.con_id as number;
      const baseExecId = row.base_exec_id as string;
      if (row.report_exec_id !== null) {
        const owner = { account, contract: { conId, currency: row.currency as string } };
        const c = contribution(owner, joinedReportFromRow(row));
        const totals = applyContribution(this.deps.storedTotals(c), c, -1);
        this.deps.saveTotals(totals);
        changes.totals(totals);
        history.addDaily([{ contribution: c, time: row.time_ms as number, sign: -1 }]);
      }
      this.stmt.deleteReport!.run(baseExecId);
      this.stmt.deleteExecution!.run(baseExecId);
      changes.count(account, this.deps.addExecutions(account, -1));
      changes.trip(history.rederive(account, conId));
      changes.outcome(account, 'cancel');
    }
    return changes.result(batch, dryRun);
  }
}
