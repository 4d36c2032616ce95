// The exporter on PostgreSQL against the simulator: a database that goes away and comes back
// under it while fills arrive, refusals at start named by the redacted URL, and several exporters
// sharing one database. The same /metrics as on SQLite, for every scenario: backend-parity.e2e.test.ts.
import pg from 'pg';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { GatewaySimulator } from '../src/sim/server.js';
import { PostgresRefusal } from '../src/store/postgres-errors.js';
import {
  BASIC,
  scrape,
  startSim,
  startTestExporter,
  testConfig,
  useRig,
  valueOf,
  waitSynced,
} from './support/exporter.js';
import type { SyncTarget } from './support/exporter.js';
import { describePostgres, startPostgres } from './support/postgres.js';
import type { PostgresCluster } from './support/postgres.js';

const MULTI: SyncTarget = { positions: 2, pnl: 2, executions: 3, accountValues: 16, accounts: 2 };
const LIVE_FILL = {
  execId: '0000e0d5.6554f3d4.01.01',
  account: 'DU0000001',
  conId: 265598,
  side: 'SLD' as const,
  shares: 100,
  price: 170,
  commission: { commission: 1.5, currency: 'USD', realizedPnl: 1997.5 },
};

describePostgres('the exporter on PostgreSQL', () => {
  const rig = useRig();
  let cluster: PostgresCluster;
  beforeAll(async () => {
    cluster = await startPostgres();
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  const rows = async (url: string, sql: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(sql)).rows as Array<Record<string, unknown>>;
    } finally {
      await client.end();
    }
  };

  async function exporterOn(sim: GatewaySimulator, url: string, env: Record<string, string> = {}) {
    return rig.track(
      await startTestExporter(
        testConfig(sim.port, `${rig.dir}/orders-${Math.random().toString(36).slice(2)}.db`, {
          IBKR_DATABASE_URL: url,
          ...env,
        }),
      ),
    );
  }

  it('restores its accounts from the database after a restart, each fill stored once', async () => {
    const url = await cluster.createDatabase();
    const sim = rig.track(await startSim('basic'));
    const first = await exporterOn(sim, url);
    await waitSynced(first, BASIC);
    await first.stop();
    const offline = await exporterOn(sim, url, { IBKR_AUTO_SYNC: 'false' });
    expect(offline.portfolio.positions.size).toBe(BASIC.positions);
    expect(offline.portfolio.executionCounts.get('DU0000001')).toBe(BASIC.executions);
    const again = await exporterOn(sim, url);
    await waitSynced(again, BASIC);
    expect(await rows(url, 'SELECT count(*)::int AS n FROM executions')).toEqual([{ n: BASIC.executions }]);
  });

  it('keeps serving memory through a database outage and stores the fills made meanwhile once', async () => {
    const own = await startPostgres();
    try {
      const url = await own.createDatabase();
      const sim = rig.track(await startSim('basic'));
      const exporter = await exporterOn(sim, url);
      await waitSynced(exporter, BASIC);

      await own.stop();
      sim.addExecution(LIVE_FILL);
      await vi.waitFor(
        async () => {
          const m = await scrape(exporter);
          expect(valueOf(m, 'ibkr_store_up')).toBe(0);
          // Memory is still served: the positions known before the outage.
          expect(valueOf(m, 'ibkr_position_quantity', { account: 'DU0000001', con_id: '265598' })).toBe(100);
        },
        { timeout: 15_000, interval: 100 },
      );
      const ready = await fetch(`${exporter.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { error: string }).error).toMatch(/^database unreachable: /);
      const health = (await (await fetch(`${exporter.url}/sync/health`)).json()) as {
        store: { up: boolean; database: string; error: string | null };
      };
      expect(health.store).toMatchObject({ up: false, database: url.replace(own.password, '***') });
      expect(health.store.error).not.toBeNull();
      expect(JSON.stringify(health)).not.toContain(own.password);
      // The fill never reached memory: it was not committed.
      expect(exporter.portfolio.executionCounts.get('DU0000001')).toBe(BASIC.executions);

      await own.start();
      await vi.waitFor(
        async () => {
          const m = await scrape(exporter);
          expect(valueOf(m, 'ibkr_store_up')).toBe(1);
          expect(exporter.portfolio.executionCounts.get('DU0000001')).toBe(BASIC.executions + 1);
        },
        { timeout: 20_000, interval: 100 },
      );
      expect((await fetch(`${exporter.url}/readyz`)).status).toBe(200);
      expect(await rows(url, 'SELECT count(*)::int AS n FROM executions')).toEqual([
        { n: BASIC.executions + 1 },
      ]);
      expect(
        await rows(
          url,
          "SELECT realized_pnl::text AS r FROM commission_reports WHERE exec_id = '0000e0d5.6554f3d4.01.01'",
        ),
      ).toEqual([{ r: '1997.5' }]);
    } finally {
      await own.destroy();
    }
  });

  it('starts while the database is down, reports it, and syncs once it is back', async () => {
    const own = await startPostgres();
    try {
      const url = await own.createDatabase();
      await own.stop();
      const sim = rig.track(await startSim('basic'));
      const exporter = await exporterOn(sim, url);
      const m = await scrape(exporter);
      expect(valueOf(m, 'ibkr_store_up')).toBe(0);
      expect(valueOf(m, 'ibkr_store_schema_version', { backend: 'postgres' })).toBeUndefined();
      expect((await fetch(`${exporter.url}/readyz`)).status).toBe(503);
      await own.start();
      await waitSynced(exporter, BASIC, 20_000);
      const after = await scrape(exporter);
      expect(valueOf(after, 'ibkr_store_up')).toBe(1);
      expect(valueOf(after, 'ibkr_store_schema_version', { backend: 'postgres' })).toBeGreaterThan(0);
      expect(await rows(url, 'SELECT count(*)::int AS n FROM executions')).toEqual([{ n: BASIC.executions }]);
    } finally {
      await own.destroy();
    }
  });

  it('lets several exporters share a database: each sees its own accounts, a shared fill counts once', async () => {
    const url = await cluster.createDatabase();
    const basicA = rig.track(await startSim('basic'));
    const basicB = rig.track(await startSim('basic'));
    const multi = rig.track(await startSim('multi-account'));
    const [a, b, c] = await Promise.all([
      exporterOn(basicA, url),
      exporterOn(basicB, url),
      exporterOn(multi, url),
    ]);
    await Promise.all([waitSynced(a, BASIC), waitSynced(b, BASIC), waitSynced(c, MULTI)]);
    expect([...a.portfolio.executionCounts.keys()]).toEqual(['DU0000001']);
    expect([...c.portfolio.executionCounts.keys()].sort()).toEqual(['DU1111111', 'DU2222222']);
    expect(
      await rows(url, 'SELECT account, executions::int AS n FROM account_executions ORDER BY account'),
    ).toEqual([
      { account: 'DU0000001', n: BASIC.executions },
      { account: 'DU1111111', n: expect.any(Number) },
      { account: 'DU2222222', n: expect.any(Number) },
    ]);
    // A rolling update: both basic exporters see the same live fill; it is stored and counted once.
    basicA.addExecution(LIVE_FILL);
    basicB.addExecution(LIVE_FILL);
    for (const exporter of [a, b]) {
      await vi.waitFor(
        () => expect(exporter.portfolio.executionCounts.get('DU0000001')).toBe(BASIC.executions + 1),
        {
          timeout: 5000,
        },
      );
    }
    expect(await rows(url, "SELECT count(*)::int AS n FROM executions WHERE account = 'DU0000001'")).toEqual([
      { n: BASIC.executions + 1 },
    ]);
    expect(
      await rows(
        url,
        "SELECT commissions::text AS c FROM ledger_totals WHERE account = 'DU0000001' AND con_id = 265598",
      ),
    ).toEqual([{ c: expect.stringMatching(/^\d/) }]);
    // A restart reads only its own accounts.
    await c.stop();
    const restarted = await exporterOn(multi, url);
    await waitSynced(restarted, MULTI);
    expect(restarted.portfolio.executionCounts.has('DU0000001')).toBe(false);
  });

  it.each<[string, (url: URL) => Promise<string>, RegExp]>([
    [
      'a wrong password',
      async (url) => {
        url.password = 'not-the-password';
        return url.toString();
      },
      /^cannot use the ledger postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/\w+: password authentication failed for the role "postgres"; check the password in IBKR_DATABASE_URL \(or the file IBKR_DATABASE_URL_FILE names\)$/,
    ],
    [
      'a missing database',
      async (url) => {
        url.pathname = '/no_such_ledger';
        return url.toString();
      },
      /^cannot use the ledger postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/no_such_ledger: the database "no_such_ledger" does not exist; create it \(CREATE DATABASE "no_such_ledger" OWNER "postgres"\) or fix the database name in IBKR_DATABASE_URL$/,
    ],
    [
      'a read-only role',
      async (url) => {
        const database = url.pathname.slice(1);
        await cluster.query(
          `CREATE ROLE grafana_ro LOGIN PASSWORD 'ro-secret'; GRANT CONNECT ON DATABASE "${database}" TO grafana_ro`,
        );
        await cluster.query('GRANT SELECT ON ALL TABLES IN SCHEMA public TO grafana_ro', database);
        url.username = 'grafana_ro';
        url.password = 'ro-secret';
        return url.toString();
      },
      /^cannot use the ledger postgres:\/\/grafana_ro:\*\*\*@127\.0\.0\.1:\d+\/\w+: the role "grafana_ro" may not write the ledger \(permission denied\); connect as the role that owns the ledger tables, or grant this one INSERT, UPDATE and DELETE on them \(read-only roles are for Grafana\)$/,
    ],
    [
      'a schema from the future',
      async (url) => {
        await cluster.query(
          "INSERT INTO ibkr_schema_migrations (version, name) VALUES (999, '999_future.sql')",
          url.pathname.slice(1),
        );
        return url.toString();
      },
      /^cannot use the ledger postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/\w+: its schema is version 999, newer than this build knows \(\d+\); run the exporter version that wrote it, or newer; a ledger is never migrated backwards$/,
    ],
  ])('refuses to start on %s, naming the database by its redacted URL', async (_name, spoil, message) => {
    const good = await cluster.createDatabase();
    // A migrated ledger first, as an operator would have.
    const sim = rig.track(await startSim('basic'));
    await (await exporterOn(sim, good, { IBKR_AUTO_SYNC: 'false' })).stop();
    const url = await spoil(new URL(good));
    const started = startTestExporter(
      testConfig(sim.port, `${rig.dir}/refused.db`, { IBKR_DATABASE_URL: url }),
    );
    const error = await started.then(
      (exporter) => {
        rig.track(exporter);
        throw new Error('expected a refusal');
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PostgresRefusal);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain(new URL(url).password || '\u0000');
  });
});
