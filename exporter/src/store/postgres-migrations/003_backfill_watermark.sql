-- PostgreSQL mirror of ../migrations/003_backfill_watermark.sql, one watermark per account: several
-- exporters share the database, and each backfills only the accounts its gateway manages.
CREATE TABLE backfill_watermark (
  account      TEXT PRIMARY KEY,
  requested_at BIGINT NOT NULL
);
