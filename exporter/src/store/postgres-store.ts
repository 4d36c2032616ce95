// PostgreSQL (node-postgres) implementation of the Store: the same contract as SQLite, over the
// network. Every method is one transaction. A group of fills is planned in domain/fill-group.ts
// against the rows it touches, read in one query per table, and written with one statement per
// table, under a transaction-scoped advisory lock that several exporters sharing the database take
// in turn: an execId is stored, and counted, once.
import pg from 'pg';
import { groupExecIds, groupTotalsKeys, planFillGroup } from '../domain/fill-group.js';
import type { FillEvent, StoredFill } from '../domain/fill-group.js';
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
import type { CurrentTrip } from '../domain/round-trips.js';
import type { OrderStore } from './order-store.js';
import { PostgresOrderStore } from './postgres-order-store.js';
import type { OrderScope } from './postgres-order-store.js';
import { PostgresFlexImport } from './postgres-flex-import.js';
import { PostgresHistory } from './postgres-history.js';
import { upsertLedgerTotals } from './postgres-ledger-totals.js';
import type { PositionKey } from './postgres-history.js';
import { isOutage, PostgresRefusal, refusalOf } from './postgres-errors.js';
import { loadPostgresMigrations, migratePostgres, NewerSchemaError } from './postgres-migrate.js';
import {
  contractFromRow,
  opt,
  reportFromRow,
  sourceFromColumn,
  storedPositionFromRow,
  totalsFromRow,
} from './rows.js';
import type { Row } from './rows.js';
import type {
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

/** pg_advisory_xact_lock key of fill groups ('fill'), shared by every exporter on the database. */
export const FILL_LOCK = 0x66696c6c;
const INT8 = 20;

/** BIGINT columns hold epoch milliseconds and IB ids, all below 2^53; NUMERIC stays text. */
export const PG_TYPES = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

export interface PostgresStoreOptions {
  url: string;
  /** The URL without its password: the only form that goes into messages. */
  redacted: string;
  /** Which stored orders are this exporter's (the accounts its gateway manages); all when absent. */
  orderScope?: OrderScope;
  /** A query that takes longer fails, so an unreachable server cannot stall the sync path. */
  queryTimeoutMs?: number;
}

function ledgerFromRow(row: Row): LedgerTotals {
  return { account: row.account as string, conId: row.con_id as number, ...totalsFromRow(row) };
}

const nul = <T>(value: T | undefined): T | null => (value === undefined ? null : value);

/** Columns of many rows as arrays, for INSERT … SELECT * FROM unnest($1, $2, …). */
function columns<T>(rows: readonly T[], pick: Array<(row: T) => unknown>): unknown[][] {
  return pick.map((get) => rows.map((row) => nul(get(row) as unknown)));
}

const CONTRACT_UPSERT = `INSERT INTO contracts (con_id, symbol, sec_type, currency, exchange, local_symbol,
    multiplier, last_trade_date, strike, "right")
  SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
    $7::float8[], $8::text[], $9::float8[], $10::text[])
  ON CONFLICT (con_id) DO UPDATE SET symbol = excluded.symbol, sec_type = excluded.sec_type,
    currency = excluded.currency, exchange = coalesce(excluded.exchange, contracts.exchange),
    local_symbol = coalesce(excluded.local_symbol, contracts.local_symbol), multiplier = excluded.multiplier,
    last_trade_date = coalesce(excluded.last_trade_date, contracts.last_trade_date),
    strike = coalesce(excluded.strike, contracts.strike), "right" = coalesce(excluded."right", contracts."right")
  WHERE (contracts.symbol, contracts.sec_type, contracts.currency, contracts.multiplier) IS DISTINCT FROM
      (excluded.symbol, excluded.sec_type, excluded.currency, excluded.multiplier)
    OR (excluded.exchange IS NOT NULL AND contracts.exchange IS DISTINCT FROM excluded.exchange)
    OR (excluded.local_symbol IS NOT NULL AND contracts.local_symbol IS DISTINCT FROM excluded.local_symbol)
    OR (excluded.last_trade_date IS NOT NULL AND contracts.last_trade_date IS DISTINCT FROM excluded.last_trade_date)
    OR (excluded.strike IS NOT NULL AND contracts.strike IS DISTINCT FROM excluded.strike)
    OR (excluded."right" IS NOT NULL AND contracts."right" IS DISTINCT FROM excluded."right")`;

const contractColumns = (contracts: readonly ContractInfo[]) =>
  columns(contracts, [
    (c) => c.conId,
    (c) => c.symbol,
    (c) => c.secType,
    (c) => c.currency,
    (c) => c.exchange,
    (c) => c.localSymbol,
    (c) => c.multiplier,
    (c) => c.lastTradeDate,
    (c) => c.strike,
    (c) => c.right,
  ]);

export class PostgresStore implements Store {
  readonly backend = 'postgres';
  readonly location: string;
  private readonly pool: pg.Pool;
  private version?: number;
  private readonly history = new PostgresHistory();
  private orderStore?: OrderStore;
  private opening?: Promise<void>;
  private closed = false;
  private readonly user: string;
  private readonly database: string;

  constructor(private readonly options: PostgresStoreOptions) {
    this.location = options.redacted;
    const url = new URL(options.url);
    this.user = decodeURIComponent(url.username) || 'postgres';
    this.database = decodeURIComponent(url.pathname.slice(1));
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: 4,
      connectionTimeoutMillis: 5000,
      query_timeout: options.queryTimeoutMs ?? 15_000,
      keepAlive: true,
      application_name: 'ibkr-pnl-exporter',
      types: PG_TYPES,
    });
    // An idle connection cut by a server restart must not crash the process; the next query
    // fails instead, and the sync path handles that as an outage.
    this.pool.on('error', () => undefined);
  }

  /**
   * Connects, migrates and checks that the role may write. Throws a PostgresRefusal for a database
   * that answers but cannot be used; any other error (an outage) may be retried.
   */
  open(): Promise<void> {
    if (this.version !== undefined) return Promise.resolve();
    this.opening ??= this.connectAndMigrate().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async connectAndMigrate(): Promise<void> {
    let client: pg.PoolClient | undefined;
    try {
      client = await this.pool.connect();
      const { version } = await migratePostgres(client, loadPostgresMigrations());
      await this.checkWritable(client);
      await this.rebuildHistory(client);
      this.version = version;
    } catch (error) {
      throw this.refusal(error) ?? error;
    } finally {
      client?.release();
    }
  }

  /** A ledger older than the round trips (migration 004 flags it) derives them once, at its next start. */
  private async rebuildHistory(client: pg.PoolClient): Promise<void> {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1)', [FILL_LOCK]);
      const flagged = await client.query('DELETE FROM round_trip_rebuild RETURNING id');
      if (flagged.rowCount === 0) {
        await client.query('COMMIT');
        return;
      }
      const positions = await client.query(
        `SELECT k.account, k.con_id, coalesce(p.quantity, 0) AS quantity FROM
           (SELECT DISTINCT account, con_id FROM executions UNION SELECT account, con_id FROM positions) k
         LEFT JOIN positions p USING (account, con_id)`,
      );
      const keys = (positions.rows as Row[]).map((r) => ({
        account: r.account as string,
        conId: r.con_id as number,
        quantity: r.quantity as number,
      }));
      await this.history.reconcile(client, keys);
      await this.history.rederive(client, keys);
      const days = await client.query('SELECT DISTINCT account, time_ms FROM executions');
      await this.history.refreshDaily(
        client,
        (days.rows as Row[]).map((r) => ({ account: r.account as string, time: r.time_ms as number })),
      );
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  private async checkWritable(client: pg.PoolClient): Promise<void> {
    const { rows } = await client.query<{ readonly: string; writable: boolean }>(
      `SELECT current_setting('transaction_read_only') AS readonly,
        coalesce(bool_and(has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE')), false) AS writable
       FROM pg_class c WHERE c.relname IN ('executions', 'commission_reports', 'ledger_totals', 'positions')
         AND c.relnamespace = current_schema()::regnamespace`,
    );
    const row = rows[0];
    if (row?.readonly === 'on') throw Object.assign(new Error('read-only transaction'), { code: '25006' });
    if (!row?.writable) throw Object.assign(new Error('permission denied'), { code: '42501' });
  }

  private refusal(error: unknown): PostgresRefusal | undefined {
    if (error instanceof NewerSchemaError) {
      return new PostgresRefusal(
        'newer_schema',
        this.location,
        `its schema is version ${error.found}, newer than this build knows (${error.known})`,
        'run the exporter version that wrote it, or newer; a ledger is never migrated backwards',
        { cause: error },
      );
    }
    return refusalOf(error, this.location, this.user, this.database);
  }

  schemaVersion(): number {
    return this.version ?? 0;
  }

  /** Runs fn in one transaction on one connection; opens (migrates) first if needed. */
  private async tx<T>(
    fn: (client: pg.PoolClient) => Promise<T>,
    options: { rollback?: boolean } = {},
  ): Promise<T> {
    if (this.closed) throw new Error(`the database ${this.location} is closed`);
    await this.open();
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      // A dry run: everything was decided and written, and none of it is kept.
      await client.query(options.rollback ? 'ROLLBACK' : 'COMMIT');
      return result;
    } catch (error) {
      broken = isOutage(error);
      if (!broken) await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      // A connection that failed mid-transaction is discarded rather than reused.
      client.release(broken);
    }
  }

  private async query<R extends pg.QueryResultRow = Row>(sql: string, params: unknown[] = []): Promise<R[]> {
    if (this.closed) throw new Error(`the database ${this.location} is closed`);
    await this.open();
    return (await this.pool.query<R>(sql, params)).rows;
  }

  recordFills(events: FillEvent[]): Promise<RecordResult[]> {
    if (events.length === 0) return Promise.resolve([]);
    return this.tx(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [FILL_LOCK]);
      return this.recordGroup(client, events);
    });
  }

  /**
   * A Flex statement in one transaction under the fill lock, so it never interleaves with a fill
   * group of this or another exporter; a dry run rolls the transaction back.
   */
  importFlex(batch: FlexBatch, options: { dryRun: boolean }): Promise<FlexImportResult> {
    return this.tx(
      async (client) => {
        await client.query('SELECT pg_advisory_xact_lock($1)', [FILL_LOCK]);
        const flex = new PostgresFlexImport(client, this.history, (events) =>
          this.recordGroup(client, events),
        );
        return flex.run(batch, options.dryRun);
      },
      { rollback: options.dryRun },
    );
  }

  /** One fill group inside the caller's transaction, which holds the fill lock. */
  private async recordGroup(client: pg.PoolClient, events: FillEvent[]): Promise<RecordResult[]> {
    const ids = groupExecIds(events);
    // One client runs one query at a time: pg would queue a second one anyway, and warns that
    // overlapping queries on a client stop working in pg 9.
    const fillRows = await client.query(
      `SELECT e.base_exec_id, e.revision, e.account, e.con_id, e.time_ms, e.source, e.trade_id, c.currency
       FROM executions e JOIN contracts c USING (con_id) WHERE e.base_exec_id = ANY($1::text[])`,
      [ids],
    );
    const reportRows = await client.query(
      `SELECT base_exec_id, exec_id, revision, commission::text, currency, realized_pnl::text, source
       FROM commission_reports WHERE base_exec_id = ANY($1::text[])`,
      [ids],
    );
    const fills = new Map<string, StoredFill>(
      fillRows.rows.map((row: Row) => [
        row.base_exec_id as string,
        {
          revision: row.revision as number,
          account: row.account as string,
          contract: { conId: row.con_id as number, currency: row.currency as string },
          time: row.time_ms as number,
          source: sourceFromColumn(row.source),
          tradeId: opt(row.trade_id as string | null),
        },
      ]),
    );
    const reports = new Map(
      reportRows.rows.map((row: Row) => [row.base_exec_id as string, reportFromRow(row)]),
    );
    const keys = groupTotalsKeys(events, fills, reports);
    const accounts = [
      ...new Set(events.flatMap((e) => (e.kind === 'execution' ? [e.execution.account] : []))),
    ];
    const totalsRows = await client.query(
      `SELECT t.account, t.con_id, t.currency, t.realized_pnl::text, t.commissions::text, t.reports, t.flex_reports
       FROM ledger_totals t JOIN unnest($1::text[], $2::bigint[], $3::text[]) AS k (account, con_id, currency)
         USING (account, con_id, currency)`,
      columns(keys, [(k) => k.account, (k) => k.conId, (k) => k.currency]),
    );
    const countRows = await client.query(
      `SELECT account, executions FROM account_executions WHERE account = ANY($1::text[])`,
      [accounts],
    );
    const plan = planFillGroup(
      events,
      {
        fills,
        reports,
        totals: new Map(
          totalsRows.rows.map((row: Row) => [ledgerKey(ledgerFromRow(row)), ledgerFromRow(row)]),
        ),
        executionCounts: new Map(
          countRows.rows.map((row: Row) => [row.account as string, row.executions as number]),
        ),
      },
      // Several exporters share the database: what another one stored is news to this memory.
      { echoStored: true },
    );
    await this.writePlan(client, plan);
    await this.updateHistory(client, events, plan, fills, reports);
    return plan.results;
  }

  /**
   * The round trips of every position the group changed (postgres-history.ts: stepped on, or
   * derived again where a fill landed in the past) and the daily totals its credits moved; the
   * current trips go with the group's last result. An ignored fill's position reports its trip as
   * stored (another exporter may have written it).
   */
  private async updateHistory(
    client: pg.PoolClient,
    events: FillEvent[],
    plan: ReturnType<typeof planFillGroup>,
    stored: ReadonlyMap<string, StoredFill>,
    storedReports: ReadonlyMap<string, CommissionRecord>,
  ): Promise<void> {
    const trips = await this.history.groupStored(client, {
      executions: plan.executions,
      reports: plan.reports,
      stored,
      storedReports,
    });
    const changed = new Set(trips.map((t) => `${t.account}|${t.conId}`));
    const seen = new Map<string, PositionKey>();
    for (const event of events) {
      const owner = stored.get(
        event.kind === 'execution' ? event.execution.baseExecId : event.report.baseExecId,
      );
      const key = owner && `${owner.account}|${owner.contract.conId}`;
      if (owner && !changed.has(key!))
        seen.set(key!, { account: owner.account, conId: owner.contract.conId });
    }
    if (seen.size > 0) trips.push(...(await this.history.current(client, [...seen.values()])));
    await this.history.addDaily(client, plan.credits);
    const last = plan.results.at(-1);
    if (last && trips.length > 0) (last as RecordResult).roundTrips = trips;
  }

  private async writePlan(client: pg.PoolClient, plan: ReturnType<typeof planFillGroup>): Promise<void> {
    if (plan.executions.length > 0) {
      const contracts = new Map(plan.executions.map((e) => [e.contract.conId, e.contract]));
      await client.query(CONTRACT_UPSERT, contractColumns([...contracts.values()]));
      await client.query(
        `INSERT INTO executions (base_exec_id, exec_id, revision, account, con_id, side, shares, price, time_ms,
            order_id, perm_id, client_id, cum_qty, avg_price, venue, order_ref, source, trade_id)
          SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::bigint[], $6::text[],
            $7::float8[], $8::float8[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[],
            $13::float8[], $14::float8[], $15::text[], $16::text[], $17::text[], $18::text[])
          ON CONFLICT (base_exec_id) DO UPDATE SET exec_id = excluded.exec_id, revision = excluded.revision,
            account = excluded.account, con_id = excluded.con_id, side = excluded.side, shares = excluded.shares,
            price = excluded.price, time_ms = excluded.time_ms, order_id = excluded.order_id,
            perm_id = excluded.perm_id, client_id = excluded.client_id, cum_qty = excluded.cum_qty,
            avg_price = excluded.avg_price, venue = excluded.venue, order_ref = excluded.order_ref,
            source = excluded.source, trade_id = excluded.trade_id`,
        columns<ExecutionRecord>(plan.executions, [
          (e) => e.baseExecId,
          (e) => e.execId,
          (e) => e.revision,
          (e) => e.account,
          (e) => e.contract.conId,
          (e) => e.side,
          (e) => e.shares,
          (e) => e.price,
          (e) => e.time,
          (e) => e.orderId,
          (e) => e.permId,
          (e) => e.clientId,
          (e) => e.cumQty,
          (e) => e.avgPrice,
          (e) => e.exchange,
          (e) => e.orderRef,
          (e) => sourceOf(e),
          (e) => e.tradeId,
        ]),
      );
    }
    if (plan.reports.length > 0) {
      await client.query(
        `INSERT INTO commission_reports (base_exec_id, exec_id, revision, commission, currency, realized_pnl, source)
          SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::numeric[], $5::text[], $6::numeric[], $7::text[])
          ON CONFLICT (base_exec_id) DO UPDATE SET exec_id = excluded.exec_id, revision = excluded.revision,
            commission = excluded.commission, currency = excluded.currency, realized_pnl = excluded.realized_pnl,
            source = excluded.source`,
        columns<CommissionRecord>(plan.reports, [
          (r) => r.baseExecId,
          (r) => r.execId,
          (r) => r.revision,
          (r) => r.commission,
          (r) => r.currency,
          (r) => r.realizedPnl,
          (r) => sourceOf(r),
        ]),
      );
    }
    await upsertLedgerTotals(client, plan.totals);
    if (plan.newExecutions.size > 0) {
      const counts = [...plan.newExecutions];
      await client.query(
        `INSERT INTO account_executions (account, executions) SELECT * FROM unnest($1::text[], $2::bigint[])
          ON CONFLICT (account) DO UPDATE SET executions = account_executions.executions + excluded.executions`,
        [counts.map(([account]) => account), counts.map(([, n]) => n)],
      );
    }
  }

  async recordExecution(execution: ExecutionRecord): Promise<RecordResult> {
    const [result] = await this.recordFills([{ kind: 'execution', execution }]);
    return result!;
  }

  async recordCommission(report: CommissionRecord): Promise<RecordResult> {
    const [result] = await this.recordFills([{ kind: 'commission', report }]);
    return result!;
  }

  savePosition(position: PositionRecord, snapshot: SnapshotReason | undefined, now: number): Promise<void> {
    return this.tx(async (client) => {
      await client.query(CONTRACT_UPSERT, contractColumns([position.contract]));
      await client.query(
        `INSERT INTO positions (account, con_id, quantity, avg_cost, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (account, con_id) DO UPDATE SET quantity = excluded.quantity, avg_cost = excluded.avg_cost,
           updated_at = excluded.updated_at`,
        [
          position.account,
          position.contract.conId,
          position.quantity,
          nul(position.avgCost),
          position.updatedAt,
        ],
      );
      if (snapshot) await this.snapshot(client, position.account, position.contract.conId, snapshot, now);
    });
  }

  savePositionPnl(
    account: string,
    conId: number,
    pnl: PositionPnl | undefined,
    snapshot: SnapshotReason | undefined,
    now: number,
  ): Promise<void> {
    return this.tx(async (client) => {
      await client.query(
        `UPDATE positions SET daily_pnl = $3, unrealized_pnl = $4, realized_pnl = $5, market_value = $6,
           pnl_updated_at = $7 WHERE account = $1 AND con_id = $2`,
        [
          account,
          conId,
          nul(pnl?.dailyPnl),
          nul(pnl?.unrealizedPnl),
          nul(pnl?.realizedPnl),
          nul(pnl?.marketValue),
          nul(pnl?.updatedAt),
        ],
      );
      if (snapshot) await this.snapshot(client, account, conId, snapshot, now);
    });
  }

  private async snapshot(
    client: pg.PoolClient,
    account: string,
    conId: number,
    reason: SnapshotReason,
    now: number,
  ): Promise<void> {
    await client.query(
      `INSERT INTO position_snapshots (account, con_id, taken_at, reason, quantity, avg_cost, market_value,
         unrealized_pnl, realized_pnl, daily_pnl)
       SELECT account, con_id, $3, $4, quantity, avg_cost, market_value, unrealized_pnl, realized_pnl, daily_pnl
       FROM positions WHERE account = $1 AND con_id = $2`,
      [account, conId, now, reason],
    );
    await client.query(`UPDATE positions SET last_snapshot_at = $3 WHERE account = $1 AND con_id = $2`, [
      account,
      conId,
      now,
    ]);
  }

  async deletePositions(keys: Array<{ account: string; conId: number }>): Promise<void> {
    if (keys.length === 0) return;
    await this.query(
      `DELETE FROM positions p USING unnest($1::text[], $2::bigint[]) AS k (account, con_id)
       WHERE p.account = k.account AND p.con_id = k.con_id`,
      [keys.map((k) => k.account), keys.map((k) => k.conId)],
    );
  }

  async saveAccountValue(value: AccountValue): Promise<void> {
    await this.query(
      `INSERT INTO account_values (account, tag, currency, value, updated_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (account, tag, currency) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      [value.account, value.tag, value.currency, value.value, value.updatedAt],
    );
  }

  async saveAccountPnl(pnl: AccountPnl): Promise<void> {
    await this.query(
      `INSERT INTO account_pnl (account, daily_pnl, unrealized_pnl, realized_pnl, updated_at)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (account) DO UPDATE SET daily_pnl = excluded.daily_pnl, unrealized_pnl = excluded.unrealized_pnl,
         realized_pnl = excluded.realized_pnl, updated_at = excluded.updated_at`,
      [pnl.account, nul(pnl.dailyPnl), nul(pnl.unrealizedPnl), nul(pnl.realizedPnl), pnl.updatedAt],
    );
  }

  async saveStreamUpdate(stream: Stream, at: number): Promise<void> {
    // Shared by every exporter on the database: the newest report wins.
    await this.query(
      `INSERT INTO stream_updates (stream, updated_at) VALUES ($1, $2)
       ON CONFLICT (stream) DO UPDATE SET updated_at = greatest(stream_updates.updated_at, excluded.updated_at)`,
      [stream, at],
    );
  }

  async load(accounts?: string[]): Promise<PersistedState> {
    const only = accounts ?? null;
    const filter = `($1::text[] IS NULL OR account = ANY($1::text[]))`;
    const [positions, ledger, counts, values, pnl, streams] = await Promise.all([
      this.query(
        `SELECT p.*, c.symbol, c.sec_type, c.currency, c.exchange, c.local_symbol, c.multiplier,
           c.last_trade_date, c.strike, c."right" FROM positions p JOIN contracts c USING (con_id)
         WHERE ($1::text[] IS NULL OR p.account = ANY($1::text[])) ORDER BY p.account, p.con_id`,
        [only],
      ),
      this.query(
        `SELECT account, con_id, currency, realized_pnl::text, commissions::text, reports, flex_reports
         FROM ledger_totals WHERE ${filter} ORDER BY account, con_id, currency`,
        [only],
      ),
      this.query(`SELECT account, executions FROM account_executions WHERE ${filter}`, [only]),
      this.query(`SELECT * FROM account_values WHERE ${filter}`, [only]),
      this.query(`SELECT * FROM account_pnl WHERE ${filter}`, [only]),
      this.query(`SELECT stream, updated_at FROM stream_updates`),
    ]);
    return {
      positions: positions.map(storedPositionFromRow),
      ledger: ledger.map(ledgerFromRow),
      executionCounts: counts.map((r) => ({
        account: r.account as string,
        executions: r.executions as number,
      })),
      accountValues: values.map((r) => ({
        account: r.account as string,
        tag: r.tag as string,
        currency: r.currency as string,
        value: r.value as number,
        updatedAt: r.updated_at as number,
      })),
      accountPnl: pnl.map((r) => ({
        account: r.account as string,
        dailyPnl: opt(r.daily_pnl as number | null),
        unrealizedPnl: opt(r.unrealized_pnl as number | null),
        realizedPnl: opt(r.realized_pnl as number | null),
        updatedAt: r.updated_at as number,
      })),
      streamUpdates: streams.map((r) => ({ stream: r.stream as Stream, updatedAt: r.updated_at as number })),
      roundTrips: await this.withClient((client) => this.history.currentTrips(client, only)),
    };
  }

  async backfillWatermark(accounts: string[]): Promise<number | undefined> {
    if (accounts.length === 0) return undefined;
    // The oldest of the accounts' watermarks; an account never backfilled means a full backfill.
    const rows = await this.query<{ n: number; t: number | null }>(
      `SELECT count(*)::int AS n, min(requested_at) AS t FROM backfill_watermark WHERE account = ANY($1::text[])`,
      [accounts],
    );
    const row = rows[0];
    return row && row.n === new Set(accounts).size && row.t !== null ? row.t : undefined;
  }

  async saveBackfillWatermark(accounts: string[], requestedAt: number): Promise<void> {
    if (accounts.length === 0) return;
    // Never backwards: a slower, older backfill completing last must not undo a newer one.
    await this.query(
      `INSERT INTO backfill_watermark (account, requested_at) SELECT unnest($1::text[]), $2
       ON CONFLICT (account) DO UPDATE SET requested_at = greatest(backfill_watermark.requested_at, excluded.requested_at)`,
      [accounts, requestedAt],
    );
  }

  async trades(query: TradeQuery): Promise<TradeRow[]> {
    const rows = await this.query(
      `SELECT e.*, c.symbol, c.sec_type, c.currency, c.exchange, c.local_symbol, c.multiplier, c.last_trade_date,
          c.strike, c."right", r.commission::text, r.currency AS commission_currency, r.realized_pnl::text,
          r.source AS report_source
        FROM executions e JOIN contracts c USING (con_id)
        LEFT JOIN commission_reports r USING (base_exec_id)
        WHERE ($1::text IS NULL OR e.account = $1) AND ($2::text IS NULL OR c.symbol = $2)
          AND ($3::bigint IS NULL OR e.time_ms >= $3)
        ORDER BY e.time_ms DESC, e.base_exec_id LIMIT $4`,
      [nul(query.account), nul(query.symbol), nul(query.sinceMs), query.limit],
    );
    return rows.map((row) => ({
      execId: row.exec_id as string,
      account: row.account as string,
      contract: contractFromRow(row),
      side: row.side as 'buy' | 'sell',
      shares: row.shares as number,
      price: row.price as number,
      time: row.time_ms as number,
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

  private async withClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error(`the database ${this.location} is closed`);
    await this.open();
    const client = await this.pool.connect();
    try {
      return await fn(client);
    } finally {
      client.release();
    }
  }

  reconcileRoundTrips(
    positions: Array<{ account: string; conId: number; quantity: number }>,
  ): Promise<CurrentTrip[]> {
    // Under the fill lock: a fill group of another exporter must not re-derive meanwhile.
    return this.tx(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [FILL_LOCK]);
      return this.history.reconcile(client, positions);
    });
  }

  roundTripHistory(query: HistoryQuery): Promise<RoundTripRow[]> {
    return this.withClient((client) => this.history.closed(client, query));
  }

  roundTrip(id: number): Promise<RoundTripRow | undefined> {
    return this.withClient((client) => this.history.byId(client, id));
  }

  roundTripFills(id: number): Promise<RoundTripFill[]> {
    return this.withClient((client) => this.history.fillsOfTrip(client, id));
  }

  orders(): OrderStore {
    this.orderStore ??= new PostgresOrderStore(
      { query: (sql, params) => this.query(sql, params), tx: (fn) => this.tx(fn) },
      this.options.orderScope ?? (() => undefined),
    );
    return this.orderStore;
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  isOpen(): boolean {
    return !this.closed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
