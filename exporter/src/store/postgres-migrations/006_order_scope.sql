-- Orders live in PostgreSQL from this version on (until now the order store ran on the SQLite
-- file at IBKR_DB_PATH and these tables stayed empty). Several exporters share the database, one
-- per gateway: an order is visible to the exporters whose gateway manages its account, and IB's
-- order ids, which are only unique per gateway login and client id, are matched only among the
-- orders of the same gateway, named by its managed accounts ('DU1,DU2', sorted).
ALTER TABLE orders ADD COLUMN gateway TEXT NOT NULL DEFAULT '';
-- Orders placed in the same millisecond still list in the order they were stored.
ALTER TABLE orders ADD COLUMN seq BIGSERIAL;

DROP INDEX orders_by_ib_id;
CREATE INDEX orders_by_ib_id ON orders (gateway, client_id, ib_order_id);
DROP INDEX orders_by_status;
CREATE INDEX orders_by_account ON orders (account, status, created_at);
