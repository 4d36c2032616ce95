// PostgreSQL migrations: numbered files in postgres-migrations/, numbered like SQLite's, all the
// pending ones applied at start in one transaction under an advisory lock, so two exporters
// starting at once never both migrate, and a failure leaves the previous schema intact.
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { loadMigrations } from './migrate.js';
import type { Migration } from './migrate.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('./postgres-migrations/', import.meta.url));
/** pg_advisory_xact_lock key of the migration transaction ('ibkr' in ASCII). */
const MIGRATION_LOCK = 0x69626b72;

export const VERSIONS_TABLE = 'ibkr_schema_migrations';

export function loadPostgresMigrations(): Migration[] {
  return loadMigrations(MIGRATIONS_DIR);
}

/** The ledger's schema is newer than this build: never migrate backwards. */
export class NewerSchemaError extends Error {
  constructor(
    readonly found: number,
    readonly known: number,
  ) {
    super(`schema version ${found} is newer than this build knows (${known})`);
  }
}

/** The schema version of the database; 0 for a fresh one. Throws NewerSchemaError. */
export async function migratePostgres(
  client: pg.ClientBase,
  migrations = loadPostgresMigrations(),
): Promise<{ version: number; applied: number[] }> {
  const known = migrations.at(-1)?.version ?? 0;
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    // Checked before CREATE: a role without CREATE on the schema can still run a migrated ledger.
    const exists = await client.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [VERSIONS_TABLE]);
    if (exists.rows[0]?.t === null) {
      await client.query(`CREATE TABLE ${VERSIONS_TABLE} (
        version    INTEGER PRIMARY KEY,
        name       TEXT NOT NULL,
        applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    }
    const current = await client.query<{ v: number }>(
      `SELECT coalesce(max(version), 0)::int AS v FROM ${VERSIONS_TABLE}`,
    );
    const version = current.rows[0]?.v ?? 0;
    if (version > known) throw new NewerSchemaError(version, known);
    const applied: number[] = [];
    for (const migration of migrations) {
      if (migration.version <= version) continue;
      await client.query(migration.sql);
      await client.query(`INSERT INTO ${VERSIONS_TABLE} (version, name) VALUES ($1, $2)`, [
        migration.version,
        migration.name,
      ]);
      applied.push(migration.version);
    }
    await client.query('COMMIT');
    return { version: Math.max(version, ...applied), applied };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
