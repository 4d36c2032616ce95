// `npm run ledger -- copy`: an existing SQLite ledger into PostgreSQL, merged with whatever the
// database already holds (a live exporter may have stored some of the same fills).
//
// - Facts are copied: contracts, fills, commission reports, positions and their snapshots, account
//   values and PnL, stream times, the backfill watermark, what positions held before the ledger
//   began, and the orders placed through the API with their fills and status history. A fill or report already stored is left alone unless the copy holds a correction
//   (higher revision): an execId is stored once, as on the live path.
// - Everything derived from the facts (running totals, execution counts, round trips, daily
//   totals) is derived again, with the rules in domain/, for the positions whose facts changed,
//   never summed from both sides: nothing is counted twice, and a second run, which changes no
//   fact, derives nothing and changes nothing.
// - One transaction, under the fill lock every exporter takes: an interrupted copy leaves the
//   database as it was (run it again), and a live exporter's fill groups wait for it. Batches of
//   `batchSize` rows per statement (INSERT … SELECT FROM unnest), read from one SQLite snapshot.
import pg from 'pg';
import type { DatabaseUrl } from '../config/database-url.js';
import { takeIncomingCarry } from '../domain/ledger-merge.js';
import { applyContribution, contribution, decideVersion, ledgerKey } from '../domain/ledger.js';
import type { LedgerTotals } from '../domain/types.js';
import {
  ACCOUNT_PNL,
  ACCOUNT_VALUES,
  BACKFILL_WATERMARK,
  FLEX_CANCELLED,
  columnArrays,
  COMMISSION_REPORTS,
  CONTRACTS,
  EXECUTIONS,
  ORDER_FILLS,
  ORDERS,
  POSITIONS,
  ROUND_TRIP_CARRY,
  ROUND_TRIPS,
  STREAM_UPDATES,
  upsertSql,
} from './ledger-copy-tables.js';
import type { TableSpec } from './ledger-copy-tables.js';
import { openSourceLedger } from './ledger-copy-source.js';
import type { SourceLedger } from './ledger-copy-source.js';
import { LedgerError } from './ledger-error.js';
import { PostgresHistory } from './postgres-history.js';
import type { PositionKey } from './postgres-history.js';
import { isOutage } from './postgres-errors.js';
import { FILL_LOCK, PG_TYPES, PostgresStore } from './postgres-store.js';
import { upsertLedgerTotals } from './postgres-ledger-totals.js';
import { sourceFromColumn } from './rows.js';
import type { Row } from './rows.js';

export interface CopyOptions {
  /** The SQLite ledger file. */
  from: string;
  to: DatabaseUrl;
  /** Rows per statement. */
  batchSize?: number;
}

/** One table: rows inserted, rows that replaced an older version, rows the target already had. */
export interface TableSummary {
  table: string;
  copied: number;
  updated: number;
  present: number;
}

export interface CopySummary {
  from: string;
  /** The target's URL, password redacted. */
  to: string;
  sourceVersion: number;
  targetVersion: number;
  tables: TableSummary[];
  /** What was derived again from the merged facts. */
  derived: { positions: number; accounts: number; days: number };
}

const DEFAULT_BATCH = 5000;
/** Positions derived again per statement group: bounded so the arrays of one statement stay small. */
const DERIVE_CHUNK = 500;
const positionKey = (k: PositionKey) => `${k.account}|${k.conId}`;
const DAY = 86_400_000;

export async function copyLedger(options: CopyOptions): Promise<CopySummary> {
  const source = openSourceLedger(options.from);
  try {
    const targetVersion = await prepareTarget(options.to);
    const client = new pg.Client({
      connectionString: options.to.url,
      types: PG_TYPES,
      application_name: 'ibkr-ledger-copy',
    });
    try {
      await client.connect();
    } catch (error) {
      throw unreachable(options.to, error);
    }
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [FILL_LOCK]);
      const copy = new LedgerCopy(client, source, options.batchSize ?? DEFAULT_BATCH);
      const result = await copy.run();
      await client.query('COMMIT');
      return {
        from: options.from,
        to: options.to.redacted,
        sourceVersion: source.version,
        targetVersion,
        ...result,
      };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw isOutage(error) ? unreachable(options.to, error) : error;
    } finally {
      await client.end().catch(() => undefined);
    }
  } finally {
    source.close();
  }
}

function unreachable(to: DatabaseUrl, error: unknown): LedgerError {
  const e = error as { code?: string; message?: string };
  return new LedgerError(
    'cannot_open',
    to.redacted,
    `the server cannot be reached (${e.code ?? e.message ?? String(error)})`,
    'start it, or check the host and port in --to (or IBKR_DATABASE_URL); nothing was copied',
    { cause: error },
  );
}

