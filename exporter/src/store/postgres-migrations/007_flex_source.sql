-- PostgreSQL mirror of ../migrations/007_flex_source.sql: where each fill and report came from
-- ('api' or 'flex'), IB's tradeID, and how many of every sum's reports came from Flex. Existing
-- rows were written by the API. The views keep their grants (CREATE OR REPLACE, columns added at
-- the end).
ALTER TABLE executions ADD COLUMN source TEXT NOT NULL DEFAULT 'api' CHECK (source IN ('api', 'flex'));
ALTER TABLE executions ADD COLUMN trade_id TEXT;
CREATE INDEX executions_by_trade ON executions (account, trade_id) WHERE trade_id IS NOT NULL;
ALTER TABLE commission_reports ADD COLUMN source TEXT NOT NULL DEFAULT 'api' CHECK (source IN ('api', 'flex'));

-- Trades a Flex statement cancelled (IB code Ca), by IB's trade id: the fill is forgotten, and a
-- statement imported later that still lists the original (an older one, or the same again) does
-- not bring it back.
CREATE TABLE flex_cancelled (
  account      TEXT NOT NULL,
  trade_id     TEXT NOT NULL,
  PRIMARY KEY (account, trade_id)
);

ALTER TABLE ledger_totals ADD COLUMN flex_reports INTEGER NOT NULL DEFAULT 0;
ALTER TABLE round_trip_totals ADD COLUMN flex_reports INTEGER NOT NULL DEFAULT 0;
ALTER TABLE daily_realized ADD COLUMN flex_reports INTEGER NOT NULL DEFAULT 0;

CREATE OR REPLACE VIEW ibkr_trades AS
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
    AS round_trip_id,
  e.source,
  r.source AS basis,
  e.trade_id
FROM executions e
JOIN contracts c USING (con_id)
LEFT JOIN commission_reports r USING (base_exec_id);

CREATE OR REPLACE VIEW ibkr_round_trips AS
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
  CASE WHEN tt.reports > 0 THEN tt.commissions END AS commissions,
  CASE WHEN tt.reports > 0 THEN
    CASE WHEN tt.flex_reports = 0 THEN 'api' WHEN tt.flex_reports >= tt.reports THEN 'flex' ELSE 'mixed' END
  END AS basis
FROM round_trips t
JOIN contracts c USING (con_id)
LEFT JOIN round_trip_totals tt ON tt.round_trip_id = t.id;

CREATE OR REPLACE VIEW ibkr_daily_realized AS
SELECT account, currency, day::date AS day, realized_pnl, commissions, reports AS fills,
  CASE WHEN reports > 0 THEN
    CASE WHEN flex_reports = 0 THEN 'api' WHEN flex_reports >= reports THEN 'flex' ELSE 'mixed' END
  END AS basis,
  flex_reports AS flex_fills
FROM daily_realized;

CREATE OR REPLACE VIEW ibkr_round_trip_fills AS
SELECT
  f.round_trip_id,
  e.exec_id,
  to_timestamp(e.time_ms / 1000.0) AS trade_time,
  e.side,
  f.quantity AS qty,
  e.price::numeric AS price,
  CASE WHEN f.money = 1 THEN r.commission WHEN r.base_exec_id IS NOT NULL THEN 0 END AS commission,
  CASE WHEN f.money = 1 THEN r.realized_pnl END AS realized_pnl,
  e.source,
  CASE WHEN f.money = 1 THEN r.source END AS basis
FROM round_trip_fills f
JOIN executions e USING (base_exec_id)
LEFT JOIN commission_reports r USING (base_exec_id);
