// SQLite (better-sqlite3, WAL) implementation of the Store. Every method is one transaction (a
// savepoint inside a group opened with begin()), so a SIGKILL leaves either all of an event or
// none of it.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Db, Statement } from 'better-sqlite3';
import { groupExecIds, groupTotalsKeys, planFillGroup } from '../domain/fill-group.js';
import type { StoredFill } from '../domain/fill-group.js';
import { sourceOf } from '../domain/basis.js';
import { ledgerKey } from '../domain/ledger.js';
import type { FlexBatch } from '../domain/flex.js';
import type { SnapshotReason } from '../domain/snapshot-policy.js';
import type {
  AccountPnl,
  AccountValue,
  CommissionRecord,
  ContractInfo,
  ExecutionRecord,
  LedgerTotals,
  PositionPnl,
  PositionRecord,
  Stream,
} from '../domain/types.js';
import { LedgerError } from './ledger-error.js';
import { loadMigrations, migrate } from './migrate.js';
import type { OrderStore } from './order-store.js';
import { checkSqliteLedger } from './sqlite-ledger-check.js';
import { LedgerLock } from './sqlite-ledger-lock.js';
import { SqliteOrderStore } from './sqlite-order-store.js';
import { SqliteHistory } from './sqlite-history.js';
import { SqliteFlexImport } from './sqlite-flex-import.js';
import type {
  FillEvent,
  FlexImportResult,
  HistoryQuery,
  PersistedState,
  RecordResult,
  RoundTripFill,
  RoundTripRow,
  Store,
  TradeQuery,
  TradeRow,
} from './store.js';
import type { CurrentTrip } from '../domain/round-trips.js';
import {
  contractFromRow,
  nul,
  opt,
  reportFromRow,
  sourceFromColumn,
  storedPositionFromRow,
  totalsFromRow,
} from './rows.js';
import type { Row } from './rows.js';

function storedFillFromRow(row: Row): StoredFill {
  return {
    revision: row.revision as number,
    account: row.account as string,
    contract: { conId: row.con_id as number, currency: row.currency as string },
    time: row.time_ms as number,
    source: sourceFromColumn(row.source),
    tradeId: opt(row.trade_id as string | null),
  };
}

function ledgerFromRow(row: Row): LedgerTotals {
  return { account: row.account as string, conId: row.con_id as number, ...totalsFromRow(row) };
}

/** Thrown inside a dry run's transaction so that it rolls back. */
const ROLL_BACK = Symbol('dry run');

export interface SqliteStoreOptions {
  /** A file path, or ':memory:' for unit tests. */
  path: string;
}

export class SqliteStore implements Store {
  readonly backend = 'sqlite';
  readonly location: string;
  private readonly db: Db;
  private readonly stmt: Record<string, Statement>;
  /** Runs fn in one transaction. Built once: db.transaction() builds its wrappers anew on every call (bench: ingest). */
  private readonly atomic: <T>(fn: () => T) => T;
  private orderStore: SqliteOrderStore | undefined;
  private flex: SqliteFlexImport | undefined;
  private readonly history: SqliteHistory;
  /**
   * What memory already knows of the rows a fill group touches, so a group reads none of them
   * again: the ledger totals and execution counts (complete once load() read them all), and the
   * contract last written per conId. One exporter owns the file (the ledger lock), so nobody else
   * changes them; any failed or rolled-back transaction forgets them all.
   */
  private readonly known = {
    totals: new Map<string, LedgerTotals>(),
    counts: new Map<string, number>(),
    complete: false,
    contracts: new Map<number, string>(),
  };

  /** Held while the store is open: one exporter per ledger file (none for ':memory:'). */
  private readonly lock?: LedgerLock;

