// How each table of a SQLite ledger lands in PostgreSQL during `ledger copy`: its columns with
// their PostgreSQL types (a batch goes in as one INSERT … SELECT FROM unnest(arrays), so a batch
// of thousands of rows is one statement) and what happens to a row already there. Money columns
// are decimal text in SQLite and go in as text cast to NUMERIC: exact, never through a float.
import type { Row } from './rows.js';

export interface TableSpec {
  table: string;
  /** Column name → PostgreSQL array element type. */
  columns: Array<[string, string]>;
  /** The ON CONFLICT clause; `present` rows are those it leaves alone. */
  conflict: string;
  /** What a column a source ledger is too old to have holds (its migration's default); else NULL. */
  defaults?: Record<string, unknown>;
}

const newer = (table: string, set: string[]) =>
  `DO UPDATE SET ${set.map((c) => `${c} = excluded.${c}`).join(', ')} WHERE excluded.updated_at > ${table}.updated_at`;

export const CONTRACTS: TableSpec = {
  table: 'contracts',
  columns: [
    ['con_id', 'bigint'],
    ['symbol', 'text'],
    ['sec_type', 'text'],
    ['currency', 'text'],
    ['exchange', 'text'],
    ['local_symbol', 'text'],
    ['multiplier', 'float8'],
    ['last_trade_date', 'text'],
    ['strike', 'float8'],
    ['"right"', 'text'],
  ],
  // A contract the target knows came from a live gateway at least as recently.
  conflict: '(con_id) DO NOTHING',
};

const EXECUTION_COLUMNS: Array<[string, string]> = [
  ['base_exec_id', 'text'],
  ['exec_id', 'text'],
  ['revision', 'int'],
  ['account', 'text'],
  ['con_id', 'bigint'],
  ['side', 'text'],
  ['shares', 'float8'],
  ['price', 'float8'],
  ['time_ms', 'bigint'],
  ['order_id', 'bigint'],
  ['perm_id', 'bigint'],
  ['client_id', 'bigint'],
  ['cum_qty', 'float8'],
  ['avg_price', 'float8'],
  ['venue', 'text'],
  ['order_ref', 'text'],
  ['source', 'text'],
  ['trade_id', 'text'],
];

// The same rule as decideVersion (domain/ledger.ts): the API's version wins over a Flex one.
const replaceRevision = (table: string, columns: Array<[string, string]>) =>
  `(base_exec_id) DO UPDATE SET ${columns
    .slice(1)
    .map(([c]) => `${c} = excluded.${c}`)
    .join(', ')} WHERE (excluded.source = ${table}.source AND excluded.revision > ${table}.revision)
      OR (excluded.source = 'api' AND ${table}.source = 'flex')`;

/** Ledgers from before Flex import (migration 007) were written by the API alone. */
const API_SOURCE = { source: 'api' };

/** Only rows decided 'insert' or 'replace' (decideVersion) are sent; the WHERE is a guard. */
export const EXECUTIONS: TableSpec = {
  table: 'executions',
  columns: EXECUTION_COLUMNS,
  conflict: replaceRevision('executions', EXECUTION_COLUMNS),
  defaults: API_SOURCE,
};

const REPORT_COLUMNS: Array<[string, string]> = [
  ['base_exec_id', 'text'],
  ['exec_id', 'text'],
  ['revision', 'int'],
  ['commission', 'numeric'],
  ['currency', 'text'],
  ['realized_pnl', 'numeric'],
  ['source', 'text'],
];

export const COMMISSION_REPORTS: TableSpec = {
  table: 'commission_reports',
  columns: REPORT_COLUMNS,
  conflict: replaceRevision('commission_reports', REPORT_COLUMNS),
  defaults: API_SOURCE,
};

const POSITION_STATE = [
  'quantity',
  'avg_cost',
  'updated_at',
  'daily_pnl',
  'unrealized_pnl',
  'realized_pnl',
  'market_value',
  'pnl_updated_at',
  'last_snapshot_at',
];

/** What IB reports as "now" (positions, account values and PnL): the newer report wins. */
export const POSITIONS: TableSpec = {
  table: 'positions',
  columns: [
    ['account', 'text'],
    ['con_id', 'bigint'],
    ['quantity', 'float8'],
    ['avg_cost', 'float8'],
    ['updated_at', 'bigint'],
    ['daily_pnl', 'float8'],
    ['unrealized_pnl', 'float8'],
    ['realized_pnl', 'float8'],
    ['market_value', 'float8'],
    ['pnl_updated_at', 'bigint'],
    ['last_snapshot_at', 'bigint'],
  ],
  conflict: `(account, con_id) ${newer('positions', POSITION_STATE)}`,
};

export const ACCOUNT_VALUES: TableSpec = {
  table: 'account_values',
  columns: [
    ['account', 'text'],
    ['tag', 'text'],
    ['currency', 'text'],
    ['value', 'float8'],
    ['updated_at', 'bigint'],
  ],
  conflict: `(account, tag, currency) ${newer('account_values', ['value', 'updated_at'])}`,
};

export const ACCOUNT_PNL: TableSpec = {
  table: 'account_pnl',
  columns: [
    ['account', 'text'],
    ['daily_pnl', 'float8'],
    ['unrealized_pnl', 'float8'],
    ['realized_pnl', 'float8'],
    ['updated_at', 'bigint'],
  ],
  conflict: `(account) ${newer('account_pnl', ['daily_pnl', 'unrealized_pnl', 'realized_pnl', 'updated_at'])}`,
};

