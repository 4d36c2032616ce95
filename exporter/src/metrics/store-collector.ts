// ibkr_store_up and ibkr_store_schema_version, read from Health at scrape time: whether the
// ledger database answers (PostgreSQL can be unreachable while /metrics keeps serving memory),
// and which schema it is at.
import type { Registry } from 'prom-client';
import type { Health } from '../domain/health.js';
import type { Collector } from './collector.js';
import { gauge } from './collector.js';

export function storeCollector(
  registry: Registry,
  health: Health,
  backend: 'sqlite' | 'postgres',
): Collector {
  const up = gauge(
    registry,
    'ibkr_store_up',
    'Whether the ledger database answers (1) or not (0): 0 from a failed write, or an unreachable PostgreSQL, until a probe succeeds; /metrics serves the last known state meanwhile.',
    [],
  );
  const version = gauge(
    registry,
    'ibkr_store_schema_version',
    'Schema version of the ledger database (its newest applied migration), by backend (sqlite, postgres); absent until the database was reached.',
    ['backend'],
  );
  return {
    name: 'store',
    update() {
      up.reset();
      version.reset();
      up.set(health.storeUp ? 1 : 0);
      if (health.storeSchemaVersion !== undefined) version.set({ backend }, health.storeSchemaVersion);
    },
  };
}
