-- PostgreSQL mirror of ../migrations/004_round_trips.sql: the same tables and keys. Money and
-- quantities are NUMERIC, times epoch milliseconds and days 'YYYY-MM-DD' text as in SQLite, so
-- both backends share one row mapping; the views (005) turn them into timestamptz and date.
CREATE TABLE round_trips (
  id                   BIGSERIAL PRIMARY KEY,
  account              TEXT NOT NULL,
  con_id               BIGINT NOT NULL REFERENCES contracts (con_id),
  open_key             TEXT NOT NULL,
  opened_before_ledger INTEGER NOT NULL CHECK (opened_before_ledger IN (0, 1)),
  open_time_ms         BIGINT,
  close_time_ms        BIGINT,
  quantity             NUMERIC NOT NULL,
  fills                INTEGER NOT NULL,
  UNIQUE (account, con_id, open_key)
);
CREATE INDEX round_trips_by_close ON round_trips (close_time_ms, id);
CREATE INDEX round_trips_open ON round_trips (account, con_id, close_time_ms);

CREATE TABLE round_trip_totals (
  round_trip_id BIGINT NOT NULL REFERENCES round_trips (id) ON DELETE CASCADE,
  currency      TEXT NOT NULL,
  realized_pnl  NUMERIC NOT NULL,
  commissions   NUMERIC NOT NULL,
  reports       INTEGER NOT NULL,
  PRIMARY KEY (round_trip_id, currency)
);

CREATE TABLE round_trip_fills (
  round_trip_id BIGINT NOT NULL REFERENCES round_trips (id) ON DELETE CASCADE,
  base_exec_id  TEXT NOT NULL,
  quantity      NUMERIC NOT NULL,
  money         INTEGER NOT NULL CHECK (money IN (0, 1)),
  PRIMARY KEY (round_trip_id, base_exec_id)
);
CREATE INDEX round_trip_fills_by_exec ON round_trip_fills (base_exec_id);

CREATE TABLE round_trip_carry (
  account  TEXT NOT NULL,
  con_id   BIGINT NOT NULL,
  quantity NUMERIC NOT NULL,
  PRIMARY KEY (account, con_id)
);

CREATE TABLE daily_realized (
  account      TEXT NOT NULL,
  currency     TEXT NOT NULL,
  day          TEXT NOT NULL,
  realized_pnl NUMERIC NOT NULL,
  commissions  NUMERIC NOT NULL,
  reports      INTEGER NOT NULL,
  PRIMARY KEY (account, currency, day)
);

CREATE INDEX executions_by_position ON executions (account, con_id, time_ms, base_exec_id);

CREATE TABLE round_trip_rebuild (id INTEGER PRIMARY KEY CHECK (id = 1));
INSERT INTO round_trip_rebuild (id) SELECT 1 WHERE EXISTS (SELECT 1 FROM executions);
