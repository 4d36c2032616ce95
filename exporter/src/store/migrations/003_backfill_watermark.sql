-- When the last execution backfill (reqExecutions) was requested and then completed: every fill
-- IB had made before that moment is stored. The next backfill starts from here (minus a margin),
-- not from the newest stored fill: live fills stored while a backfill was still running (and a
-- crash before it completed) would otherwise hide the older fills it never delivered.
CREATE TABLE backfill_watermark (
  id           INTEGER PRIMARY KEY CHECK (id = 1),
  requested_at INTEGER NOT NULL
) STRICT;