/**
 * Connects, migrates and checks the role as the exporter does at start (the same refusals: wrong
 * password, missing database, read-only role, newer schema); returns the schema version.
 */
async function prepareTarget(to: DatabaseUrl): Promise<number> {
  const store = new PostgresStore({ url: to.url, redacted: to.redacted });
  try {
    await store.open();
    return store.schemaVersion();
  } catch (error) {
    throw isOutage(error) ? unreachable(to, error) : error;
  } finally {
    await store.close();
  }
}

class LedgerCopy {
  private readonly history = new PostgresHistory();
  private readonly summaries: TableSummary[] = [];
  /** Positions whose facts changed: their derived rows are derived again. */
  private readonly affected = new Map<string, PositionKey>();
  /** Account and UTC day start of every fill whose facts changed. */
  private readonly days = new Map<string, { account: string; time: number }>();
  /** Reports that changed; their fills' positions are looked up once every fill is in. */
  private readonly changedReports: string[] = [];

  constructor(
    private readonly client: pg.ClientBase,
    private readonly source: SourceLedger,
    private readonly batchSize: number,
  ) {}

  async run(): Promise<Pick<CopySummary, 'tables' | 'derived'>> {
    await this.copyTable(CONTRACTS);
    // Decided before any fill is copied: the rule compares each side's own first fill.
    const carries = await this.decideCarries();
    await this.copyRevisioned(EXECUTIONS, (row, old) => {
      if (old) this.touch(old.account as string, old.con_id as number, old.time_ms as number);
      this.touch(row.account as string, row.con_id as number, row.time_ms as number);
    });
    await this.copyRevisioned(COMMISSION_REPORTS, (row) =>
      this.changedReports.push(row.base_exec_id as string),
    );
    await this.touchReportedFills();
    await this.copyTable(POSITIONS);
    await this.copySnapshots();
    await this.copyTable(ACCOUNT_VALUES);
    await this.copyTable(ACCOUNT_PNL);
    await this.copyTable(STREAM_UPDATES);
    await this.copyTable(FLEX_CANCELLED);
    await this.copyWatermark();
    await this.writeCarries(carries);
    await this.copyOrders();
    return { tables: this.summaries, derived: await this.derive() };
  }

  private touch(account: string, conId: number, time?: number): void {
    this.affected.set(positionKey({ account, conId }), { account, conId });
    if (time === undefined) return;
    const start = time - (((time % DAY) + DAY) % DAY);
    this.days.set(`${account}|${start}`, { account, time: start });
  }

  private summary(table: string): TableSummary {
    const summary = { table, copied: 0, updated: 0, present: 0 };
    this.summaries.push(summary);
    return summary;
  }

  /** Writes rows by the table's conflict rule and counts what happened to them. */
  private async write(spec: TableSpec, rows: Row[], summary: TableSummary, present = 0): Promise<void> {
    summary.present += present;
    if (rows.length === 0) return;
    const result = await this.client.query<{ inserted: boolean }>(upsertSql(spec), columnArrays(spec, rows));
    const inserted = result.rows.filter((r) => r.inserted).length;
    summary.copied += inserted;
    summary.updated += result.rows.length - inserted;
    summary.present += rows.length - result.rows.length;
  }

  private async copyTable(spec: TableSpec): Promise<void> {
    const summary = this.summary(spec.table);
    if (!this.source.has(spec.table)) return;
    for (const rows of this.source.batches(spec.table, this.batchSize)) await this.write(spec, rows, summary);
  }

  /** Fills and reports: decideVersion against what the target holds, as the live path does. */
  private async copyRevisioned(spec: TableSpec, changed: (row: Row, old?: Row) => void): Promise<void> {
    const summary = this.summary(spec.table);
    const extra = spec === EXECUTIONS ? ', account, con_id, time_ms' : '';
    for (const rows of this.source.batches(spec.table, this.batchSize)) {
      const ids = rows.map((r) => r.base_exec_id as string);
      const existing = await this.client.query(
        `SELECT base_exec_id, revision, source${extra} FROM ${spec.table} WHERE base_exec_id = ANY($1::text[])`,
        [ids],
      );
      const stored = new Map((existing.rows as Row[]).map((r) => [r.base_exec_id as string, r]));
      const write: Row[] = [];
      for (const row of rows) {
        const old = stored.get(row.base_exec_id as string);
        const decision = decideVersion(
          old && { revision: old.revision as number, source: sourceFromColumn(old.source) },
          { revision: row.revision as number, source: sourceFromColumn(row.source) },
        );
        if (decision === 'ignore') continue;
        write.push(row);
        changed(row, old);
      }
      await this.write(spec, write, summary, rows.length - write.length);
    }
  }