  /** Throws a LedgerError, naming the file and what to do, when the ledger cannot be used. */
  constructor(options: SqliteStoreOptions) {
    const { path } = options;
    this.location = path;
    const migrations = loadMigrations();
    if (path !== ':memory:') {
      checkSqliteLedger(path, { knownVersion: Math.max(0, ...migrations.map((m) => m.version)) });
      mkdirSync(dirname(path), { recursive: true });
      this.lock = LedgerLock.acquire(path);
    }
    try {
      this.db = new Database(path);
      this.db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode survives a process crash (SIGKILL); only an OS crash can lose the last commits.
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('foreign_keys = ON');
      this.db.pragma('busy_timeout = 5000');
      migrate(this.db, migrations);
    } catch (error) {
      this.lock?.release();
      if (path === ':memory:') throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new LedgerError('cannot_open', path, `SQLite cannot open it (${message})`, 'set IBKR_DB_PATH', {
        cause: error,
      });
    }
    this.stmt = this.prepare();
    const inTransaction = this.db.transaction((fn: () => unknown) => fn());
    this.atomic = <T>(fn: () => T): T => {
      try {
        return inTransaction(fn) as T;
      } catch (error) {
        this.forget();
        throw error;
      }
    };
    this.history = new SqliteHistory(this.db);
    this.atomic(() => {
      // A ledger older than its round trips (migration 004) derives them once, here.
      if (!this.db.prepare('SELECT 1 FROM round_trip_rebuild').get()) return;
      this.history.rebuild();
      this.db.exec('DELETE FROM round_trip_rebuild');
    });
  }

  private prepare(): Record<string, Statement> {
    const p = (sql: string) => this.db.prepare(sql);
    return {
      upsertContract: p(`INSERT INTO contracts (con_id, symbol, sec_type, currency, exchange, local_symbol,
          multiplier, last_trade_date, strike, "right")
        VALUES (@conId, @symbol, @secType, @currency, @exchange, @localSymbol, @multiplier, @lastTradeDate, @strike, @right)
        ON CONFLICT (con_id) DO UPDATE SET symbol = excluded.symbol, sec_type = excluded.sec_type,
          currency = excluded.currency, exchange = coalesce(excluded.exchange, exchange),
          local_symbol = coalesce(excluded.local_symbol, local_symbol), multiplier = excluded.multiplier,
          last_trade_date = coalesce(excluded.last_trade_date, last_trade_date),
          strike = coalesce(excluded.strike, strike), "right" = coalesce(excluded."right", "right")
        WHERE symbol IS NOT excluded.symbol OR sec_type IS NOT excluded.sec_type OR currency IS NOT excluded.currency
          OR multiplier IS NOT excluded.multiplier
          OR (excluded.exchange IS NOT NULL AND exchange IS NOT excluded.exchange)
          OR (excluded.local_symbol IS NOT NULL AND local_symbol IS NOT excluded.local_symbol)
          OR (excluded.last_trade_date IS NOT NULL AND last_trade_date IS NOT excluded.last_trade_date)
          OR (excluded.strike IS NOT NULL AND strike IS NOT excluded.strike)
          OR (excluded."right" IS NOT NULL AND "right" IS NOT excluded."right")`),
      // A group's stored rows in one statement each: its base execIds as a JSON array.
      execsByIds:
        p(`SELECT e.base_exec_id, e.revision, e.account, e.con_id, e.time_ms, e.source, e.trade_id, c.currency FROM executions e
        JOIN contracts c USING (con_id) WHERE e.base_exec_id IN (SELECT value FROM json_each(?))`),
      upsertExecution:
        p(`INSERT OR REPLACE INTO executions (base_exec_id, exec_id, revision, account, con_id, side,
          shares, price, time_ms, order_id, perm_id, client_id, cum_qty, avg_price, venue, order_ref, source, trade_id)
        VALUES (@baseExecId, @execId, @revision, @account, @conId, @side, @shares, @price, @time, @orderId, @permId,
          @clientId, @cumQty, @avgPrice, @exchange, @orderRef, @source, @tradeId)`),
      reportsByIds: p(`SELECT base_exec_id, exec_id, revision, commission, currency, realized_pnl, source
        FROM commission_reports WHERE base_exec_id IN (SELECT value FROM json_each(?))`),
      upsertReport: p(`INSERT OR REPLACE INTO commission_reports (base_exec_id, exec_id, revision, commission,
          currency, realized_pnl, source)
        VALUES (@baseExecId, @execId, @revision, @commission, @currency, @realizedPnl, @source)`),
      ledgerRow: p(`SELECT * FROM ledger_totals WHERE account = ? AND con_id = ? AND currency = ?`),
      upsertLedger:
        p(`INSERT OR REPLACE INTO ledger_totals (account, con_id, currency, realized_pnl, commissions, reports,
          flex_reports) VALUES (@account, @conId, @currency, @realizedPnl, @commissions, @reports, @flexReports)`),
      countRow: p(`SELECT executions FROM account_executions WHERE account = ?`),
      addExecutions: p(`INSERT INTO account_executions (account, executions) VALUES (?, ?)
        ON CONFLICT (account) DO UPDATE SET executions = executions + excluded.executions`),
      upsertPosition: p(`INSERT INTO positions (account, con_id, quantity, avg_cost, updated_at)
        VALUES (@account, @conId, @quantity, @avgCost, @updatedAt)
        ON CONFLICT (account, con_id) DO UPDATE SET quantity = excluded.quantity, avg_cost = excluded.avg_cost,
          updated_at = excluded.updated_at`),
      updatePositionPnl: p(`UPDATE positions SET daily_pnl = @dailyPnl, unrealized_pnl = @unrealizedPnl,
          realized_pnl = @realizedPnl, market_value = @marketValue, pnl_updated_at = @updatedAt
        WHERE account = @account AND con_id = @conId`),
      markSnapshot: p(`UPDATE positions SET last_snapshot_at = ? WHERE account = ? AND con_id = ?`),
      insertSnapshot:
        p(`INSERT INTO position_snapshots (account, con_id, taken_at, reason, quantity, avg_cost,
          market_value, unrealized_pnl, realized_pnl, daily_pnl)
        SELECT account, con_id, ?, ?, quantity, avg_cost, market_value, unrealized_pnl, realized_pnl, daily_pnl
        FROM positions WHERE account = ? AND con_id = ?`),
      deletePosition: p(`DELETE FROM positions WHERE account = ? AND con_id = ?`),
      upsertAccountValue: p(`INSERT OR REPLACE INTO account_values (account, tag, currency, value, updated_at)
        VALUES (@account, @tag, @currency, @value, @updatedAt)`),
      upsertAccountPnl:
        p(`INSERT OR REPLACE INTO account_pnl (account, daily_pnl, unrealized_pnl, realized_pnl, updated_at)
        VALUES (@account, @dailyPnl, @unrealizedPnl, @realizedPnl, @updatedAt)`),
      upsertStream: p(`INSERT OR REPLACE INTO stream_updates (stream, updated_at) VALUES (?, ?)`),
      probeAdd: p(`INSERT OR REPLACE INTO stream_updates (stream, updated_at) VALUES ('(write probe)', 0)`),
      probeRemove: p(`DELETE FROM stream_updates WHERE stream = '(write probe)'`),
      backfillWatermark: p(`SELECT requested_at AS t FROM backfill_watermark WHERE id = 1`),
      // Never backwards: a slower, older backfill completing last must not undo a newer one.
      saveBackfillWatermark: p(
        `INSERT INTO backfill_watermark (id, requested_at) VALUES (1, ?)
         ON CONFLICT (id) DO UPDATE SET requested_at = max(requested_at, excluded.requested_at)`,
      ),
    };
  }

  schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  recordFills(events: FillEvent[]): RecordResult[] {
    if (events.length === 0) return [];
    return this.atomic(() => this.recordGroup(events));
  }

  recordExecution(execution: ExecutionRecord): RecordResult {
    return this.recordFills([{ kind: 'execution', execution }])[0]!;
  }

  recordCommission(report: CommissionRecord): RecordResult {
    return this.recordFills([{ kind: 'commission', report }])[0]!;
  }

  /**
   * One transaction, like a fill group (SQLite runs one at a time, so it never interleaves with
   * the live sync's); a dry run rolls it back, which also forgets what memory learned meanwhile.
   */
  importFlex(batch: FlexBatch, options: { dryRun: boolean }): FlexImportResult {
    const run = () => this.flexImport().run(batch, options.dryRun);
    if (!options.dryRun) return this.atomic(run);
    let planned: FlexImportResult | undefined;
    try {
      this.atomic(() => {
        planned = run();
        throw ROLL_BACK;
      });
    } catch (error) {
      if (error !== ROLL_BACK) throw error;
    }
    return planned!;
  }

  private flexImport(): SqliteFlexImport {
    this.flex ??= new SqliteFlexImport({
      db: this.db,
      history: this.history,
      recordGroup: (events) => this.recordGroup(events),
      storedTotals: (key) => this.storedTotals(key),
      saveTotals: (totals) => {
        this.stmt.upsertLedger!.run({ ...totals, flexReports: totals.flexReports ?? 0 });
        this.known.totals.set(ledgerKey(totals), totals);
      },
      addExecutions: (account, delta) => {
        const count = (this.storedCount(account) ?? 0) + delta;
        this.stmt.addExecutions!.run(account, delta);
        this.known.counts.set(account, count);
        return count;
      },
    });
    return this.flex;
  }

