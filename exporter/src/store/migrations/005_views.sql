-- The ledger in SQL: stable, documented views (README "The ledger in SQL"). The tables behind them
-- may change from one release to the next; these names and columns do not. Money is decimal text,
-- times are ISO-8601 UTC text (NUMERIC and timestamptz in PostgreSQL).

-- One row per fill with its commission report (NULLs until the report is stored).
CREATE VIEW ibkr_trades AS
SELECT
  e.exec_id,
  e.account,
  e.con_id,
  c.symbol,
  c.sec_type,
  c.currency,
  strftime('%Y-%m-%dT%H:%M:%fZ', e.time_ms / 1000.0, 'unixepoch') AS trade_time,
  e.side,
  e.shares AS qty,
  CASE WHEN e.price = CAST(e.price AS INTEGER) THEN CAST(CAST(e.price AS INTEGER) AS TEXT)
    ELSE CAST(e.price AS TEXT) END AS price,
  r.commission,
  r.currency AS commission_currency,
  r.realized_pnl,
  e.order_id,
  e.perm_id,
  e.venue AS exchange,
  (SELECT f.round_trip_id FROM round_trip_fills f WHERE f.base_exec_id = e.base_exec_id AND f.money = 1)
    AS round_trip_id
FROM executions e
JOIN contracts c USING (con_id)
LEFT JOIN commission_reports r USING (base_exec_id);

-- One row per round trip (and report currency: one in practice). realized_pnl and commissions are
-- NULL until a commission report of its fills is stored; open_time is NULL when the ledger began
-- after the position opened (opened_before_ledger = 1).
CREATE VIEW ibkr_round_trips AS
SELECT
  t.id,
  t.account,
  t.con_id,
  c.symbol,
  c.sec_type,
  coalesce(tt.currency, c.currency) AS currency,
  CASE WHEN t.close_time_ms IS NULL THEN 'open' ELSE 'closed' END AS status,
  strftime('%Y-%m-%dT%H:%M:%fZ', t.open_time_ms / 1000.0, 'unixepoch') AS open_time,
  strftime('%Y-%m-%dT%H:%M:%fZ', t.close_time_ms / 1000.0, 'unixepoch') AS close_time,
  t.opened_before_ledger,
  t.quantity,
  t.fills,
  CASE WHEN tt.reports > 0 THEN tt.realized_pnl END AS realized_pnl,
  CASE WHEN tt.reports > 0 THEN tt.commissions END AS commissions
FROM round_trips t
JOIN contracts c USING (con_id)
LEFT JOIN round_trip_totals tt ON tt.round_trip_id = t.id;

-- Realized PnL and commissions per account, report currency and trading day (the UTC day of the fill).
CREATE VIEW ibkr_daily_realized AS
SELECT account, currency, day, realized_pnl, commissions, reports AS fills
FROM daily_realized;

-- One row per fill of a round trip, oldest first by trade_time: a flipping fill appears in both of
-- its round trips with the part of it in each (qty); its commission and realized PnL only in the
-- one it closed (money = 1), 0 and NULL in the one it opened.
CREATE VIEW ibkr_round_trip_fills AS
SELECT
  f.round_trip_id,
  e.exec_id,
  strftime('%Y-%m-%dT%H:%M:%fZ', e.time_ms / 1000.0, 'unixepoch') AS trade_time,
  e.side,
  f.quantity AS qty,
  CASE WHEN e.price = CAST(e.price AS INTEGER) THEN CAST(CAST(e.price AS INTEGER) AS TEXT)
    ELSE CAST(e.price AS TEXT) END AS price,
  CASE WHEN f.money = 1 THEN r.commission WHEN r.base_exec_id IS NOT NULL THEN '0' END AS commission,
  CASE WHEN f.money = 1 THEN r.realized_pnl END AS realized_pnl
FROM round_trip_fills f
JOIN executions e USING (base_exec_id)
LEFT JOIN commission_reports r USING (base_exec_id);
