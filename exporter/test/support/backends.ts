// The two ledger backends behind one test interface, so the contract suites run unchanged on
// each: SQLite in a fresh temporary file, PostgreSQL in a fresh database of a throwaway cluster.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { redactUrl } from '../../src/config/database-url.js';
import type { OrderScope } from '../../src/store/postgres-order-store.js';
import { PostgresStore } from '../../src/store/postgres-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { findPostgresBin, startPostgres } from './postgres.js';
import type { PostgresCluster } from './postgres.js';

export type Row = Record<string, unknown>;

/** One ledger: a place that survives reopening, and raw SQL for assertions about its tables. */
export interface Ledger {
  open(): Promise<Store>;
  /** Plain SQL against the ledger's tables, outside the store. */
  sql(query: string): Promise<Row[]>;
  /** For PostgreSQL: the URL; for SQLite: the file. */
  readonly location: string;
  cleanup(): Promise<void>;
}

export interface Backend {
  name: 'sqlite' | 'postgres';
  /** Per test file (beforeAll); PostgreSQL starts its cluster here. */
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** A fresh, empty ledger. */
  ledger(): Promise<Ledger>;
}

export function sqliteBackend(): Backend {
  return {
    name: 'sqlite',
    setup: async () => undefined,
    teardown: async () => undefined,
    async ledger() {
      const dir = mkdtempSync(join(tmpdir(), 'ledger-test-'));
      const path = join(dir, 'ledger.db');
      const opened: SqliteStore[] = [];
      return {
        location: path,
        async open() {
          const store = new SqliteStore({ path });
          opened.push(store);
          return store;
        },
        async sql(query) {
          const db = new Database(path, { readonly: true });
          try {
            return db.prepare(query).all() as Row[];
          } finally {
            db.close();
          }
        },
        async cleanup() {
          for (const store of opened) store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
}

/** Opens a PostgresStore; its orders are those of `orderScope`'s accounts (all when absent). */
export function openPostgresStore(url: string, orderScope?: OrderScope): PostgresStore {
  return new PostgresStore({ url, redacted: redactUrl(url), orderScope });
}

export function postgresBackend(): Backend {
  let cluster: PostgresCluster | undefined;
  return {
    name: 'postgres',
    async setup() {
      cluster = await startPostgres();
    },
    async teardown() {
      await cluster?.destroy();
    },
    async ledger() {
      if (!cluster) throw new Error('postgresBackend().setup() was not called');
      const c = cluster;
      const url = await c.createDatabase();
      const database = new URL(url).pathname.slice(1);
      const opened: PostgresStore[] = [];
      return {
        location: url,
        async open() {
          const store = openPostgresStore(url);
          await store.open();
          opened.push(store);
          return store;
        },
        async sql(query) {
          return (await c.query(query, database)).rows as Row[];
        },
        async cleanup() {
          for (const store of opened) await store.close();
        },
      };
    },
  };
}

/** Both backends; PostgreSQL only where its binaries exist (describePostgres decides skip or fail). */
export function backends(): Backend[] {
  return [sqliteBackend(), postgresBackend()];
}

export { findPostgresBin };
