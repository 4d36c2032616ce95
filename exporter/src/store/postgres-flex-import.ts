// A Flex statement into the PostgreSQL ledger, inside the store's one transaction under the fill
// lock (PostgresStore.importFlex; a dry run rolls it back). The same steps as SQLite's
// (sqlite-flex-import.ts), each a few statements for the whole statement: the fills through the
// store's group path, trade ids onto the API's rows, carries shrunk by fills older than a
// position's history, and the cancellations forgetting their fills. Rules: domain/flex-ledger.ts.
import type pg from 'pg';
import { carryAfterImport, flexFillEvents } from '../domain/flex-ledger.js';
import type { FlexBatch, FlexFill } from '../domain/flex.js';
import type { FillEvent } from '../domain/fill-group.js';
import { applyContribution, contribution, ledgerKey } from '../domain/ledger.js';
import { toDecimal } from '../domain/money.js';
import type { LedgerTotals } from '../domain/types.js';
import { FlexChanges, flexPositions } from './flex-import.js';
import type { PostgresHistory, PositionKey } from './postgres-history.js';
import { upsertLedgerTotals } from './postgres-ledger-totals.js';
import { joinedReportFromRow, opt, totalsFromRow } from './rows.js';
import type { Row } from './rows.js';
import type { FlexImportResult, RecordResult } from './store.js';

const keyOf = (k: PositionKey) => `${k.account}|${k.conId}`;

export class PostgresFlexImport {
  constructor(
    private readonly client: pg.ClientBase,
    private readonly history: PostgresHistory,
    private readonly recordGroup: (events: FillEvent[]) => Promise<RecordResult[]>,
  ) {}

  async run(batch: FlexBatch, dryRun: boolean): Promise<FlexImportResult> {
    const changes = new FlexChanges();
    const fills = await this.notCancelled(batch.fills, changes);
    const before = await this.carries(flexPositions(fills));
    const results = fills.length > 0 ? await this.recordGroup(flexFillEvents(fills)) : [];
    changes.recorded(fills, results);
    const named = fills.filter((f, i) => results[2 * i]!.decision === 'ignore' && f.execution.tradeId);
    if (named.length > 0) {
      await this.client.query(
        `UPDATE executions e SET trade_id = k.trade_id FROM unnest($1::text[], $2::text[]) AS k (base_exec_id, trade_id)
         WHERE e.base_exec_id = k.base_exec_id AND e.trade_id IS NULL`,
        [named.map((f) => f.execution.baseExecId), named.map((f) => f.execution.tradeId)],
      );
    }
    const added = fills.filter((_fill, i) => results[2 * i]!.decision === 'insert').map((f) => f.execution);
    const shrunk: Array<PositionKey & { quantity: string }> = [];
    for (const p of before) {
      if (p.carry === undefined) continue;
      const mine = added
        .filter((e) => e.account === p.account && e.contract.conId === p.conId)
        .map((e) => ({ ...e, shares: toDecimal(e.shares) }));
      const quantity = carryAfterImport(p.carry, p.first, mine);
      if (quantity !== undefined) shrunk.push({ account: p.account, conId: p.conId, quantity });
    }
    if (shrunk.length > 0) {
      await this.client.query(
        `UPDATE round_trip_carry r SET quantity = k.quantity
         FROM unnest($1::text[], $2::bigint[], $3::numeric[]) AS k (account, con_id, quantity)
         WHERE r.account = k.account AND r.con_id = k.con_id`,
        [shrunk.map((s) => s.account), shrunk.map((s) => s.conId), shrunk.map((s) => s.quantity)],
      );
      for (const trip of await this.history.rederive(this.client, shrunk)) changes.trip(trip);
    }
    await this.cancel(batch, changes);
    return changes.result(batch, dryRun);
  }

  /** The fills of trades no statement has cancelled; the others are skipped. */
  private async notCancelled(fills: readonly FlexFill[], changes: FlexChanges): Promise<FlexFill[]> {
    const named = fills.filter((f) => f.execution.tradeId !== undefined);
    if (named.length === 0) return [...fills];
    const { rows } = await this.client.query(
      `SELECT c.account, c.trade_id FROM flex_cancelled c
       JOIN unnest($1::text[], $2::text[]) AS k (account, trade_id) USING (account, trade_id)`,
      [named.map((f) => f.execution.account), named.map((f) => f.execution.tradeId)],
    );
    const cancelled = new Set((rows as Row[]).map((r) => `${r.account}|${r.trade_id}`));
    return fills.filter((f) => {
      const gone = cancelled.has(`${f.execution.account}|${f.execution.tradeId}`);
      if (gone) changes.outcome(f.execution.account, 'skip');
      return !gone;
    });
  }