  /** The positions and days of fills whose report changed (their fill may have been there already). */
  private async touchReportedFills(): Promise<void> {
    for (let i = 0; i < this.changedReports.length; i += this.batchSize) {
      const { rows } = await this.client.query(
        'SELECT account, con_id, time_ms FROM executions WHERE base_exec_id = ANY($1::text[])',
        [this.changedReports.slice(i, i + this.batchSize)],
      );
      for (const r of rows as Row[]) this.touch(r.account as string, r.con_id as number, r.time_ms as number);
    }
  }

  /** Snapshots have no natural key: one with the same position, time and reason is the same. */
  private async copySnapshots(): Promise<void> {
    const columns: Array<[string, string]> = [
      ['account', 'text'],
      ['con_id', 'bigint'],
      ['taken_at', 'bigint'],
      ['reason', 'text'],
      ['quantity', 'float8'],
      ['avg_cost', 'float8'],
      ['market_value', 'float8'],
      ['unrealized_pnl', 'float8'],
      ['realized_pnl', 'float8'],
      ['daily_pnl', 'float8'],
    ];
    const summary = this.summary('position_snapshots');
    await this.insertMissing(
      'position_snapshots',
      columns,
      ['account', 'con_id', 'taken_at', 'reason'],
      summary,
    );
  }

  /**
   * Rows of a table without a natural key (its id is the target's own serial): a row is already
   * there when one with the same `same` columns is.
   */
  private async insertMissing(
    table: string,
    columns: Array<[string, string]>,
    same: string[],
    summary: TableSummary,
  ): Promise<void> {
    if (!this.source.has(table)) return;
    const names = columns.map(([c]) => c).join(', ');
    const sql = `INSERT INTO ${table} (${names})
      SELECT * FROM unnest(${columns.map(([, t], i) => `$${i + 1}::${t}[]`).join(', ')}) AS s (${names})
      WHERE NOT EXISTS (SELECT 1 FROM ${table} p WHERE ${same.map((c) => `p.${c} = s.${c}`).join(' AND ')})`;
    const spec: TableSpec = { table, columns, conflict: '' };
    for (const rows of this.source.batches(table, this.batchSize)) {
      const result = await this.client.query(sql, columnArrays(spec, rows));
      summary.copied += result.rowCount ?? 0;
      summary.present += rows.length - (result.rowCount ?? 0);
    }
  }

  /** SQLite keeps one watermark for its one exporter: it holds for every account of the ledger. */
  private async copyWatermark(): Promise<void> {
    const summary = this.summary('backfill_watermark');
    if (!this.source.has('backfill_watermark')) return;
    const [mark] = this.source.all('SELECT requested_at FROM backfill_watermark');
    if (!mark) return;
    const rows = this.accounts().map((account) => ({ account, requested_at: mark.requested_at }));
    await this.write(BACKFILL_WATERMARK, rows, summary);
  }

  /** The accounts of the SQLite ledger: those its one exporter's gateway managed. */
  private accounts(): string[] {
    return this.source
      .all(
        `SELECT account FROM executions UNION SELECT account FROM positions UNION SELECT account FROM account_values
         UNION SELECT account FROM account_pnl ORDER BY account`,
      )
      .map((r) => r.account as string);
  }

  /** Orders, their fills and their status history (after the orders, which they reference). */
  private async copyOrders(): Promise<void> {
    if (!this.source.has('orders')) return;
    const gateway = this.accounts().join(',');
    const orders = this.summary('orders');
    for (const rows of this.source.batches('orders', this.batchSize)) {
      await this.write(
        ORDERS,
        rows.map((r) => ({ ...r, gateway })),
        orders,
      );
    }
    await this.copyTable(ORDER_FILLS);
    const summary = this.summary('order_status_history');
    const columns: Array<[string, string]> = [
      ['order_id', 'text'],
      ['at', 'bigint'],
      ['source', 'text'],
      ['status', 'text'],
      ['filled', 'float8'],
      ['remaining', 'float8'],
      ['avg_fill_price', 'float8'],
      ['message', 'text'],
    ];
    await this.insertMissing(
      'order_status_history',
      columns,
      ['order_id', 'at', 'source', 'status'],
      summary,
    );
  }

  private async decideCarries(): Promise<{ take: Row[]; keep: number }> {
    if (!this.source.has('round_trip_carry')) return { take: [], keep: 0 };
    const incoming = this.source.all(
      `SELECT r.account, r.con_id, r.quantity,
         (SELECT min(time_ms) FROM executions e WHERE e.account = r.account AND e.con_id = r.con_id) AS first_fill
       FROM round_trip_carry r`,
    );
    const keys = [incoming.map((r) => r.account), incoming.map((r) => r.con_id)];
    const { rows } = await this.client.query(
      `SELECT k.account, k.con_id, r.quantity::text AS quantity,
         (SELECT min(time_ms) FROM executions e WHERE e.account = k.account AND e.con_id = k.con_id) AS first_fill
       FROM unnest($1::text[], $2::bigint[]) AS k (account, con_id)
       JOIN round_trip_carry r ON r.account = k.account AND r.con_id = k.con_id`,
      keys,
    );
    const existing = new Map((rows as Row[]).map((r) => [`${r.account}|${r.con_id}`, r]));
    const carry = (r: Row | undefined) =>
      r && { quantity: r.quantity as string, firstFill: (r.first_fill as number | null) ?? undefined };
    const take = incoming.filter((r) =>
      takeIncomingCarry(carry(existing.get(`${r.account}|${r.con_id}`)), carry(r)!),
    );
    return { take, keep: incoming.length - take.length };
  }

