// The VNC sidecar script with a stub x11vnc: the password file it is given, under our name and
// the other image's names, and its refusals.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Env, Run } from '../exporter/test/support/gateway-scripts.js';
import {
  has,
  lines,
  read,
  startScript,
  stopRuns,
  waitFor,
} from '../exporter/test/support/gateway-scripts.js';

const runs: Run[] = [];
afterEach(() => stopRuns(runs));

/** Runs vnc.sh with the gateway's display already up and a password file `vnc-password`. */
function start(env: (dir: string) => Env): Run {
  return startScript('vnc.sh', runs, (dir) => {
    writeFileSync(join(dir, 'X1'), '');
    writeFileSync(join(dir, 'vnc-password'), 'from-a-file\n');
    return env(dir);
  });
}
const x11vncRan = (run: Run) => waitFor(() => has(run, 'x11vnc-password'));

describe('ib-gateway VNC sidecar', () => {
  it.each(['VNC_PASSWORD_FILE', 'VNC_SERVER_PASSWORD_FILE'])(
    'passes the file of %s to x11vnc',
    async (name) => {
      const run = start((dir) => ({ [name]: join(dir, 'vnc-password') }));
      await x11vncRan(run);
      expect(read(run, 'x11vnc-password')).toBe('from-a-file\n');
      const args = lines(run, 'x11vnc-args');
      expect(args).toContain('-localhost');
      expect(args[args.indexOf('-passwdfile') + 1]).toBe(join(run.dir, 'vnc-password'));
    },
  );

  it('writes VNC_SERVER_PASSWORD to a file of its own, never onto the command line', async () => {
    const run = start(() => ({ VNC_SERVER_PASSWORD: 'typed-in' }));
    await x11vncRan(run);
    expect(read(run, 'x11vnc-password')).toBe('typed-in\n');
    expect(read(run, 'x11vnc-args')).not.toContain('typed-in');
  });

  it.each([
    [() => ({}), 'VNC_PASSWORD_FILE (or VNC_SERVER_PASSWORD) must name a readable file'],
    [
      (dir: string) => ({
        VNC_PASSWORD_FILE: join(dir, 'vnc-password'),
        VNC_SERVER_PASSWORD_FILE: join(dir, 'other'),
      }),
      'and its alias VNC_SERVER_PASSWORD_FILE=',
    ],
    [
      (dir: string) => ({ VNC_PASSWORD_FILE: join(dir, 'vnc-password'), VNC_SERVER_PASSWORD: 'typed-in' }),
      'set VNC_PASSWORD_FILE (or VNC_SERVER_PASSWORD_FILE) or VNC_SERVER_PASSWORD, not both',
    ],
  ])('refuses to start without exactly one password (%#)', async (env, message) => {
    const run = start(env);
    expect(await run.exit).toBe(64);
    expect(run.output()).toContain(message);
    expect(run.output()).not.toContain('typed-in');
    expect(has(run, 'x11vnc-args')).toBe(false);
  });
});
