// command-server.sh as the gnzsnz/ib-gateway image runs it (bash, IBC_INI_TMPL in the
// environment), on a template with that image's command-server lines.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const SCRIPT = join(import.meta.dirname, 'command-server.sh');
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function run(template: string, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'command-server-'));
  dirs.push(dir);
  const file = join(dir, 'config.ini.tmpl');
  writeFileSync(file, template);
  const result = spawnSync('bash', [SCRIPT], {
    env: { PATH: process.env.PATH ?? '', IBC_INI_TMPL: file, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { ...result, template: readFileSync(file, 'utf8') };
}

const TEMPLATE = 'IbLoginId=${TWS_USERID}\nCommandServerPort=0\nControlFrom=\nBindAddress=\nCommandPrompt=\n';

describe('command-server.sh', () => {
  it('turns the command server on, on 127.0.0.1, and touches nothing else', () => {
    const result = run(TEMPLATE);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.template).toBe(
      'IbLoginId=${TWS_USERID}\nCommandServerPort=7462\nControlFrom=\nBindAddress=127.0.0.1\nCommandPrompt=\n',
    );
  });

  it('uses IBC_COMMAND_PORT', () => {
    expect(run(TEMPLATE, { IBC_COMMAND_PORT: '7470' }).template).toContain('CommandServerPort=7470\n');
  });

  it.each([
    [TEMPLATE, { IBC_COMMAND_PORT: 'x' }, 'IBC_COMMAND_PORT must be a number (got "x")'],
    ['IbLoginId=x\nBindAddress=\n', {}, 'has no CommandServerPort line'],
  ])('fails loudly, leaving the template alone (%#)', (template, env, message) => {
    const result = run(template, env);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(message);
    expect(result.template).toBe(template);
  });
});