export const STREAM_UPDATES: TableSpec = {
  table: 'stream_updates',
  columns: [
    ['stream', 'text'],
    ['updated_at', 'bigint'],
  ],
  conflict: `(stream) ${newer('stream_updates', ['updated_at'])}`,
};

/** Trades a Flex statement cancelled (migration 007): the target forgets them too from now on. */
export const FLEX_CANCELLED: TableSpec = {
  table: 'flex_cancelled',
  columns: [
    ['account', 'text'],
    ['trade_id', 'text'],
  ],
  conflict: '(account, trade_id) DO NOTHING',
};

/** PostgreSQL keeps one watermark per account (several exporters); it only moves forward. */
export const BACKFILL_WATERMARK: TableSpec = {
  table: 'backfill_watermark',
  columns: [
    ['account', 'text'],
    ['requested_at', 'bigint'],
  ],
  conflict:
    '(account) DO UPDATE SET requested_at = excluded.requested_at WHERE excluded.requested_at > backfill_watermark.requested_at',
};

/** Rows decided by takeIncomingCarry (domain/ledger-merge.ts) only. */
export const ROUND_TRIP_CARRY: TableSpec = {
  table: 'round_trip_carry',
  columns: [
    ['account', 'text'],
    ['con_id', 'bigint'],
    ['quantity', 'numeric'],
  ],
  conflict: '(account, con_id) DO UPDATE SET quantity = excluded.quantity',
};

/**
 * Round trips go in with their SQLite ids where those are free, so the ids the API and the
 * dashboard handed out stay valid; then they are derived again from the merged fills, which keeps
 * the id of every trip whose opening fill stays the same.
 */
export const ROUND_TRIPS: TableSpec = {
  table: 'round_trips',
  columns: [
    ['id', 'bigint'],
    ['account', 'text'],
    ['con_id', 'bigint'],
    ['open_key', 'text'],
    ['opened_before_ledger', 'int'],
    ['open_time_ms', 'bigint'],
    ['close_time_ms', 'bigint'],
    ['quantity', 'numeric'],
    ['fills', 'int'],
  ],
  // Either key taken (the id, or the trip itself): the target's row stays.
  conflict: 'DO NOTHING',
};

/**
 * Orders placed through the API. `gateway` (PostgreSQL only) names the gateway that placed it by
 * the accounts it manages: a SQLite ledger had one exporter, so its accounts, sorted. A copied
 * order whose row moved on since (its exporter kept running) replaces the earlier copy.
 */
export const ORDERS: TableSpec = {
  table: 'orders',
  columns: [
    ['id', 'text'],
    ['idempotency_key', 'text'],
    ['body_hash', 'text'],
    ['request', 'text'],
    ['account', 'text'],
    ['con_id', 'bigint'],
    ['symbol', 'text'],
    ['sec_type', 'text'],
    ['side', 'text'],
    ['order_type', 'text'],
    ['quantity', 'text'],
    ['limit_price', 'text'],
    ['client_id', 'bigint'],
    ['ib_order_id', 'bigint'],
    ['perm_id', 'bigint'],
    ['status', 'text'],
    ['filled', 'float8'],
    ['remaining', 'float8'],
    ['avg_fill_price', 'float8'],
    ['last_error', 'text'],
    ['created_at', 'bigint'],
    ['updated_at', 'bigint'],
    ['gateway', 'text'],
  ],
  conflict: `(id) ${newer('orders', ['perm_id', 'status', 'filled', 'remaining', 'avg_fill_price', 'last_error', 'updated_at'])}`,
};

/** An order's fill: the higher revision wins, and a commission report joins whichever side has it. */
export const ORDER_FILLS: TableSpec = {
  table: 'order_fills',
  columns: [
    ['base_exec_id', 'text'],
    ['exec_id', 'text'],
    ['revision', 'int'],
    ['order_id', 'text'],
    ['shares', 'float8'],
    ['price', 'float8'],
    ['time_ms', 'bigint'],
    ['commission', 'text'],
    ['commission_currency', 'text'],
    ['realized_pnl', 'text'],
  ],
  conflict: `(base_exec_id) DO UPDATE SET exec_id = excluded.exec_id, revision = excluded.revision,
    order_id = excluded.order_id, shares = excluded.shares, price = excluded.price, time_ms = excluded.time_ms,
    commission = coalesce(excluded.commission, order_fills.commission),
    commission_currency = coalesce(excluded.commission_currency, order_fills.commission_currency),
    realized_pnl = coalesce(excluded.realized_pnl, order_fills.realized_pnl)
    WHERE excluded.revision > order_fills.revision
      OR (order_fills.commission IS NULL AND excluded.commission IS NOT NULL)`,
};

/**
 * `INSERT … SELECT * FROM unnest($1::type[], …) ON CONFLICT …`, returning whether each written
 * row was inserted (xmax = 0) or updated; rows the conflict clause left alone are not returned.
 */
export function upsertSql(spec: TableSpec): string {
  const names = spec.columns.map(([name]) => name).join(', ');
  const arrays = spec.columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ');
  return `INSERT INTO ${spec.table} (${names}) SELECT * FROM unnest(${arrays}) ON CONFLICT ${spec.conflict}
    RETURNING (xmax = 0) AS inserted`;
}

/** The batch as one array per column, SQLite's NULL as PostgreSQL's. */
export function columnArrays(spec: TableSpec, rows: readonly Row[]): unknown[][] {
  return spec.columns.map(([name]) => {
    const key = name.replaceAll('"', '');
    return rows.map((row) => row[key] ?? spec.defaults?.[key] ?? null);
  });
}
