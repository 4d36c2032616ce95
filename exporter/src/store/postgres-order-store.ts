// The orders placed through the API, in the shared PostgreSQL database (migrations 002 and 006),
// over the PostgresStore's pool. Several exporters, one per gateway, share the tables: each sees
// only the orders of the accounts its gateway manages, and matches IB's order ids (unique only
// per gateway login and client id) only among the orders its own gateway placed. The idempotency
// key is unique in the whole database, so two exporters racing on one key place one order.
import type pg from 'pg';
import { decideRevision } from '../domain/ledger.js';
import type { CommissionRecord, ExecutionRecord } from '../domain/types.js';
import { fillFromRow, historyFromRow, orderFromRow, TERMINAL_SQL } from './order-rows.js';
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
import { nul } from './rows.js';
import type { Row } from './rows.js';

/** What the order store needs of the PostgresStore: its queries and transactions (which open it first). */
export interface PostgresAccess {
  query(sql: string, params?: unknown[]): Promise<Row[]>;
  tx<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T>;
}

/**
 * The accounts this exporter's gateway manages; undefined when no gateway is synced, which makes
 * every stored order visible (a read-only look at the database).
 */
export type OrderScope = () => readonly string[] | undefined;

const UNIQUE_VIOLATION = '23505';
const KEY_CONSTRAINT = 'orders_idempotency_key_key';

/** The gateway an order belongs to, named by the accounts it manages. */
export function gatewayOf(accounts: readonly string[] | undefined): string {
  return accounts === undefined ? '' : [...accounts].sort().join(',');
}

const INSERT = `INSERT INTO orders (id, idempotency_key, body_hash, request, account, con_id, symbol, sec_type,
    side, order_type, quantity, limit_price, client_id, ib_order_id, status, created_at, updated_at, gateway)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16, $17)`;

const HISTORY = `INSERT INTO order_status_history (order_id, at, source, status, filled, remaining,
    avg_fill_price, message) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`;

// A correction replaces the fill but keeps a commission report already joined to it.
const UPSERT_FILL = `INSERT INTO order_fills (base_exec_id, exec_id, revision, order_id, shares, price, time_ms,
    commission, commission_currency, realized_pnl) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
  ON CONFLICT (base_exec_id) DO UPDATE SET exec_id = excluded.exec_id, revision = excluded.revision,
    order_id = excluded.order_id, shares = excluded.shares, price = excluded.price, time_ms = excluded.time_ms,
    commission = coalesce(excluded.commission, order_fills.commission),
    commission_currency = coalesce(excluded.commission_currency, order_fills.commission_currency),
    realized_pnl = coalesce(excluded.realized_pnl, order_fills.realized_pnl)`;

export class PostgresOrderStore implements OrderStore {
  private readonly earlyReports = new EarlyReports();

  constructor(
    private readonly db: PostgresAccess,
    private readonly scope: OrderScope,
  ) {}

  /** `account = ANY($n)` for a synced exporter, nothing otherwise; `params` gains the accounts. */
  private visible(params: unknown[], column = 'account'): string {
    const accounts = this.scope();
    if (accounts === undefined) return 'TRUE';
    params.push([...accounts]);
    return `${column} = ANY($${params.length}::text[])`;
  }

  private async one(where: string, params: unknown[], order = ''): Promise<OrderRow | undefined> {
    const rows = await this.db.query(
      `SELECT * FROM orders WHERE ${where} AND ${this.visible(params)} ${order} LIMIT 1`,
      params,
    );
    return rows[0] && orderFromRow(rows[0]);
  }

  async insert(order: NewOrder): Promise<OrderRow> {
    try {
      await this.db.tx(async (client) => {
        await client.query(INSERT, [
          order.id,
          nul(order.idempotencyKey),
          order.bodyHash,
          order.request,
          order.account,
          order.conId,
          order.symbol,
          order.secType,
          order.side,
          order.orderType,
          order.quantity,
          nul(order.limitPrice),
          order.clientId,
          order.ibOrderId,
          order.status,
          order.createdAt,
          gatewayOf(this.scope()),
        ]);
        await client.query(HISTORY, [order.id, order.createdAt, 'submit', order.status, 0, null, null, null]);
      });
    } catch (error) {
      const { code, constraint } = error as { code?: string; constraint?: string };
      if (order.idempotencyKey !== undefined && code === UNIQUE_VIOLATION && constraint === KEY_CONSTRAINT) {
        throw new DuplicateKeyError(order.idempotencyKey);
      }
      throw new Error('insert order', { cause: error });
    }
    return (await this.db.query('SELECT * FROM orders WHERE id = $1', [order.id])).map(orderFromRow)[0]!;
  }

