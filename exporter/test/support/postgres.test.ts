import { existsSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describePostgres, startPostgres } from './postgres.js';
import type { PostgresCluster } from './postgres.js';

describePostgres('the throwaway PostgreSQL cluster', () => {
  let cluster: PostgresCluster;
  beforeAll(async () => {
    cluster = await startPostgres();
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('serves a fresh database per call over TCP with a password', async () => {
    const first = await cluster.createDatabase();
    const second = await cluster.createDatabase();
    expect(first).not.toBe(second);
    const client = new pg.Client({ connectionString: first });
    await client.connect();
    try {
      const { rows } = await client.query<{ db: string; fsync: string }>(
        "SELECT current_database() AS db, current_setting('fsync') AS fsync",
      );
      expect(rows[0]).toEqual({ db: new URL(first).pathname.slice(1), fsync: 'off' });
    } finally {
      await client.end();
    }
  });

  it('refuses a wrong password', async () => {
    const client = new pg.Client({
      connectionString: cluster.url('postgres', { name: 'postgres', password: 'wrong' }),
    });
    await expect(client.connect()).rejects.toThrow(/password authentication failed/);
  });

  it('stops and starts again on the same port with its data', async () => {
    const url = await cluster.createDatabase();
    const name = new URL(url).pathname.slice(1);
    await cluster.query('CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)', name);
    await cluster.stop();
    expect(cluster.running).toBe(false);
    await expect(cluster.query('SELECT 1')).rejects.toThrow(/ECONNREFUSED/);
    await cluster.start();
    const { rows } = await cluster.query('SELECT n FROM kept', name);
    expect(rows).toEqual([{ n: 42 }]);
  });
});

describePostgres('cluster teardown', () => {
  it('removes every file and leaves no server behind', async () => {
    const cluster = await startPostgres();
    const url = cluster.url('postgres');
    await cluster.query('SELECT 1');
    const dataDir = (await cluster.query("SELECT current_setting('data_directory') AS d")).rows[0]
      .d as string;
    await cluster.destroy();
    expect(existsSync(dataDir)).toBe(false);
    const client = new pg.Client({ connectionString: url });
    await expect(client.connect()).rejects.toThrow(/ECONNREFUSED/);
  });
});
