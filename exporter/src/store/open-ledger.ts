// Opens the configured ledger and restores what memory starts from. SQLite: the file, everything
// in it, before the gateway is asked anything. PostgreSQL: connect and migrate; the accounts'
// state is read once the gateway names them (several exporters may share the database). An
// unreachable PostgreSQL is an outage, not a refusal: the exporter starts, reports it, and the
// sync path probes again before every re-sync.
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { Health } from '../domain/health.js';
import { Portfolio } from '../domain/portfolio.js';
import { isOutage } from './postgres-errors.js';
import { PostgresStore } from './postgres-store.js';
import { SqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

export interface OpenedLedger {
  store: Store;
  portfolio: Portfolio;
  health: Health;
}

export async function openLedger(config: Config, logger: Logger, now: number): Promise<OpenedLedger> {
  if (config.database === undefined) {
    const store = new SqliteStore({ path: config.dbPath });
    const persisted = store.load();
    const health = new Health(now, persisted.streamUpdates);
    health.storeSchemaVersion = store.schemaVersion();
    logger.info(
      {
        db: config.dbPath,
        positions: persisted.positions.length,
        accounts: persisted.executionCounts.length,
      },
      'restored state from the database',
    );
    return { store, portfolio: new Portfolio(persisted), health };
  }

  const { url, redacted } = config.database;
  const health = new Health(now);
  const store = new PostgresStore({
    url,
    redacted,
    // Orders are the gateway's accounts' (several exporters share the database); without a
    // gateway to name them, every stored order is shown.
    orderScope: config.ib.autoSync ? () => health.accounts : () => undefined,
  });
  const portfolio = new Portfolio();
  try {
    await store.open();
    health.storeSchemaVersion = store.schemaVersion();
    logger.info(
      { database: redacted, schemaVersion: store.schemaVersion() },
      'connected to the ledger database',
    );
    // Not syncing: no gateway will name the accounts, so serve everything stored.
    if (!config.ib.autoSync) portfolio.seed(await store.load());
  } catch (error) {
    // A refusal (wrong password, no such database, read-only role, newer schema) stops the start.
    if (!isOutage(error)) {
      await store.close();
      throw error;
    }
    health.storeUp = false;
    health.storeError = error instanceof Error ? error.message : String(error);
    logger.error(
      { database: redacted, error: health.storeError },
      'ledger database unreachable: serving /metrics from memory, retrying before every gateway re-sync',
    );
  }
  return { store, portfolio, health };
}
