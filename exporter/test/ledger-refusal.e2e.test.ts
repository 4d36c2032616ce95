// An unusable ledger, as an operator meets one: the exporter process refuses it before it connects
// to the gateway, with one line naming the file, what is wrong and what to do, exit code 3, and
// the file's bytes untouched. Root ignores file modes, so the permission cases run as nobody
// (setpriv); the read-only mount is a read-only bind mount in a private mount namespace (unshare).
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdirSync,
  readFileSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewaySimulator } from '../src/sim/server.js';
import { canSpawnExporter, spawnExporter } from './support/exporter-process.js';
import { BASIC, startSim, startTestExporter, tempDir, testConfig, waitSynced } from './support/exporter.js';

const NOBODY = 65534;
const AS_NOBODY = ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--'];
/** Runs the rest of argv with `dir` bind-mounted read-only onto itself, visible to that process only. */
const readOnlyMount = (dir: string) => [
  'unshare',
  '--mount',
  '--propagation',
  'private',
  'sh',
  '-c',
  'mount --bind -o ro "$1" "$1" && shift && exec "$@"',
  'sh',
  dir,
];
const works = (argv: string[]) => spawnSync(argv[0]!, [...argv.slice(1), 'true']).status === 0;

const fingerprint = (file: string) => {
  const stats = statSync(file);
  return {
    sha256: createHash('sha256').update(readFileSync(file)).digest('hex'),
    size: stats.size,
    inode: stats.ino,
    mode: stats.mode,
  };
};

describe('the exporter refuses an unusable ledger by name', () => {
  const dir = tempDir();
  // nobody must also be able to read the checkout; a clone under a 0700 directory skips these.
  const canSwitchUser = works(AS_NOBODY) && canSpawnExporter(AS_NOBODY);
  if (!canSwitchUser)
    console.info(
      'skipping the cases run as nobody: setpriv fails or the checkout is not readable by uid 65534',
    );
  const canMount = works(readOnlyMount(dir.path));
  let sim: GatewaySimulator;
  let connections = 0;
  let real: string;

  beforeAll(async () => {
    chmodSync(dir.path, 0o755); // mkdtemp makes it 0700: nobody could not even look inside
    sim = await startSim('basic');
    // A real ledger: what the exporter wrote while synced with the simulator, closed cleanly.
    real = `${dir.path}/real.db`;
    const exporter = await startTestExporter(testConfig(sim.port, real));
    await waitSynced(exporter, BASIC);
    await exporter.stop();
    sim.on('client', (e) => {
      if (e.event === 'connected') connections += 1;
    });
  });

  afterAll(async () => {
    await sim?.stop();
    dir.cleanup();
  });

  /** A fresh directory for one case, owned by `uid`, with the ledger path inside it. */
  function place(name: string, uid = 0): string {
    const caseDir = `${dir.path}/${name}`;
    mkdirSync(caseDir, { mode: 0o755 });
    chownSync(caseDir, uid, uid);
    return `${caseDir}/ibkr.db`;
  }

  async function refused(db: string, wrapper: string[] = []) {
    const before = fingerprint(db);
    const started = Date.now();
    const child = spawnExporter({ IBKR_DB_PATH: db, IBKR_PORT: String(sim.port) }, wrapper);
    const { code } = await child.exited;
    console.info(`${db}: exit ${code} after ${Date.now() - started} ms`);
    expect(fingerprint(db)).toEqual(before);
    expect(connections).toBe(0); // refused before it ever connected to the gateway
    return { code, stderr: child.stderr(), stdout: child.stdout() };
  }

  const line = (db: string, why: string) => `ibkr-pnl-exporter: cannot use the ledger ${db}: ${why}\n`;

  it('64 KiB of random bytes: not an SQLite database', async () => {
    const db = place('random');
    writeFileSync(db, randomBytes(64 * 1024));
    expect(await refused(db)).toEqual({
      code: 3,
      stdout: '',
      stderr: line(
        db,
        "it is not an SQLite database (it does not start with the SQLite header); point IBKR_DB_PATH at the exporter's ledger, or move this file away to start a new, empty ledger",
      ),
    });
  });

  it('a real ledger truncated to half: damaged', async () => {
    const db = place('truncated');
    copyFileSync(real, db);
    truncateSync(db, Math.floor(statSync(db).size / 2));
    expect(await refused(db)).toEqual({
      code: 3,
      stdout: '',
      stderr: line(
        db,
        "it is damaged (SQLite: database disk image is malformed); restore it from a backup, or move it away to start a new, empty ledger (the gateway resends only today's executions)",
      ),
    });
  });

  it('a directory: not a file', async () => {
    const db = place('directory');
    mkdirSync(db);
    const child = spawnExporter({ IBKR_DB_PATH: db, IBKR_PORT: String(sim.port) });
    expect((await child.exited).code).toBe(3);
    expect(child.stderr()).toBe(
      line(db, `it is a directory, not a file; set IBKR_DB_PATH to a file path such as ${db}/ibkr.db`),
    );
    expect(statSync(db).isDirectory()).toBe(true);
    expect(connections).toBe(0);
  });

  it.skipIf(!canMount)(
    'a real ledger on a read-only mount (skipped where mount namespaces are not allowed)',
    async () => {
      const db = place('read-only-mount');
      copyFileSync(real, db);
      expect(await refused(db, readOnlyMount(`${dir.path}/read-only-mount`))).toEqual({
        code: 3,
        stdout: '',
        stderr: line(
          db,
          'it is on a read-only filesystem; mount it read-write or set IBKR_DB_PATH to a writable place',
        ),
      });
    },
  );

  it.skipIf(!canSwitchUser)('a real ledger with mode 0444, the exporter not root', async () => {
    const db = place('mode-0444', NOBODY);
    copyFileSync(real, db);
    chownSync(db, NOBODY, NOBODY);
    chmodSync(db, 0o444);
    expect(await refused(db, AS_NOBODY)).toEqual({
      code: 3,
      stdout: '',
      stderr: line(
        db,
        `it is read-only (mode 0444, owner ${NOBODY}); make it writable by uid ${NOBODY} or set IBKR_DB_PATH`,
      ),
    });
  });

  it.skipIf(!canSwitchUser)('a writable ledger in a directory the exporter cannot write', async () => {
    const db = place('directory-read-only');
    copyFileSync(real, db);
    chownSync(db, NOBODY, NOBODY);
    expect(await refused(db, AS_NOBODY)).toEqual({
      code: 3,
      stdout: '',
      stderr: line(
        db,
        `its directory ${dir.path}/directory-read-only is not writable by uid ${NOBODY} (mode 0755, owner 0), and SQLite keeps ibkr.db-wal and ibkr.db-shm beside it; make the directory writable by uid ${NOBODY} or set IBKR_DB_PATH`,
      ),
    });
  });

  it('a ledger from a newer version of the exporter: refused naming both versions, never migrated back', async () => {
    const db = place('future');
    copyFileSync(real, db);
    const future = new Database(db);
    const known = future.pragma('user_version', { simple: true }) as number;
    future.pragma(`user_version = ${known + 1}`);
    future.close();
    expect(await refused(db)).toEqual({
      code: 3,
      stdout: '',
      stderr: line(
        db,
        `it was written by a newer version of the exporter (schema version ${known + 1}; this build knows versions up to ${known}); run that version or a newer one, or restore a backup from before the upgrade (a ledger is never migrated backwards)`,
      ),
    });
  });
});