  private async writeCarries(carries: { take: Row[]; keep: number }): Promise<void> {
    const summary = this.summary('round_trip_carry');
    await this.write(ROUND_TRIP_CARRY, carries.take, summary, carries.keep);
    for (const r of carries.take) this.touch(r.account as string, r.con_id as number);
  }

  /** Derives again, from the merged facts, everything the changed positions' facts feed. */
  private async derive(): Promise<CopySummary['derived']> {
    const keys = [...this.affected.values()];
    const accounts = [...new Set(keys.map((k) => k.account))];
    if (keys.length === 0) return { positions: 0, accounts: 0, days: 0 };
    await this.keepRoundTripIds();
    for (let i = 0; i < keys.length; i += DERIVE_CHUNK) {
      const chunk = keys.slice(i, i + DERIVE_CHUNK);
      await this.history.rederive(this.client, chunk);
      await this.deriveTotals(chunk);
    }
    await this.client.query(
      `INSERT INTO account_executions (account, executions)
       SELECT account, count(*) FROM executions WHERE account = ANY($1::text[]) GROUP BY account
       ON CONFLICT (account) DO UPDATE SET executions = excluded.executions`,
      [accounts],
    );
    await this.history.refreshDaily(this.client, [...this.days.values()]);
    return { positions: keys.length, accounts: accounts.length, days: this.days.size };
  }

  /** The SQLite round trips of the changed positions, under their ids where free (see ROUND_TRIPS). */
  private async keepRoundTripIds(): Promise<void> {
    if (this.source.has('round_trips')) {
      // Not a table of the summary: round trips are derived again below, these only hold ids.
      const ids = { table: 'round_trips', copied: 0, updated: 0, present: 0 };
      for (const rows of this.source.batches('round_trips', this.batchSize)) {
        const mine = rows.filter((r) =>
          this.affected.has(positionKey({ account: r.account as string, conId: r.con_id as number })),
        );
        await this.write(ROUND_TRIPS, mine, ids);
      }
    }
    // The ids taken above must not be handed out again by the sequence.
    await this.client.query(
      `SELECT setval(pg_get_serial_sequence('round_trips', 'id'), (SELECT max(id) FROM round_trips))
       WHERE EXISTS (SELECT 1 FROM round_trips)`,
    );
  }

  /** Each position's running totals, summed again from its joined fills (domain/ledger.ts rules). */
  private async deriveTotals(chunk: PositionKey[]): Promise<void> {
    const keys = [chunk.map((k) => k.account), chunk.map((k) => k.conId)];
    const { rows } = await this.client.query(
      `SELECT e.account, e.con_id, c.currency AS contract_currency, r.base_exec_id, r.exec_id, r.revision,
         r.commission::text, r.currency, r.realized_pnl::text, r.source
       FROM unnest($1::text[], $2::bigint[]) AS k (account, con_id)
       JOIN executions e ON e.account = k.account AND e.con_id = k.con_id
       JOIN contracts c ON c.con_id = e.con_id
       JOIN commission_reports r ON r.base_exec_id = e.base_exec_id`,
      keys,
    );
    const totals = new Map<string, LedgerTotals>();
    for (const r of rows as Row[]) {
      const c = contribution(
        {
          account: r.account as string,
          contract: { conId: r.con_id as number, currency: r.contract_currency as string },
        },
        {
          execId: r.exec_id as string,
          baseExecId: r.base_exec_id as string,
          revision: r.revision as number,
          commission: (r.commission as string | null) ?? undefined,
          currency: (r.currency as string | null) ?? undefined,
          realizedPnl: (r.realized_pnl as string | null) ?? undefined,
          source: sourceFromColumn(r.source),
        },
      );
      totals.set(ledgerKey(c), applyContribution(totals.get(ledgerKey(c)), c, 1));
    }
    await this.client.query(
      `DELETE FROM ledger_totals t USING unnest($1::text[], $2::bigint[]) AS k (account, con_id)
       WHERE t.account = k.account AND t.con_id = k.con_id`,
      keys,
    );
    await upsertLedgerTotals(this.client, [...totals.values()]);
  }
}
