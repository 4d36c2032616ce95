// The orders placed through the API, in the ledger's SQLite file (migration 002): the request,
// its idempotency key and body hash, the IB order and perm ids, the status history and the fills.
// Every method is one transaction on the ledger's better-sqlite3 connection, which SqliteStore
// hands in (SqliteStore.orders()); the connection never leaves store/. It answers synchronously:
// the OrderStore's Awaitable answers cost SQLite nothing. One exporter per file, so no scoping.
import type { Database, Statement } from 'better-sqlite3';
import { decideRevision } from '../domain/ledger.js';
import type { CommissionRecord, ExecutionRecord } from '../domain/types.js';
import { changedOrder, DuplicateKeyError, EarlyReports } from './order-store.js';
import type {
  FillRow,
  HistoryRow,
  NewOrder,
  OrderQuery,
  OrderRow,
  OrderStore,
  StatusChange,
} from './order-store.js';
import { fillFromRow, historyFromRow, orderFromRow, TERMINAL_SQL } from './order-rows.js';
import { nul } from './rows.js';
import type { Row } from './rows.js';

export class SqliteOrderStore implements OrderStore {
  private readonly stmt: Record<string, Statement>;
  private readonly earlyReports = new EarlyReports();

  constructor(private readonly db: Database) {
    const p = (sql: string) => db.prepare(sql);
    this.stmt = {
      insert:
        p(`INSERT INTO orders (id, idempotency_key, body_hash, request, account, con_id, symbol, sec_type, side,
          order_type, quantity, limit_price, client_id, ib_order_id, status, created_at, updated_at)
        VALUES (@id, @idempotencyKey, @bodyHash, @request, @account, @conId, @symbol, @secType, @side, @orderType,
          @quantity, @limitPrice, @clientId, @ibOrderId, @status, @createdAt, @createdAt)`),
      byId: p(`SELECT * FROM orders WHERE id = ?`),
      byKey: p(`SELECT * FROM orders WHERE idempotency_key = ?`),
      // Order ids are per client id and a gateway reset may reuse them: the newest order wins.
      byIbId: p(
        `SELECT * FROM orders WHERE client_id = ? AND ib_order_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1`,
      ),
      byPermId: p(`SELECT * FROM orders WHERE perm_id = ? LIMIT 1`),
      update: p(`UPDATE orders SET status = @status, filled = @filled, remaining = @remaining,
          avg_fill_price = @avgFillPrice, perm_id = @permId, last_error = @lastError, updated_at = @at WHERE id = @id`),
      history:
        p(`INSERT INTO order_status_history (order_id, at, source, status, filled, remaining, avg_fill_price, message)
        VALUES (@orderId, @at, @source, @status, @filled, @remaining, @avgFillPrice, @message)`),
      historyOf: p(`SELECT * FROM order_status_history WHERE order_id = ? ORDER BY id`),
      fillById: p(`SELECT revision FROM order_fills WHERE base_exec_id = ?`),
      // A correction replaces the fill but keeps a commission report already joined to it.
      upsertFill:
        p(`INSERT INTO order_fills (base_exec_id, exec_id, revision, order_id, shares, price, time_ms,
          commission, commission_currency, realized_pnl)
        VALUES (@baseExecId, @execId, @revision, @orderId, @shares, @price, @time, @commission, @currency, @realizedPnl)
        ON CONFLICT (base_exec_id) DO UPDATE SET exec_id = excluded.exec_id, revision = excluded.revision,
          order_id = excluded.order_id, shares = excluded.shares, price = excluded.price, time_ms = excluded.time_ms,
          commission = coalesce(excluded.commission, commission),
          commission_currency = coalesce(excluded.commission_currency, commission_currency),
          realized_pnl = coalesce(excluded.realized_pnl, realized_pnl)`),
      fillCommission: p(`UPDATE order_fills SET commission = @commission, commission_currency = @currency,
          realized_pnl = @realizedPnl WHERE base_exec_id = @baseExecId`),
      fillsOf: p(`SELECT * FROM order_fills WHERE order_id = ? ORDER BY time_ms, base_exec_id`),
      openByAccount: p(`SELECT account, count(*) AS n FROM orders
        WHERE status NOT IN (${TERMINAL_SQL}) GROUP BY account`),
    };
  }

