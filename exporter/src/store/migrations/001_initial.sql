-- Contracts are shared by executions and positions.
CREATE TABLE contracts (
  con_id          INTEGER PRIMARY KEY,
  symbol          TEXT NOT NULL,
  sec_type        TEXT NOT NULL,
  currency        TEXT NOT NULL,
  exchange        TEXT,
  local_symbol    TEXT,
  multiplier      REAL NOT NULL DEFAULT 1,
  last_trade_date TEXT,
  strike          REAL,
  "right"         TEXT
) STRICT;

-- One row per fill, keyed by the execId without its correction suffix; a correction replaces it.
CREATE TABLE executions (
  base_exec_id TEXT PRIMARY KEY,
  exec_id      TEXT NOT NULL,
  revision     INTEGER NOT NULL,
  account      TEXT NOT NULL,
  con_id       INTEGER NOT NULL REFERENCES contracts (con_id),
  side         TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
  shares       REAL NOT NULL CHECK (shares > 0),
  price        REAL NOT NULL,
  time_ms      INTEGER NOT NULL,
  order_id     INTEGER,
  perm_id      INTEGER,
  client_id    INTEGER,
  cum_qty      REAL,
  avg_price    REAL,
  venue        TEXT,
  order_ref    TEXT
) STRICT;
CREATE INDEX executions_by_time ON executions (time_ms);
CREATE INDEX executions_by_account ON executions (account, time_ms);

-- Commission reports, keyed like executions; money is decimal text (see domain/money.ts).
-- A report may arrive before its execution: it waits here until the join.
CREATE TABLE commission_reports (
  base_exec_id TEXT PRIMARY KEY,
  exec_id      TEXT NOT NULL,
  revision     INTEGER NOT NULL,
  commission   TEXT,
  currency     TEXT,
  realized_pnl TEXT
) STRICT;

-- Running totals of joined fills per position and report currency, so start-up and /metrics
-- never scan the execution history.
CREATE TABLE ledger_totals (
  account        TEXT NOT NULL,
  con_id         INTEGER NOT NULL,
  currency       TEXT NOT NULL,
  realized_pnl   TEXT NOT NULL DEFAULT '0',
  commissions    TEXT NOT NULL DEFAULT '0',
  reports        INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (account, con_id, currency)
) STRICT;

CREATE TABLE account_executions (
  account    TEXT PRIMARY KEY,
  executions INTEGER NOT NULL
) STRICT;

-- The positions the gateway reports now, with their latest reqPnLSingle values.
CREATE TABLE positions (
  account          TEXT NOT NULL,
  con_id           INTEGER NOT NULL REFERENCES contracts (con_id),
  quantity         REAL NOT NULL,
  avg_cost         REAL,
  updated_at       INTEGER NOT NULL,
  daily_pnl        REAL,
  unrealized_pnl   REAL,
  realized_pnl     REAL,
  market_value     REAL,
  pnl_updated_at   INTEGER,
  last_snapshot_at INTEGER,
  PRIMARY KEY (account, con_id)
) STRICT;

CREATE TABLE position_snapshots (
  id             INTEGER PRIMARY KEY,
  account        TEXT NOT NULL,
  con_id         INTEGER NOT NULL,
  taken_at       INTEGER NOT NULL,
  reason         TEXT NOT NULL CHECK (reason IN ('quantity', 'pnl')),
  quantity       REAL NOT NULL,
  avg_cost       REAL,
  market_value   REAL,
  unrealized_pnl REAL,
  realized_pnl   REAL,
  daily_pnl      REAL
) STRICT;
CREATE INDEX position_snapshots_by_position ON position_snapshots (account, con_id, taken_at);

CREATE TABLE account_values (
  account    TEXT NOT NULL,
  tag        TEXT NOT NULL,
  currency   TEXT NOT NULL,
  value      REAL NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (account, tag, currency)
) STRICT;

CREATE TABLE account_pnl (
  account        TEXT PRIMARY KEY,
  daily_pnl      REAL,
  unrealized_pnl REAL,
  realized_pnl   REAL,
  updated_at     INTEGER NOT NULL
) STRICT;

-- Health metadata, not ledger data: when each stream last delivered something.
CREATE TABLE stream_updates (
  stream     TEXT PRIMARY KEY,
  updated_at INTEGER NOT NULL
) STRICT;
