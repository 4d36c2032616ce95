-- PostgreSQL mirror of ../migrations/002_orders.sql (the order store itself still runs on SQLite).
-- Orders placed through the API. The idempotency key is unique (NULL when the client gave none),
-- so a retry finds the original row, across restarts too; body_hash tells a retry from a reuse.
CREATE TABLE orders (
  id              TEXT PRIMARY KEY,
  idempotency_key TEXT UNIQUE,
  body_hash       TEXT NOT NULL,
  request         TEXT NOT NULL,
  account         TEXT NOT NULL,
  con_id          BIGINT NOT NULL,
  symbol          TEXT NOT NULL,
  sec_type        TEXT NOT NULL,
  side            TEXT NOT NULL CHECK (side IN ('BUY', 'SELL')),
  order_type      TEXT NOT NULL CHECK (order_type IN ('MKT', 'LMT')),
  quantity        TEXT NOT NULL,
  limit_price     TEXT,
  client_id       BIGINT NOT NULL,
  ib_order_id     BIGINT NOT NULL,
  perm_id         BIGINT,
  status          TEXT NOT NULL,
  filled          DOUBLE PRECISION NOT NULL DEFAULT 0,
  remaining       DOUBLE PRECISION,
  avg_fill_price  DOUBLE PRECISION,
  last_error      TEXT,
  created_at      BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL
);

CREATE INDEX orders_by_status ON orders (status, created_at);
CREATE INDEX orders_by_ib_id ON orders (client_id, ib_order_id);
CREATE INDEX orders_by_perm_id ON orders (perm_id);

-- Every change the gateway reported (openOrder, orderStatus, errors) and every cancel request.
CREATE TABLE order_status_history (
  id             BIGSERIAL PRIMARY KEY,
  order_id       TEXT NOT NULL REFERENCES orders (id),
  at             BIGINT NOT NULL,
  source         TEXT NOT NULL,
  status         TEXT NOT NULL,
  filled         DOUBLE PRECISION,
  remaining      DOUBLE PRECISION,
  avg_fill_price DOUBLE PRECISION,
  message        TEXT
);

CREATE INDEX order_status_history_by_order ON order_status_history (order_id, id);

-- The order's fills by execId (without its correction suffix, as in executions), with their
-- commission report joined by the same id whichever arrives first.
CREATE TABLE order_fills (
  base_exec_id        TEXT PRIMARY KEY,
  exec_id             TEXT NOT NULL,
  revision            INTEGER NOT NULL,
  order_id            TEXT NOT NULL REFERENCES orders (id),
  shares              DOUBLE PRECISION NOT NULL,
  price               DOUBLE PRECISION NOT NULL,
  time_ms             BIGINT NOT NULL,
  commission          TEXT,
  commission_currency TEXT,
  realized_pnl        TEXT
);

CREATE INDEX order_fills_by_order ON order_fills (order_id, time_ms);
