-- PostgreSQL mirror of ../migrations/005_views.sql: the same stable views and columns, with money
-- and quantities as NUMERIC, times as timestamptz, the day as date and the flag as boolean.
CREATE VIEW ibkr_trades AS
SELECT
  e.exec_id,
  e.account,
  e.con_id,
  c.symbol,
  c.sec_type,
  c.currency,
  to_timestamp(e.time_ms / 1000.0) AS trade_time,
  e.side,
  e.shares::numeric AS qty,
  e.price::numeric AS price,
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

CREATE VIEW ibkr_round_trips AS
SELECT
  t.id,
  t.account,
  t.con_id,
  c.symbol,
  c.sec_type,
  coalesce(tt.currency, c.currency) AS currency,
  CASE WHEN t.close_time_ms IS NULL THEN 'open' ELSE 'closed' END AS status,
  to_timestamp(t.open_time_ms / 1000.0) AS open_time,
  to_timestamp(t.close_time_ms / 1000.0) AS close_time,
  t.opened_before_ledger = 1 AS opened_before_ledger,
  t.quantity,
  t.fills,
  CASE WHEN tt.reports > 0 THEN tt.realized_pnl END AS realized_pnl,
  CASE WHEN tt.reports > 0 THEN tt.commissions END AS commissions
FROM round_trips t
JOIN contracts c USING (con_id)
LEFT JOIN round_trip_totals tt ON tt.round_trip_id = t.id;

CREATE VIEW ibkr_daily_realized AS
SELECT account, currency, day::date AS day, realized_pnl, commissions, reports AS fills
FROM daily_realized;

CREATE VIEW ibkr_round_trip_fills AS
SELECT
  f.round_trip_id,
  e.exec_id,
  to_timestamp(e.time_ms / 1000.0) AS trade_time,
  e.side,
  f.quantity AS qty,
  e.price::numeric AS price,
  CASE WHEN f.money = 1 THEN r.commission WHEN r.base_exec_id IS NOT NULL THEN 0 END AS commission,
  CASE WHEN f.money = 1 THEN r.realized_pnl END AS realized_pnl
FROM round_trip_fills f
JOIN executions e USING (base_exec_id)
LEFT JOIN commission_reports r USING (base_exec_id);
