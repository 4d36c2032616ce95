// The benchmarks' PostgreSQL: a throwaway cluster (the test suites' own, postgres-cluster.ts) with
// fsync back on and synchronous_commit off, so that its durability matches SQLite's WAL mode at
// synchronous=NORMAL, which the SQLite rows run with. Without the server binaries the PostgreSQL
// rows are skipped with the reason, and the SQLite rows still run.
import { SKIP_MESSAGE, findPostgresBin, startPostgres } from '../exporter/test/support/postgres-cluster.js';
import type { PostgresCluster } from '../exporter/test/support/postgres-cluster.js';

export interface BenchPostgres {
  cluster?: PostgresCluster;
  /** Why there is no cluster. */
  skipped?: string;
}

export async function benchPostgres(): Promise<BenchPostgres> {
  if (findPostgresBin() === undefined) return { skipped: SKIP_MESSAGE };
  const cluster = await startPostgres({
    settings: ['fsync=on', 'full_page_writes=on', 'synchronous_commit=off', 'shared_buffers=128MB'],
  });
  return { cluster };
}
