// The exporter's environment for a run against a local simulator, and temporary directories.
// Shared by the test suites and the benchmarks (bench/), so both start the exporter the same
// way; free of vitest so the benchmarks can import it outside a test runner.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDir {
  readonly path: string;
  /** A path inside the directory. */
  file(name: string): string;
  cleanup(): void;
}

/** A fresh directory under the system's temporary directory; `cleanup` removes it. */
export function tempDir(prefix = 'exporter-test'): TempDir {
  const path = mkdtempSync(join(tmpdir(), `ibkr-${prefix}-`));
  return {
    path,
    file: (name) => join(path, name),
    cleanup: () => rmSync(path, { recursive: true, force: true }),
  };
}

/**
 * IBKR_* variables for an exporter against the simulator on `simPort`: HTTP on a free port of
 * 127.0.0.1, quick reconnects, no logs. `extra` adds to or overrides them.
 */
export function exporterEnv(
  simPort: number,
  dbPath: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    IBKR_HOST: '127.0.0.1',
    IBKR_PORT: String(simPort),
    IBKR_DB_PATH: dbPath,
    IBKR_HTTP_HOST: '127.0.0.1',
    IBKR_HTTP_PORT: '0',
    IBKR_RECONNECT_MIN_DELAY: '0.1',
    IBKR_RECONNECT_MAX_DELAY: '1',
    IBKR_LOG_LEVEL: 'silent',
    ...extra,
  };
}