  /**
   * One group, planned at once (domain/fill-group.ts): its stored fills and reports read in one
   * statement each, the totals and counts from memory, then one INSERT per fill and per report,
   * and the totals, counts, daily totals and round trips written once per row the group touched.
   */
  private recordGroup(events: FillEvent[]): RecordResult[] {
    const ids = JSON.stringify(groupExecIds(events));
    const fills = new Map<string, StoredFill>(
      (this.stmt.execsByIds!.all(ids) as Row[]).map((row) => [
        row.base_exec_id as string,
        storedFillFromRow(row),
      ]),
    );
    const reports = new Map(
      (this.stmt.reportsByIds!.all(ids) as Row[]).map((row) => [
        row.base_exec_id as string,
        reportFromRow(row),
      ]),
    );
    const totals = new Map<string, LedgerTotals>();
    for (const key of groupTotalsKeys(events, fills, reports)) {
      const stored = this.storedTotals(key);
      if (stored) totals.set(ledgerKey(stored), stored);
    }
    const counts = new Map<string, number>();
    for (const e of events) {
      if (e.kind !== 'execution' || counts.has(e.execution.account)) continue;
      const count = this.storedCount(e.execution.account);
      if (count !== undefined) counts.set(e.execution.account, count);
    }
    const plan = planFillGroup(events, { fills, reports, totals, executionCounts: counts });

    events.forEach((e, i) => {
      if (e.kind === 'execution' && plan.results[i]!.decision !== 'ignore')
        this.upsertContract(e.execution.contract);
    });
    for (const execution of plan.executions) {
      this.stmt.upsertExecution!.run({
        ...execution,
        conId: execution.contract.conId,
        orderId: nul(execution.orderId),
        permId: nul(execution.permId),
        clientId: nul(execution.clientId),
        cumQty: nul(execution.cumQty),
        avgPrice: nul(execution.avgPrice),
        exchange: nul(execution.exchange),
        orderRef: nul(execution.orderRef),
        source: sourceOf(execution),
        tradeId: nul(execution.tradeId),
      });
    }
    for (const report of plan.reports) {
      this.stmt.upsertReport!.run({
        baseExecId: report.baseExecId,
        execId: report.execId,
        revision: report.revision,
        commission: nul(report.commission),
        currency: nul(report.currency),
        realizedPnl: nul(report.realizedPnl),
        source: sourceOf(report),
      });
    }
    for (const next of plan.totals) {
      this.stmt.upsertLedger!.run({ ...next, flexReports: next.flexReports ?? 0 });
      this.known.totals.set(ledgerKey(next), next);
    }
    for (const [account, added] of plan.newExecutions) {
      this.stmt.addExecutions!.run(account, added);
      this.known.counts.set(account, (counts.get(account) ?? 0) + added);
    }
    this.history.addDaily(plan.credits);
    const roundTrips = this.history.groupStored({
      executions: plan.executions,
      reports: plan.reports,
      stored: fills,
      storedReports: reports,
    });
    const results: RecordResult[] = plan.results.map((r) => ({ ...r, roundTrips: [] }));
    // The current trips go with the group's last result: memory applies them after the commit.
    if (roundTrips.length > 0) results.at(-1)!.roundTrips = roundTrips;
    return results;
  }

  private storedTotals(key: Pick<LedgerTotals, 'account' | 'conId' | 'currency'>): LedgerTotals | undefined {
    const id = ledgerKey(key);
    const known = this.known.totals.get(id);
    if (known || this.known.complete) return known;
    const row = this.stmt.ledgerRow!.get(key.account, key.conId, key.currency) as Row | undefined;
    if (row) this.known.totals.set(id, ledgerFromRow(row));
    return row && ledgerFromRow(row);
  }

  private storedCount(account: string): number | undefined {
    const known = this.known.counts.get(account);
    if (known !== undefined || this.known.complete) return known;
    const row = this.stmt.countRow!.get(account) as Row | undefined;
    if (row) this.known.counts.set(account, row.executions as number);
    return row?.executions as number | undefined;
  }

