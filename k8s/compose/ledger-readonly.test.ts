// The read-only role of the ledger database (ledger-readonly.sql, through the compose init script
// postgres-init.sh) on a real PostgreSQL server, in both orders it meets the exporter: created
// before the exporter's migrations (compose: an empty volume, then the exporter's first start) and
// after them (a managed database whose ledger already exists). Either way ibkr_grafana reads every
// view, including one a later migration adds, and can write and create nothing.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { migratePostgres } from '../../exporter/src/store/postgres-migrate.js';
import type { PostgresCluster } from '../../exporter/test/support/postgres.js';
import { describePostgres, findPostgresBin, startPostgres } from '../../exporter/test/support/postgres.js';
import { ROOT } from '../scripts/manifests.js';

const INIT_SCRIPT = join(ROOT, 'k8s', 'compose', 'postgres-init.sh');
const READONLY_SQL = join(ROOT, 'k8s', 'components', 'postgres-cnpg', 'ledger-readonly.sql');
/** The views of store/postgres-migrations that the Trades & history dashboard reads. */
const VIEWS = ['ibkr_daily_realized', 'ibkr_round_trip_fills', 'ibkr_round_trips', 'ibkr_trades'];
// Characters a URL must percent-encode, so the script's decoding is exercised.
const LEDGER_PASSWORD = 'ledger p@ss/%:word';
const GRAFANA_PASSWORD = "grafana 'quoted' pass";
const INSUFFICIENT_PRIVILEGE = '42501';

describePostgres('the read-only role of the ledger database', () => {
  let cluster: PostgresCluster;
  let dir: string;
  /** The compose order: init script on an empty server, then the exporter's migrations. */
  const composeDb = `ledger_compose_${process.pid}`;
  /** The other order: a migrated ledger, then ledger-readonly.sql. */
  const laterDb = `ledger_later_${process.pid}`;

  const connect = async (database: string, user: string, password: string) => {
    const client = new pg.Client({ connectionString: cluster.url(database, { name: user, password }) });
    await client.connect();
    return client;
  };
  const asLedger = (database: string) => connect(database, 'ibkr', LEDGER_PASSWORD);
  const asGrafana = (database: string) => connect(database, 'ibkr_grafana', GRAFANA_PASSWORD);
  const migrate = async (database: string) => {
    const client = await asLedger(database);
    try {
      await migratePostgres(client);
    } finally {
      await client.end();
    }
  };

  /** Runs the compose init script as the image's entrypoint would, over TCP instead of the socket. */
  const runInit = (urlFile: string) =>
    spawnSync('bash', [INIT_SCRIPT], {
      encoding: 'utf8',
      env: {
        PATH: `${findPostgresBin() ?? ''}:${process.env.PATH ?? ''}`,
        PGHOST: '127.0.0.1',
        PGPORT: String(cluster.port),
        PGPASSWORD: cluster.password,
        POSTGRES_USER: 'postgres',
        POSTGRES_DB: 'postgres',
        LEDGER_URL_FILE: urlFile,
        GRAFANA_LEDGER_PASSWORD_FILE: join(dir, 'grafana_ledger_password'),
        LEDGER_READONLY_SQL: READONLY_SQL,
      },
    });

  beforeAll(async () => {
    cluster = await startPostgres();
    dir = mkdtempSync(join(tmpdir(), 'ledger-readonly-'));
    const url = `postgres://ibkr:${encodeURIComponent(LEDGER_PASSWORD)}@postgres:5432/${composeDb}?sslmode=disable`;
    writeFileSync(join(dir, 'ledger_database_url'), `${url}\n`);
    writeFileSync(join(dir, 'grafana_ledger_password'), `${GRAFANA_PASSWORD}\n`);
    const init = runInit(join(dir, 'ledger_database_url'));
    expect(init.stderr).toBe('');
    expect(init.status).toBe(0);
    await migrate(composeDb);

    await cluster.query(`CREATE DATABASE ${laterDb} OWNER ibkr`);
    await migrate(laterDb);
    const sql = spawnSync(
      'psql',
      ['-v', 'ON_ERROR_STOP=1', '--no-psqlrc', '--quiet', '-d', laterDb, '-f', READONLY_SQL],
      {
        encoding: 'utf8',
        env: {
          PATH: `${findPostgresBin() ?? ''}:${process.env.PATH ?? ''}`,
          PGHOST: '127.0.0.1',
          PGPORT: String(cluster.port),
          PGUSER: 'postgres',
          PGPASSWORD: cluster.password,
        },
      },
    );
    expect(sql.stderr).toBe('');
    expect(sql.status).toBe(0);
  });
  afterAll(async () => {
    await cluster?.destroy();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const orders = [
    ['created before the migrations (compose)', () => composeDb],
    ['created after the migrations', () => laterDb],
  ] as const;

  it.each(orders)('lets the role, %s, read every view of the ledger', async (_, database) => {
    const client = await asGrafana(database());
    try {
      const views = await client.query<{ viewname: string }>(
        "SELECT viewname FROM pg_views WHERE schemaname = 'public' ORDER BY 1",
      );
      expect(views.rows.map((r) => r.viewname)).toEqual(expect.arrayContaining(VIEWS));
      for (const { viewname } of views.rows) {
        const result = await client.query(`SELECT count(*)::int AS n FROM ${viewname}`);
        expect(result.rows[0]).toEqual({ n: 0 });
      }
    } finally {
      await client.end();
    }
  });

  it.each(orders)('lets the role, %s, write and create nothing', async (_, database) => {
    const client = await asGrafana(database());
    const denied = async (sql: string) => {
      const error = await client.query(sql).then(
        () => undefined,
        (e: unknown) => e as { code?: string },
      );
      return `${sql}: ${error?.code ?? 'allowed'}`;
    };
    try {
      // Read-only transactions by default, a guard a session may switch off: the privileges hold.
      expect((await client.query('SHOW default_transaction_read_only')).rows[0]).toEqual({
        default_transaction_read_only: 'on',
      });
      await client.query('SET default_transaction_read_only = off');
      for (const sql of [
        "INSERT INTO ibkr_schema_migrations (version, name) VALUES (999, 'x')",
        "UPDATE ibkr_schema_migrations SET name = 'x'",
        'DELETE FROM executions',
        'TRUNCATE executions',
        'CREATE TABLE public.grafana_table (id int)',
        'CREATE VIEW public.grafana_view AS SELECT 1 AS one',
        'CREATE TEMPORARY TABLE grafana_temp (id int)',
        'CREATE SCHEMA grafana',
      ]) {
        expect(await denied(sql)).toBe(`${sql}: ${INSUFFICIENT_PRIVILEGE}`);
      }
    } finally {
      await client.end();
    }
  });

  it.each(orders)('lets the role, %s, read a view a later migration adds', async (_, database) => {
    const ledger = await asLedger(database());
    try {
      await ledger.query('CREATE VIEW ibkr_future AS SELECT account FROM ibkr_trades');
    } finally {
      await ledger.end();
    }
    const client = await asGrafana(database());
    try {
      expect((await client.query('SELECT count(*)::int AS n FROM ibkr_future')).rows).toEqual([{ n: 0 }]);
    } finally {
      await client.end();
    }
  });

  it('refuses a database URL whose role is not the one the grants name', () => {
    const file = join(dir, 'other_url');
    writeFileSync(file, 'postgres://exporter:secret-pw@postgres:5432/other\n');
    const result = runInit(file);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('must be ibkr (got exporter)');
    expect(result.stderr).not.toContain('secret-pw');
  });
});