  get(id: string): Promise<OrderRow | undefined> {
    return this.one('id = $1', [id]);
  }

  byKey(key: string): Promise<OrderRow | undefined> {
    return this.one('idempotency_key = $1', [key]);
  }

  byIbOrderId(clientId: number, ibOrderId: number): Promise<OrderRow | undefined> {
    // Order ids are per gateway and client id, and a gateway reset may reuse them: the newest wins.
    return this.one(
      'gateway = $1 AND client_id = $2 AND ib_order_id = $3',
      [gatewayOf(this.scope()), clientId, ibOrderId],
      'ORDER BY created_at DESC, seq DESC',
    );
  }

  byPermId(permId: number): Promise<OrderRow | undefined> {
    return this.one('perm_id = $1', [permId]);
  }

  applyChange(id: string, change: StatusChange, at: number): Promise<OrderRow | undefined> {
    return this.db.tx(async (client) => {
      // FOR UPDATE: two exporters applying the same report write one history row between them.
      const { rows } = await client.query('SELECT * FROM orders WHERE id = $1 FOR UPDATE', [id]);
      const before = rows[0] && orderFromRow(rows[0] as Row);
      if (!before) return undefined;
      const after = changedOrder(before, change, at);
      if (!after) return undefined;
      await client.query(
        `UPDATE orders SET status = $2, filled = $3, remaining = $4, avg_fill_price = $5, perm_id = $6,
           last_error = $7, updated_at = $8 WHERE id = $1`,
        [
          id,
          after.status,
          after.filled,
          nul(after.remaining),
          nul(after.avgFillPrice),
          nul(after.permId),
          nul(after.lastError),
          at,
        ],
      );
      await client.query(HISTORY, [
        id,
        at,
        change.source,
        after.status,
        nul(change.filled),
        nul(change.remaining),
        nul(change.avgFillPrice),
        nul(change.message),
      ]);
      return after;
    });
  }

  async history(id: string): Promise<HistoryRow[]> {
    const rows = await this.db.query('SELECT * FROM order_status_history WHERE order_id = $1 ORDER BY id', [
      id,
    ]);
    return rows.map(historyFromRow);
  }

  recordFill(orderId: string, execution: ExecutionRecord): Promise<boolean> {
    return this.db.tx(async (client) => {
      const { rows } = await client.query(
        'SELECT revision FROM order_fills WHERE base_exec_id = $1 FOR UPDATE',
        [execution.baseExecId],
      );
      const known = rows[0] ? { revision: (rows[0] as Row).revision as number } : undefined;
      if (decideRevision(known, execution) === 'ignore') return false;
      const early = this.earlyReports.take(execution.baseExecId);
      await client.query(UPSERT_FILL, [
        execution.baseExecId,
        execution.execId,
        execution.revision,
        orderId,
        execution.shares,
        execution.price,
        execution.time,
        nul(early?.commission),
        nul(early?.currency),
        nul(early?.realizedPnl),
      ]);
      return true;
    });
  }

  async recordCommission(report: CommissionRecord): Promise<void> {
    const updated = await this.db.query(
      `UPDATE order_fills SET commission = $2, commission_currency = $3, realized_pnl = $4
       WHERE base_exec_id = $1 RETURNING base_exec_id`,
      [report.baseExecId, nul(report.commission), nul(report.currency), nul(report.realizedPnl)],
    );
    if (updated.length === 0) this.earlyReports.keep(report);
  }

  async fills(id: string): Promise<FillRow[]> {
    const rows = await this.db.query(
      'SELECT * FROM order_fills WHERE order_id = $1 ORDER BY time_ms, base_exec_id',
      [id],
    );
    return rows.map(fillFromRow);
  }

  async list(query: OrderQuery): Promise<OrderRow[]> {
    const params: unknown[] = [query.limit];
    const where = [this.visible(params)];
    if (query.status !== undefined) {
      params.push(query.status);
      where.push(`status = $${params.length}`);
    }
    if (query.open) where.push(`status NOT IN (${TERMINAL_SQL})`);
    const rows = await this.db.query(
      `SELECT * FROM orders WHERE ${where.join(' AND ')} ORDER BY created_at DESC, seq DESC LIMIT $1`,
      params,
    );
    return rows.map(orderFromRow);
  }

  async openByAccount(): Promise<Map<string, number>> {
    const params: unknown[] = [];
    const rows = await this.db.query(
      `SELECT account, count(*) AS n FROM orders WHERE status NOT IN (${TERMINAL_SQL}) AND ${this.visible(params)}
       GROUP BY account`,
      params,
    );
    return new Map(rows.map((r) => [r.account as string, r.n as number]));
  }
}