  /** After a failed or rolled-back transaction memory may hold what the file does not. */
  private forget(): void {
    this.known.totals.clear();
    this.known.counts.clear();
    this.known.complete = false;
    this.known.contracts.clear();
  }

  private upsertContract(contract: ContractInfo): void {
    // A backfill repeats a few contracts thousands of times: write each version once.
    const version = JSON.stringify(contract);
    if (this.known.contracts.get(contract.conId) === version) return;
    this.known.contracts.set(contract.conId, version);
    this.stmt.upsertContract!.run({
      ...contract,
      exchange: nul(contract.exchange),
      localSymbol: nul(contract.localSymbol),
      lastTradeDate: nul(contract.lastTradeDate),
      strike: nul(contract.strike),
      right: nul(contract.right),
    });
  }

  savePosition(position: PositionRecord, snapshot: SnapshotReason | undefined, now: number): void {
    this.atomic(() => {
      this.upsertContract(position.contract);
      this.stmt.upsertPosition!.run({
        account: position.account,
        conId: position.contract.conId,
        quantity: position.quantity,
        avgCost: nul(position.avgCost),
        updatedAt: position.updatedAt,
      });
      if (snapshot) this.snapshot(position.account, position.contract.conId, snapshot, now);
    });
  }

  savePositionPnl(
    account: string,
    conId: number,
    pnl: PositionPnl | undefined,
    snapshot: SnapshotReason | undefined,
    now: number,
  ): void {
    this.atomic(() => {
      this.stmt.updatePositionPnl!.run({
        account,
        conId,
        dailyPnl: nul(pnl?.dailyPnl),
        unrealizedPnl: nul(pnl?.unrealizedPnl),
        realizedPnl: nul(pnl?.realizedPnl),
        marketValue: nul(pnl?.marketValue),
        updatedAt: nul(pnl?.updatedAt),
      });
      if (snapshot) this.snapshot(account, conId, snapshot, now);
    });
  }

  private snapshot(account: string, conId: number, reason: SnapshotReason, now: number): void {
    this.stmt.insertSnapshot!.run(now, reason, account, conId);
    this.stmt.markSnapshot!.run(now, account, conId);
  }

  deletePositions(keys: Array<{ account: string; conId: number }>): void {
    this.atomic(() => {
      for (const key of keys) this.stmt.deletePosition!.run(key.account, key.conId);
    });
  }

  saveAccountValue(value: AccountValue): void {
    this.stmt.upsertAccountValue!.run(value);
  }

  saveAccountPnl(pnl: AccountPnl): void {
    this.stmt.upsertAccountPnl!.run({
      account: pnl.account,
      dailyPnl: nul(pnl.dailyPnl),
      unrealizedPnl: nul(pnl.unrealizedPnl),
      realizedPnl: nul(pnl.realizedPnl),
      updatedAt: pnl.updatedAt,
    });
  }

  saveStreamUpdate(stream: Stream, at: number): void {
    this.stmt.upsertStream!.run(stream, at);
  }

  load(): PersistedState {
    const positions = (
      this.db
        .prepare(
          `SELECT p.*, c.symbol, c.sec_type, c.currency, c.exchange, c.local_symbol, c.multiplier,
            c.last_trade_date, c.strike, c."right" FROM positions p JOIN contracts c USING (con_id)`,
        )
        .all() as Row[]
    ).map(storedPositionFromRow);
    const all = (sql: string) => this.db.prepare(sql).all() as Row[];
    const ledger = all('SELECT * FROM ledger_totals').map(ledgerFromRow);
    const executionCounts = all('SELECT account, executions FROM account_executions').map((r) => ({
      account: r.account as string,
      executions: r.executions as number,
    }));
    // Outside a transaction these are what the file holds: memory knows every row from now on.
    if (!this.db.inTransaction) {
      this.forget();
      for (const t of ledger) this.known.totals.set(ledgerKey(t), t);
      for (const c of executionCounts) this.known.counts.set(c.account, c.executions);
      this.known.complete = true;
    }
    return {
      positions,
      ledger,
      executionCounts,
      accountValues: all('SELECT * FROM account_values').map((r) => ({
        account: r.account as string,
        tag: r.tag as string,
        currency: r.currency as string,
        value: r.value as number,
        updatedAt: r.updated_at as number,
      })),
      accountPnl: all('SELECT * FROM account_pnl').map((r) => ({
        account: r.account as string,
        dailyPnl: opt(r.daily_pnl as number | null),
        unrealizedPnl: opt(r.unrealized_pnl as number | null),
        realizedPnl: opt(r.realized_pnl as number | null),
        updatedAt: r.updated_at as number,
      })),
      streamUpdates: all('SELECT stream, updated_at FROM stream_updates').map((r) => ({
        stream: r.stream as Stream,
        updatedAt: r.updated_at as number,
      })),
      roundTrips: this.history.currentTrips(),
    };
  }

