// `describe` for the PostgreSQL suites, and the throwaway cluster they start (postgres-cluster.ts,
// which has no vitest in it, so that bench/ can start one too).
import { describe } from 'vitest';
import { SKIP_MESSAGE, findPostgresBin } from './postgres-cluster.js';

export { POSTGRES_PACKAGE, findPostgresBin, startPostgres } from './postgres-cluster.js';
export type { PostgresCluster, PostgresOptions } from './postgres-cluster.js';

/**
 * `describe` for suites that need a real server. Without the binaries a developer gets one skip
 * message naming the package; in CI (`CI` set by .ci/run) a missing server fails instead, so the
 * suites can never silently stop running.
 */
export function describePostgres(name: string, body: () => void): void {
  if (findPostgresBin() !== undefined) {
    describe(name, body);
    return;
  }
  if (process.env.CI !== undefined && process.env.CI !== '') {
    throw new Error(`${SKIP_MESSAGE} (CI must run them)`);
  }
  warnOnce();
  describe.skip(`${name} [skipped: ${SKIP_MESSAGE}]`, body);
}

let warned = false;
function warnOnce(): void {
  if (warned) return;
  warned = true;
  process.stderr.write(`${SKIP_MESSAGE}\n`);
}
