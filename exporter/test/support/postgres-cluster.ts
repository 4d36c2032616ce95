// A throwaway PostgreSQL cluster for one test file or benchmark: initdb in a fresh temporary directory, a
// server on a free 127.0.0.1 port with its unix socket in that directory, one database per test,
// everything stopped and removed at teardown. No vitest here: bench/ starts one too. The server refuses to run as root, so as root the
// cluster belongs to the `postgres` user and every binary runs through runuser.
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** What a developer installs to run these suites; named in the skip message. */
export const POSTGRES_PACKAGE = 'postgresql-15';
const MIN_MAJOR = 13;

/** The directory of pg_ctl/initdb: PG_BIN, or the newest /usr/lib/postgresql/<major>/bin (Debian). */
export function findPostgresBin(): string | undefined {
  const fromEnv = process.env.PG_BIN;
  if (fromEnv !== undefined && fromEnv !== '')
    return existsSync(join(fromEnv, 'pg_ctl')) ? fromEnv : undefined;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root)
    .map(Number)
    .filter((major) => Number.isInteger(major) && major >= MIN_MAJOR)
    .sort((a, b) => b - a);
  return majors
    .map((major) => join(root, String(major), 'bin'))
    .find((bin) => existsSync(join(bin, 'pg_ctl')));
}

/** Why the PostgreSQL suites and benchmark rows cannot run here, and what to install. */
export const SKIP_MESSAGE = `PostgreSQL server binaries not found: install the Debian package ${POSTGRES_PACKAGE} (or set PG_BIN to the directory holding pg_ctl) to run the PostgreSQL suites`;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export interface PostgresCluster {
  readonly port: number;
  /** The superuser's password; the role is `postgres`. */
  readonly password: string;
  /** A URL for a database on this cluster, with the superuser's credentials unless given others. */
  url(database: string, user?: { name: string; password: string }): string;
  /** Creates a fresh, uniquely named database and returns its URL. */
  createDatabase(prefix?: string): Promise<string>;
  /** Runs SQL as the superuser in `database` (default `postgres`). */
  query(sql: string, database?: string): Promise<pg.QueryResult>;
  /** Stops the server (fast shutdown: connections are cut), keeping the data. */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  readonly running: boolean;
  /** Stops the server and removes every file. */
  destroy(): Promise<void>;
}

export interface PostgresOptions {
  /**
   * Server settings (`name=value`) over the test defaults. Tests turn off fsync (throwaway data);
   * the benchmark turns it back on, with synchronous_commit off, to compare with SQLite's WAL
   * mode at synchronous=NORMAL (survives a process crash, may lose the last commits to an OS crash).
   */
  settings?: string[];
}

/** Starts a fresh cluster. Call once per test file (beforeAll) and destroy() it in afterAll. */
export async function startPostgres(config: PostgresOptions = {}): Promise<PostgresCluster> {
  const bin = findPostgresBin();
  if (bin === undefined) throw new Error(SKIP_MESSAGE);
  const asRoot = userInfo().uid === 0;
  const owner = asRoot ? lookupPostgresUser() : undefined;

  const root = mkdtempSync(join(tmpdir(), 'ibkr-pg-'));
  const data = join(root, 'data');
  const socketDir = join(root, 'sock');
  const pwfile = join(root, 'pwfile');
  const log = join(root, 'server.log');
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  mkdirSync(data, { mode: 0o700 });
  mkdirSync(socketDir, { mode: 0o700 });
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  writeFileSync(log, '');
  if (owner !== undefined) {
    // mkdtemp makes the directory 0700 root: the postgres user must be able to enter it.
    chmodSync(root, 0o755);
    for (const path of [data, socketDir, pwfile, log]) chownSync(path, owner.uid, owner.gid);
  }

  const exec = async (tool: string, args: string[]): Promise<void> => {
    const [file, argv] = asRoot
      ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]]
      : [join(bin, tool), args];
    try {
      await run(file, argv, { cwd: root, timeout: 60_000 });
    } catch (error) {
      const detail = (error as { stderr?: string }).stderr ?? '';
      throw new Error(`${tool} ${args[0] ?? ''} failed: ${detail.trim()}`, { cause: error });
    }
  };

  // Local socket: trust (the harness is the superuser); TCP: passwords, as a real deployment.
  await exec('initdb', [
    '-D',
    data,
    '-U',
    'postgres',
    `--pwfile=${pwfile}`,
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    '--encoding=UTF8',
    '--locale=C',
    '--no-sync',
  ]);

  let port = 0;
  let running = false;
  const options = () =>
    [
      `-p ${port}`,
      `-k ${socketDir}`,
      "-c listen_addresses='127.0.0.1'",
      // Throwaway data: skip the disk flushes, which dominate a test's run time.
      '-c fsync=off',
      '-c full_page_writes=off',
      '-c shared_buffers=16MB',
      '-c max_connections=60',
      ...(config.settings ?? []).map((setting) => `-c ${setting}`),
    ].join(' ');
  const pgCtl = (args: string[]) => exec('pg_ctl', ['-D', data, ...args]);
  const start = async (): Promise<void> => {
    await pgCtl(['-w', '-t', '60', '-l', log, '-o', options(), 'start']);
    running = true;
  };

  // The probed port can be taken between the probe and the bind by another suite: retry.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await start();
      break;
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }

  // A crashed test process must not leave a server behind.
  const killOnExit = () => {
    if (!running) return;
    const pgCtlPath = join(bin, 'pg_ctl');
    const args = ['-D', data, '-m', 'immediate', 'stop'];
    if (asRoot) spawnSync('runuser', ['-u', 'postgres', '--', pgCtlPath, ...args]);
    else spawnSync(pgCtlPath, args);
  };
  process.once('exit', killOnExit);

  const url = (database: string, user = { name: 'postgres', password }) =>
    `postgres://${encodeURIComponent(user.name)}:${encodeURIComponent(user.password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;

  const query = async (sql: string, database = 'postgres'): Promise<pg.QueryResult> => {
    const client = new pg.Client({ connectionString: url(database) });
    await client.connect();
    try {
      return await client.query(sql);
    } finally {
      await client.end();
    }
  };

  let counter = 0;
  const major = Number((await query('SHOW server_version_num')).rows[0].server_version_num) / 10_000;
  return {
    get port() {
      return port;
    },
    password,
    url,
    query,
    async createDatabase(prefix = 'ledger') {
      const name = `${prefix}_${process.pid}_${++counter}`;
      // FILE_COPY (15+): with fsync off, copying the tiny template beats WAL-logging it (the default).
      await query(`CREATE DATABASE "${name}"${major >= 15 ? ' STRATEGY FILE_COPY' : ''}`);
      return url(name);
    },
    async stop() {
      await pgCtl(['-w', '-m', 'fast', 'stop']);
      running = false;
    },
    start,
    get running() {
      return running;
    },
    async destroy() {
      process.removeListener('exit', killOnExit);
      if (running) await pgCtl(['-w', '-m', 'immediate', 'stop']);
      running = false;
      rmSync(root, { recursive: true, force: true });
    },
  };
}

function lookupPostgresUser(): { uid: number; gid: number } {
  const result = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (result.status !== 0 || gid.status !== 0) {
    throw new Error('running as root, but there is no `postgres` user to own the test cluster');
  }
  return { uid: Number(result.stdout.trim()), gid: Number(gid.stdout.trim()) };
}
