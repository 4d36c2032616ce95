-- PostgreSQL mirror of ../migrations/001_initial.sql: the same tables and keys. Money is NUMERIC
-- (exact, as the decimal text SQLite keeps), times are epoch milliseconds as in SQLite so both
-- backends share one row mapping; the SQL views turn them into timestamptz.
CREATE TABLE contracts (
  con_id          BIGINT PRIMARY KEY,
  symbol          TEXT NOT NULL,
  sec_type        TEXT NOT NULL,
  currency        TEXT NOT NULL,
  exchange        TEXT,
  local_symbol    TEXT,
  multiplier      DOUBLE PRECISION NOT NULL DEFAULT 1,
  last_trade_date TEXT,
  strike          DOUBLE PRECISION,
  "right"         TEXT
);

-- One row per fill, keyed by the execId without its correction suffix; a correction replaces it.
CREATE TABLE executions (
  base_exec_id TEXT PRIMARY KEY,
  exec_id      TEXT NOT NULL,
  revision     INTEGER NOT NULL,
  account      TEXT NOT NULL,
  con_id       BIGINT NOT NULL REFERENCES contracts (con_id),
  side         TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
  shares       DOUBLE PRECISION NOT NULL CHECK (shares > 0),
  price        DOUBLE PRECISION NOT NULL,
  time_ms      BIGINT NOT NULL,
  order_id     BIGINT,
  perm_id      BIGINT,
  client_id    BIGINT,
  cum_qty      DOUBLE PRECISION,
  avg_price    DOUBLE PRECISION,
  venue        TEXT,
  order_ref    TEXT
);
CREATE INDEX executions_by_time ON executions (time_ms);
CREATE INDEX executions_by_account ON executions (account, time_ms);

-- A report may arrive before its execution: it waits here until the join.
CREATE TABLE commission_reports (
  base_exec_id TEXT PRIMARY KEY,
  exec_id      TEXT NOT NULL,
  revision     INTEGER NOT NULL,
  commission   NUMERIC,
  currency     TEXT,
  realized_pnl NUMERIC
);

CREATE TABLE ledger_totals (
  account        TEXT NOT NULL,
  con_id         BIGINT NOT NULL,
  currency       TEXT NOT NULL,
  realized_pnl   NUMERIC NOT NULL DEFAULT 0,
  commissions    NUMERIC NOT NULL DEFAULT 0,
  reports        INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (account, con_id, currency)
);

CREATE TABLE account_executions (
  account    TEXT PRIMARY KEY,
  executions BIGINT NOT NULL
);

CREATE TABLE positions (
  account          TEXT NOT NULL,
  con_id           BIGINT NOT NULL REFERENCES contracts (con_id),
  quantity         DOUBLE PRECISION NOT NULL,
  avg_cost         DOUBLE PRECISION,
  updated_at       BIGINT NOT NULL,
  daily_pnl        DOUBLE PRECISION,
  unrealized_pnl   DOUBLE PRECISION,
  realized_pnl     DOUBLE PRECISION,
  market_value     DOUBLE PRECISION,
  pnl_updated_at   BIGINT,
  last_snapshot_at BIGINT,
  PRIMARY KEY (account, con_id)
);

CREATE TABLE position_snapshots (
  id             BIGSERIAL PRIMARY KEY,
  account        TEXT NOT NULL,
  con_id         BIGINT NOT NULL,
  taken_at       BIGINT NOT NULL,
  reason         TEXT NOT NULL CHECK (reason IN ('quantity', 'pnl')),
  quantity       DOUBLE PRECISION NOT NULL,
  avg_cost       DOUBLE PRECISION,
  market_value   DOUBLE PRECISION,
  unrealized_pnl DOUBLE PRECISION,
  realized_pnl   DOUBLE PRECISION,
  daily_pnl      DOUBLE PRECISION
);
CREATE INDEX position_snapshots_by_position ON position_snapshots (account, con_id, taken_at);

CREATE TABLE account_values (
  account    TEXT NOT NULL,
  tag        TEXT NOT NULL,
  currency   TEXT NOT NULL,
  value      DOUBLE PRECISION NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (account, tag, currency)
);

CREATE TABLE account_pnl (
  account        TEXT PRIMARY KEY,
  daily_pnl      DOUBLE PRECISION,
  unrealized_pnl DOUBLE PRECISION,
  realized_pnl   DOUBLE PRECISION,
  updated_at     BIGINT NOT NULL
);

CREATE TABLE stream_updates (
  stream     TEXT PRIMARY KEY,
  updated_at BIGINT NOT NULL
);
