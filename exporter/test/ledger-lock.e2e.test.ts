// One exporter per ledger file, as real processes: the second is refused naming the first, and a
// SIGKILLed holder leaves no lock behind that would block the next start.
import { hostname } from 'node:os';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ExporterProcess } from './support/exporter-process.js';
import { spawnExporter } from './support/exporter-process.js';
import { startSim, tempDir } from './support/exporter.js';

describe('one exporter per ledger file', () => {
  const dir = tempDir();
  const children: ExporterProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) if (c.process.exitCode === null) c.process.kill('SIGKILL');
  });
  afterAll(() => dir.cleanup());

  it('refuses a second exporter on the same file, naming the first; after a SIGKILL the next one starts', async () => {
    const sim = await startSim('basic');
    const db = `${dir.path}/shared.db`;
    const start = () => {
      const child = spawnExporter({ IBKR_DB_PATH: db, IBKR_PORT: String(sim.port) });
      children.push(child);
      return child;
    };
    try {
      const first = start();
      const firstUrl = await first.url;
      await sim.waitForRequest('reqPositions');

      const second = start();
      expect((await second.exited).code).toBe(3);
      expect(second.stderr()).toMatch(
        new RegExp(
          `^ibkr-pnl-exporter: cannot use the ledger ${db}: it is in use by another exporter \\(pid ${first.process.pid} on host ${hostname()}, started \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\); stop that one first, or give each exporter its own IBKR_DB_PATH\\n$`,
        ),
      );
      expect(sim.requests.filter((r) => r.name === 'startApi')).toHaveLength(1); // only the first's
      expect((await fetch(`${firstUrl}/readyz`)).status).toBe(200);

      first.process.kill('SIGKILL');
      expect((await first.exited).signal).toBe('SIGKILL');
      const third = start();
      const thirdUrl = await third.url;
      expect((await fetch(`${thirdUrl}/readyz`)).status).toBe(200);
      third.process.kill('SIGTERM');
      expect((await third.exited).code).toBe(0);
    } finally {
      await sim.stop();
    }
  }, 60_000);
});
