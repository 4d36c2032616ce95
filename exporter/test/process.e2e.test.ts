// The two commands a user runs, as real processes: `npm start` refusing a bad environment, and
// `npm run demo` serving PnL and stopping cleanly on Ctrl-C. Both run the compiled dist/.
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from './support/exporter.js';
import { expectDemoServesAndStops, runNpm } from './support/npm-process.js';
import type { NpmProcess } from './support/npm-process.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('processes', () => {
  const dir = tempDir();
  let proc: NpmProcess | undefined;

  afterEach(() => {
    proc?.kill();
    proc = undefined;
  });

  it('npm start refuses an invalid environment with exit code 2, naming every bad variable', async () => {
    proc = runNpm(
      'start',
      { IBKR_PORT: 'seventy', IBKR_READONLY: 'perhaps', IBKR_DB_PATH: `${dir.path}/x.db` },
      ROOT,
    );
    const [code] = (await once(proc.child, 'exit')) as [number];
    expect(code).toBe(2);
    expect(proc.err()).toBe(
      'ibkr-pnl-exporter: invalid configuration:\n' +
        '  IBKR_PORT: must be an integer from 1 to 65535 (got "seventy")\n' +
        '  IBKR_READONLY: must be one of true/false/1/0/yes/no (got "perhaps")\n',
    );
  });

  it('npm run demo serves PnL metrics within seconds and stops cleanly on Ctrl-C', async () => {
    proc = runNpm(
      'demo',
      { IBKR_HTTP_PORT: '0', IBKR_HTTP_HOST: '127.0.0.1', IBKR_DB_PATH: `${dir.path}/demo.db` },
      ROOT,
    );
    await expectDemoServesAndStops(proc);
  });
});
