import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore } from './sqlite-store.js';
import { loadMigrations } from './migrate.js';

describe('SqliteStore', () => {
  let dir: string;
  let store: SqliteStore;
  const path = () => join(dir, 'ledger.db');

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'store-test-'));
    store = new SqliteStore({ path: path() });
  });

  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('uses WAL and records the schema version', () => {
    store.close();
    const db = new Database(path(), { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(loadMigrations().at(-1)?.version);
    db.close();
    store = new SqliteStore({ path: path() });
  });
});
