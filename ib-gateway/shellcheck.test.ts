// shellcheck on every shell script of the repository: *.sh files and files whose first line is a
// sh/bash shebang (such as ib-gateway/healthcheck and .ci/run).
import { spawnSync } from 'node:child_process';
import { openSync, readdirSync, readSync, closeSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const SKIP = new Set(['node_modules', '.git', 'data', 'coverage', '.scratch']);
const SHEBANG = /^#!\s*(\/usr\/bin\/env\s+)?(\/bin\/|\/usr\/bin\/)?(ba)?sh\b/;

function firstLine(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(128);
    const read = readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.subarray(0, read).toString('utf8').split('\n')[0] ?? '';
  } finally {
    closeSync(fd);
  }
}

function shellScripts(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return SKIP.has(entry.name) ? [] : shellScripts(path);
    if (!entry.isFile()) return [];
    return entry.name.endsWith('.sh') || SHEBANG.test(firstLine(path)) ? [path] : [];
  });
}

const SHELLCHECK = spawnSync('shellcheck', ['--version'], { stdio: 'ignore' }).status === 0;
if (!SHELLCHECK) process.stderr.write('ib-gateway/shellcheck.test.ts: shellcheck not found; SKIPPED\n');

describe.skipIf(!SHELLCHECK)('shellcheck', () => {
  const scripts = shellScripts(ROOT);

  it('finds the shipped scripts', () => {
    const found = scripts.map((s) => relative(ROOT, s));
    for (const script of ['ib-gateway/entrypoint.sh', 'ib-gateway/healthcheck', 'ib-gateway/vnc.sh']) {
      expect(found).toContain(script);
    }
  });

  it('passes on every shell script', () => {
    const result = spawnSync('shellcheck', ['--external-sources', '--severity=style', ...scripts], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