  insert(order: NewOrder): OrderRow {
    try {
      this.db.transaction(() => {
        this.stmt.insert!.run({
          ...order,
          idempotencyKey: nul(order.idempotencyKey),
          limitPrice: nul(order.limitPrice),
        });
        this.stmt.history!.run({
          orderId: order.id,
          at: order.createdAt,
          source: 'submit',
          status: order.status,
          filled: 0,
          remaining: null,
          avgFillPrice: null,
          message: null,
        });
      })();
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (order.idempotencyKey !== undefined && code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new DuplicateKeyError(order.idempotencyKey);
      }
      throw new Error('insert order', { cause: error });
    }
    return this.get(order.id)!;
  }

  get(id: string): OrderRow | undefined {
    const row = this.stmt.byId!.get(id) as Row | undefined;
    return row && orderFromRow(row);
  }

  byKey(key: string): OrderRow | undefined {
    const row = this.stmt.byKey!.get(key) as Row | undefined;
    return row && orderFromRow(row);
  }

  byIbOrderId(clientId: number, ibOrderId: number): OrderRow | undefined {
    const row = this.stmt.byIbId!.get(clientId, ibOrderId) as Row | undefined;
    return row && orderFromRow(row);
  }

  byPermId(permId: number): OrderRow | undefined {
    const row = this.stmt.byPermId!.get(permId) as Row | undefined;
    return row && orderFromRow(row);
  }

  applyChange(id: string, change: StatusChange, at: number): OrderRow | undefined {
    return this.db.transaction((): OrderRow | undefined => {
      const before = this.get(id);
      if (!before) return undefined;
      const after = changedOrder(before, change, at);
      if (!after) return undefined;
      this.stmt.update!.run({
        id,
        status: after.status,
        filled: after.filled,
        remaining: nul(after.remaining),
        avgFillPrice: nul(after.avgFillPrice),
        permId: nul(after.permId),
        lastError: nul(after.lastError),
        at,
      });
      this.stmt.history!.run({
        orderId: id,
        at,
        source: change.source,
        status: after.status,
        filled: nul(change.filled),
        remaining: nul(change.remaining),
        avgFillPrice: nul(change.avgFillPrice),
        message: nul(change.message),
      });
      return after;
    })();
  }

  history(id: string): HistoryRow[] {
    return (this.stmt.historyOf!.all(id) as Row[]).map(historyFromRow);
  }

  recordFill(orderId: string, execution: ExecutionRecord): boolean {
    return this.db.transaction((): boolean => {
      const existing = this.stmt.fillById!.get(execution.baseExecId) as Row | undefined;
      const known = existing ? { revision: existing.revision as number } : undefined;
      if (decideRevision(known, execution) === 'ignore') return false;
      const early = this.earlyReports.take(execution.baseExecId);
      this.stmt.upsertFill!.run({
        baseExecId: execution.baseExecId,
        execId: execution.execId,
        revision: execution.revision,
        orderId,
        shares: execution.shares,
        price: execution.price,
        time: execution.time,
        commission: nul(early?.commission),
        currency: nul(early?.currency),
        realizedPnl: nul(early?.realizedPnl),
      });
      return true;
    })();
  }

  recordCommission(report: CommissionRecord): void {
    const params = {
      baseExecId: report.baseExecId,
      commission: nul(report.commission),
      currency: nul(report.currency),
      realizedPnl: nul(report.realizedPnl),
    };
    if (this.stmt.fillCommission!.run(params).changes > 0) return;
    this.earlyReports.keep(report);
  }

  fills(id: string): FillRow[] {
    return (this.stmt.fillsOf!.all(id) as Row[]).map(fillFromRow);
  }

  list(query: OrderQuery): OrderRow[] {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: query.limit };
    if (query.status !== undefined) {
      where.push('status = @status');
      params.status = query.status;
    }
    if (query.open) where.push(`status NOT IN (${TERMINAL_SQL})`);
    const sql = `SELECT * FROM orders ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY created_at DESC, rowid DESC LIMIT @limit`;
    return (this.db.prepare(sql).all(params) as Row[]).map(orderFromRow);
  }

  openByAccount(): Map<string, number> {
    const rows = this.stmt.openByAccount!.all() as Row[];
    return new Map(rows.map((r) => [r.account as string, r.n as number]));
  }
}
