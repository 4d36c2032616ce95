-- Flex import (docs/flex.md): every fill and commission report says where it came from, the TWS
-- API ('api': execDetails and commissionReport, IB's average-cost realized PnL) or a Flex
-- statement ('flex': fifoPnlRealized, FIFO by tax lot). The API's version wins; the two bases are
-- never converted. Ledgers from before Flex were written by the API alone: every row is 'api'.
ALTER TABLE executions ADD COLUMN source TEXT NOT NULL DEFAULT 'api' CHECK (source IN ('api', 'flex'));
-- IB's tradeID, which a Flex cancellation names; the API does not report it.
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
) STRICT;

-- How many of a sum's reports came from Flex (domain/basis.ts): the basis of the sum.
ALTER TABLE ledger_totals ADD COLUMN flex_reports INTEGER NOT NULL DEFAULT 0;
ALTER TABLE round_trip_totals ADD COLUMN flex_reports INTEGER NOT NULL DEFAULT 0;
ALTER TABLE daily_realized ADD COLUMN flex_reports INTEGER NOT NULL DEFAULT 0;

-- The views (005) gain their sources at the end of their columns, so a query of the old columns
-- reads on unchanged: `source` is where a fill came from, `basis` the basis of a realized PnL
-- ('api', 'flex', or 'mixed' for a sum of both; NULL while no commission report is known).
DROP VIEW ibkr_trades;
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
    AS round_trip_id,
  e.source,
  r.source AS basis,
  e.trade_id
FROM executions e
JOIN contracts c USING (con_id)
LEFT JOIN commission_reports r USING (base_exec_id);

DROP VIEW ibkr_round_trips;
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
  CASE WHEN tt.reports > 0 THEN tt.commissions END AS commissions,
  CASE WHEN tt.reports > 0 THEN
    CASE WHEN tt.flex_reports = 0 THEN 'api' WHEN tt.flex_reports >= tt.reports THEN 'flex' ELSE 'mixed' END
  END AS basis
FROM round_trips t
JOIN contracts c USING (con_id)
LEFT JOIN round_trip_totals tt ON tt.round_trip_id = t.id;

DROP VIEW ibkr_daily_realized;
CREATE VIEW ibkr_daily_realized AS
SELECT account, currency, day, realized_pnl, commissions, reports AS fills,
  CASE WHEN reports > 0 THEN
    CASE WHEN flex_reports = 0 THEN 'api' WHEN flex_reports >= reports THEN 'flex' ELSE 'mixed' END
  END AS basis,
  flex_reports AS flex_fills
FROM daily_realized;

DROP VIEW ibkr_round_trip_fills;
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
  CASE WHEN f.money = 1 THEN r.realized_pnl END AS realized_pnl,
  e.source,
  CASE WHEN f.money = 1 THEN r.source END AS basis
FROM round_trip_fills f
JOIN executions e USING (base_exec_id)
LEFT JOIN commission_reports r USING (base_exec_id);