  /** Each position's carry (undefined before it is learned) and first stored fill, before the statement. */
  private async carries(positions: readonly PositionKey[]) {
    if (positions.length === 0) return [];
    const { rows } = await this.client.query(
      `SELECT k.account, k.con_id, r.quantity::text AS carry, f.base_exec_id, f.time_ms
       FROM unnest($1::text[], $2::bigint[]) AS k (account, con_id)
       LEFT JOIN round_trip_carry r USING (account, con_id)
       LEFT JOIN LATERAL (SELECT e.base_exec_id, e.time_ms FROM executions e
         WHERE e.account = k.account AND e.con_id = k.con_id ORDER BY e.time_ms, e.base_exec_id LIMIT 1) f ON true`,
      [positions.map((p) => p.account), positions.map((p) => p.conId)],
    );
    return (rows as Row[]).map((r) => ({
      account: r.account as string,
      conId: r.con_id as number,
      carry: opt(r.carry as string | null),
      first:
        r.base_exec_id === null
          ? undefined
          : { baseExecId: r.base_exec_id as string, time: r.time_ms as number },
    }));
  }

  /** Forgets the stored fills the statement cancels, taking back what they added. */
  private async cancel(batch: FlexBatch, changes: FlexChanges): Promise<void> {
    const list = batch.cancellations;
    if (list.length === 0) return;
    const keys = [list.map((c) => c.account), list.map((c) => c.tradeId)];
    await this.client.query(
      `INSERT INTO flex_cancelled (account, trade_id) SELECT * FROM unnest($1::text[], $2::text[])
       ON CONFLICT DO NOTHING`,
      keys,
    );
    // By trade id, or by execId when the statement named it: the API's rows carry no trade id.
    const { rows } = await this.client.query(
      `SELECT k.trade_id AS cancelled_trade_id, e.base_exec_id, e.account, e.con_id, e.time_ms, c.currency,
         r.exec_id AS report_exec_id, r.revision AS report_revision, r.commission::text,
         r.currency AS report_currency, r.realized_pnl::text, r.source AS report_source
       FROM unnest($1::text[], $2::text[], $3::text[]) AS k (account, trade_id, base_exec_id)
       JOIN executions e ON e.account = k.account
         AND (e.trade_id = k.trade_id OR e.base_exec_id = k.base_exec_id)
       JOIN contracts c ON c.con_id = e.con_id
       LEFT JOIN commission_reports r ON r.base_exec_id = e.base_exec_id`,
      [...keys, list.map((c) => c.baseExecId ?? null)],
    );
    const found = new Set((rows as Row[]).map((r) => `${r.account}|${r.cancelled_trade_id}`));
    for (const c of list)
      changes.outcome(c.account, found.has(`${c.account}|${c.tradeId}`) ? 'cancel' : 'skip');
    if (found.size === 0) return;
    // Each stored fill once, however many cancellations found it.
    const gone = [...new Map((rows as Row[]).map((r) => [r.base_exec_id as string, r])).values()];

    const owned = gone.filter((r) => r.report_exec_id !== null);
    const credits = owned.map((r) => ({
      contribution: contribution(
        {
          account: r.account as string,
          contract: { conId: r.con_id as number, currency: r.currency as string },
        },
        joinedReportFromRow(r),
      ),
      time: r.time_ms as number,
      sign: -1 as const,
    }));
    if (credits.length > 0) {
      const stored = await this.client.query(
        `SELECT t.account, t.con_id, t.currency, t.realized_pnl::text, t.commissions::text, t.reports, t.flex_reports
         FROM ledger_totals t JOIN unnest($1::text[], $2::bigint[], $3::text[]) AS k (account, con_id, currency)
           USING (account, con_id, currency)`,
        [
          credits.map((c) => c.contribution.account),
          credits.map((c) => c.contribution.conId),
          credits.map((c) => c.contribution.currency),
        ],
      );
      const totals = new Map<string, LedgerTotals>(
        (stored.rows as Row[]).map((r) => {
          const t = { account: r.account as string, conId: r.con_id as number, ...totalsFromRow(r) };
          return [ledgerKey(t), t];
        }),
      );
      for (const { contribution: c } of credits)
        totals.set(ledgerKey(c), applyContribution(totals.get(ledgerKey(c)), c, -1));
      const written = [...totals.values()];
      await upsertLedgerTotals(this.client, written);
      for (const t of written) changes.totals(t);
      await this.history.addDaily(this.client, credits);
    }

    const ids = gone.map((r) => r.base_exec_id as string);
    await this.client.query(`DELETE FROM commission_reports WHERE base_exec_id = ANY($1::text[])`, [ids]);
    await this.client.query(`DELETE FROM executions WHERE base_exec_id = ANY($1::text[])`, [ids]);
    const perAccount = new Map<string, number>();
    for (const r of gone) perAccount.set(r.account as string, (perAccount.get(r.account as string) ?? 0) + 1);
    const counts = await this.client.query(
      `UPDATE account_executions a SET executions = a.executions - k.n
       FROM unnest($1::text[], $2::bigint[]) AS k (account, n) WHERE a.account = k.account
       RETURNING a.account, a.executions`,
      [[...perAccount.keys()], [...perAccount.values()]],
    );
    for (const r of counts.rows as Row[]) changes.count(r.account as string, r.executions as number);
    const positions = new Map<string, PositionKey>();
    for (const r of gone) {
      const at = { account: r.account as string, conId: r.con_id as number };
      positions.set(keyOf(at), at);
    }
    for (const trip of await this.history.rederive(this.client, [...positions.values()])) changes.trip(trip);
  }
}
