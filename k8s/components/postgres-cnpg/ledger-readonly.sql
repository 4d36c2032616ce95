-- The read-only role of the ledger database, for Grafana and people: ibkr_grafana may read the
-- ledger's views and write nothing. Run it connected to the ledger database, as a superuser or as
-- a member of the exporter's role `ibkr` (Azure: the server admin after `GRANT ibkr TO <admin>`),
-- before or after the exporter's first start; running it again changes nothing. Used as it is by
-- docker-compose.yml (k8s/compose/postgres-init.sh) and by CloudNativePG
-- (postInitApplicationSQLRefs), hence no psql variables: the role names are fixed here.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ibkr_grafana') THEN
    -- Its password is set by whoever creates its login: the compose init script, CNPG's managed
    -- role, or ALTER ROLE by hand.
    CREATE ROLE ibkr_grafana LOGIN;
  END IF;
END
$$;

-- Grafana's query editor sends what a user types; a read-only transaction is the first guard, the
-- missing privileges below are the one that holds (a session may turn this setting off).
ALTER ROLE ibkr_grafana SET default_transaction_read_only = on;

-- PostgreSQL before 15 lets every role create tables in public, and every version lets every role
-- create temporary tables: neither for this role. The exporter owns the database and keeps both.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
DO $$
BEGIN
  EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO ibkr_grafana', current_database());
END
$$;
GRANT USAGE ON SCHEMA public TO ibkr_grafana;

-- The views that exist now (the script run after the exporter's migrations). A view reads its
-- tables with its owner's privileges, so these grants need none on the tables behind them.
DO $$
DECLARE
  v record;
BEGIN
  FOR v IN SELECT viewname FROM pg_views WHERE schemaname = 'public' AND viewname LIKE 'ibkr\_%' LOOP
    EXECUTE format('GRANT SELECT ON public.%I TO ibkr_grafana', v.viewname);
  END LOOP;
END
$$;

-- The views the exporter's migrations create later (on its first start, or a new view in a later
-- release): default privileges of the role that creates them. PostgreSQL's default privileges do
-- not tell a view from a table, so this also lets ibkr_grafana read the tables the exporter
-- creates from now on; read them through the views, the tables may change.
ALTER DEFAULT PRIVILEGES FOR ROLE ibkr IN SCHEMA public GRANT SELECT ON TABLES TO ibkr_grafana;