  backfillWatermark(): number | undefined {
    const row = this.stmt.backfillWatermark!.get() as Row | undefined;
    return opt(row?.t as number | null | undefined);
  }

  saveBackfillWatermark(_accounts: string[], requestedAt: number): void {
    this.stmt.saveBackfillWatermark!.run(requestedAt);
  }

  trades(query: TradeQuery): TradeRow[] {
    const rows = this.db
      .prepare(
        `SELECT e.*, c.symbol, c.sec_type, c.currency, c.exchange, c.local_symbol, c.multiplier, c.last_trade_date,
            c.strike, c."right", r.commission, r.currency AS commission_currency, r.realized_pnl,
            r.source AS report_source
          FROM executions e JOIN contracts c USING (con_id)
          LEFT JOIN commission_reports r USING (base_exec_id)
          WHERE (@account IS NULL OR e.account = @account) AND (@symbol IS NULL OR c.symbol = @symbol)
            AND (@since IS NULL OR e.time_ms >= @since)
          ORDER BY e.time_ms DESC, e.base_exec_id LIMIT @limit`,
      )
      .all({
        account: nul(query.account),
        symbol: nul(query.symbol),
        since: nul(query.sinceMs),
        limit: query.limit,
      }) as Row[];
    return rows.map((row) => ({
      execId: row.exec_id as string,
      account: row.account as string,
      contract: contractFromRow(row),
      side: row.side as 'buy' | 'sell',
      shares: row.shares as number,
      price: row.price as number,
      time: row.time_ms as number,
      venue: opt(row.venue as string | null) || undefined,
      orderId: opt(row.order_id as number | null),
      permId: opt(row.perm_id as number | null),
      commission: opt(row.commission as string | null),
      commissionCurrency: opt(row.commission_currency as string | null),
      realizedPnl: opt(row.realized_pnl as string | null),
      source: sourceFromColumn(row.source),
      reportSource: sourceFromColumn(row.report_source),
      tradeId: opt(row.trade_id as string | null),
    }));
  }

  orders(): OrderStore {
    this.orderStore ??= new SqliteOrderStore(this.db);
    return this.orderStore;
  }

  ping(): void {
    // A write that reaches the file and leaves nothing behind: a row added and removed in one
    // committed transaction. A write lock alone (BEGIN IMMEDIATE) passes on a full disk, where
    // the commit fails; then /readyz would turn ready just to fail on the next fill.
    this.atomic(() => {
      this.stmt.probeAdd!.run();
      this.stmt.probeRemove!.run();
    });
  }

  reconcileRoundTrips(positions: Array<{ account: string; conId: number; quantity: number }>): CurrentTrip[] {
    return this.atomic(() => this.history.reconcile(positions));
  }

  roundTripHistory(query: HistoryQuery): RoundTripRow[] {
    return this.history.closed(query);
  }

  roundTrip(id: number): RoundTripRow | undefined {
    return this.history.byId(id);
  }

  roundTripFills(id: number): RoundTripFill[] {
    return this.history.fillsOfTrip(id);
  }

  isOpen(): boolean {
    return this.db.open;
  }

  begin(): void {
    this.db.exec('BEGIN');
  }

  commit(): void {
    try {
      this.db.exec('COMMIT');
    } catch (error) {
      this.forget();
      throw error;
    }
  }

  rollback(): void {
    this.forget();
    if (this.db.open && this.db.inTransaction) this.db.exec('ROLLBACK');
  }

  close(): void {
    if (this.db.open) this.db.close();
    this.lock?.release();
  }
}
