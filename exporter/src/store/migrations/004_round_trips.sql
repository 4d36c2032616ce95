-- Round trips (domain/round-trips.ts): one position's life from flat to flat, kept up to date as
-- fills and commission reports are recorded, so no request or start-up rescans the fills.
CREATE TABLE round_trips (
  id                   INTEGER PRIMARY KEY,
  account              TEXT NOT NULL,
  con_id               INTEGER NOT NULL REFERENCES contracts (con_id),
  -- base execId of the opening fill; '' for a position held before the ledger began.
  open_key             TEXT NOT NULL,
  opened_before_ledger INTEGER NOT NULL CHECK (opened_before_ledger IN (0, 1)),
  open_time_ms         INTEGER,
  close_time_ms        INTEGER,
  quantity             TEXT NOT NULL,
  fills                INTEGER NOT NULL,
  UNIQUE (account, con_id, open_key)
) STRICT;
CREATE INDEX round_trips_by_close ON round_trips (close_time_ms, id);
CREATE INDEX round_trips_open ON round_trips (account, con_id, close_time_ms);

-- Realized PnL and commissions of a round trip per report currency (decimal text).
CREATE TABLE round_trip_totals (
  round_trip_id INTEGER NOT NULL REFERENCES round_trips (id) ON DELETE CASCADE,
  currency      TEXT NOT NULL,
  realized_pnl  TEXT NOT NULL,
  commissions   TEXT NOT NULL,
  reports       INTEGER NOT NULL,
  PRIMARY KEY (round_trip_id, currency)
) STRICT;

-- Which fills make up a round trip. A flipping fill has two rows: the part that closes (money = 1,
-- it carries the commission and IB's realized PnL) and the part that opens the next trip.
CREATE TABLE round_trip_fills (
  round_trip_id INTEGER NOT NULL REFERENCES round_trips (id) ON DELETE CASCADE,
  base_exec_id  TEXT NOT NULL,
  quantity      TEXT NOT NULL,
  money         INTEGER NOT NULL CHECK (money IN (0, 1)),
  PRIMARY KEY (round_trip_id, base_exec_id)
) STRICT;
CREATE INDEX round_trip_fills_by_exec ON round_trip_fills (base_exec_id);

-- What a position held before its first stored fill (IB's position minus the stored fills, once).
CREATE TABLE round_trip_carry (
  account  TEXT NOT NULL,
  con_id   INTEGER NOT NULL,
  quantity TEXT NOT NULL,
  PRIMARY KEY (account, con_id)
) STRICT;

-- Realized PnL and commissions per account, report currency and UTC day of the fill.
CREATE TABLE daily_realized (
  account      TEXT NOT NULL,
  currency     TEXT NOT NULL,
  day          TEXT NOT NULL,
  realized_pnl TEXT NOT NULL,
  commissions  TEXT NOT NULL,
  reports      INTEGER NOT NULL,
  PRIMARY KEY (account, currency, day)
) STRICT;

CREATE INDEX executions_by_position ON executions (account, con_id, time_ms, base_exec_id);

-- Ledgers that existed before this migration get their round trips and daily totals derived from
-- the stored fills once, by the store at its next start (big.js, in domain/), then this row goes.
CREATE TABLE round_trip_rebuild (id INTEGER PRIMARY KEY CHECK (id = 1)) STRICT;
INSERT INTO round_trip_rebuild (id) SELECT 1 WHERE EXISTS (SELECT 1 FROM executions);
