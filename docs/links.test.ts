// Every relative link and #anchor in the repository's Markdown resolves: a newcomer following the
// README's index, or an alert's runbook_url, never lands on a missing page or heading.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { codeSpans, headings, linkTargets, readMarkdown, sections } from './markdown.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// Links to this repository on GitHub (as runbook_url uses) are checked like relative ones.
const REPO_URL = 'https://github.com/ibkr-pnl-exporter/ibkr-pnl-exporter/blob/main/';

// Tracked and new (not ignored) Markdown files, so a page is checked before its first commit.
const markdownFiles = execFileSync(
  'git',
  ['ls-files', '--cached', '--others', '--exclude-standard', '*.md'],
  {
    cwd: ROOT,
    encoding: 'utf8',
  },
)
  .split('\n')
  .filter((f) => f !== '' && existsSync(join(ROOT, f)));

const anchorsOf = (file: string) => new Set(headings(readMarkdown(file)).map((h) => h.anchor));

/** Why `target`, linked from `file`, does not resolve; undefined when it does. */
export function brokenLink(file: string, target: string): string | undefined {
  if (target.startsWith(REPO_URL)) target = '/' + target.slice(REPO_URL.length);
  else if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined; // another site: not ours to check
  const [pathPart = '', anchor] = target.split('#', 2);
  const path = decodeURIComponent(pathPart);
  const destination =
    path === '' ? file : path.startsWith('/') ? join(ROOT, path) : resolve(dirname(file), path);
  if (!existsSync(destination)) return `no such file ${relative(ROOT, destination)}`;
  if (anchor === undefined || anchor === '') return undefined;
  const page = statSync(destination).isDirectory() ? join(destination, 'README.md') : destination;
  if (!page.endsWith('.md')) return undefined; // line anchors of source files (#L10) are GitHub's
  if (!existsSync(page)) return `no README.md in ${relative(ROOT, destination)} for #${anchor}`;
  return anchorsOf(page).has(anchor) ? undefined : `no heading #${anchor} in ${relative(ROOT, page)}`;
}

describe('Markdown links', () => {
  it('finds the Markdown files', () => {
    expect(markdownFiles).toContain('README.md');
    expect(markdownFiles).toContain('docs/runbook.md');
  });

  it.each(markdownFiles)('%s links only to files and headings that exist', (file) => {
    const path = join(ROOT, file);
    const broken = linkTargets(readMarkdown(path))
      .map((target) => ({ target, why: brokenLink(path, target) }))
      .filter((l) => l.why !== undefined);
    expect(broken).toEqual([]);
  });
});

// Matches of a pattern in the repository's own files (tracked or new, never ignored ones), as
// file:line:match; git grep exits 1 when nothing matches.
function grepRepository(pattern: string, ...pathspecs: string[]): string[] {
  try {
    return execFileSync('git', ['grep', '--untracked', '-I', '-n', '-o', '-E', pattern, '--', ...pathspecs], {
      cwd: ROOT,
      encoding: 'utf8',
    })
      .split('\n')
      .filter((l) => l !== '');
  } catch (error) {
    if ((error as { status?: number }).status === 1) return [];
    throw error;
  }
}

// A code span that names a file of the repository (`ib/codes.ts`, `k8s/base/exporter/role.yaml`).
// Pages name files from the repository root, from their own folder, or inside exporter/src and
// exporter/test as the layers do; placeholders (`NNN_name.sql`) and globs are not paths.
const FILE_PATH = /^[\w.@-]+(?:\/[\w.@-]+)+\.(?:ts|js|json|ya?ml|sql|sh|md|prom|tmpl|ini)$/;
const PATH_BASES = ['', 'exporter/src', 'exporter/test'];

describe('file names in the docs', () => {
  it.each(markdownFiles)('%s names only files that exist', (file) => {
    const missing = codeSpans(readMarkdown(join(ROOT, file)))
      .filter((span) => FILE_PATH.test(span) && !/NNN/.test(span))
      .filter(
        (span) =>
          !existsSync(resolve(ROOT, dirname(file), span)) &&
          !PATH_BASES.some((base) => existsSync(join(ROOT, base, span))),
      );
    expect(missing).toEqual([]);
  });
});

describe('the README index', () => {
  it('reaches every page in one click: docs/*.md, every folder README and CONTRIBUTING.md', () => {
    const linked = new Set(
      linkTargets(readMarkdown(join(ROOT, 'README.md')))
        .filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t))
        .map((t) => t.split('#')[0]),
    );
    const pages = markdownFiles.filter((f) => f !== 'README.md');
    expect(pages.length).toBeGreaterThan(15);
    expect(pages.filter((page) => !linked.has(page))).toEqual([]);
  });
});

describe('references from code and configuration', () => {
  // Comments, alert annotations and error messages cite pages as docs/<page>.md#<anchor>.
  // This file is left out: its checks of the checker name missing pages on purpose.
  const citations = grepRepository(
    '(blob/main/)?docs/[A-Za-z0-9_-]+[.]md(#[A-Za-z0-9_-]+)?',
    ':!*.md',
    ':!docs/links.test.ts',
  );

  it('finds the citations', () => {
    expect(citations.some((c) => c.startsWith('exporter/src/ib/codes.ts:'))).toBe(true);
  });

  it('cites only pages and headings that exist', () => {
    const broken = citations
      .map((c) => {
        const [file = '', , match = ''] = c.split(':', 3);
        return {
          file,
          match,
          why: brokenLink(join(ROOT, 'README.md'), match.replace(/^blob[/]main[/]/, '')),
        };
      })
      .filter((c) => c.why !== undefined);
    expect(broken).toEqual([]);
  });

  it('never points at reading material outside the repository', () => {
    // The pattern is built from parts so that this file does not match itself.
    expect(grepRepository(['shared', 'reference'].join('/') + '|' + ['', 'work', ''].join('/'))).toEqual([]);
  });
});

describe('the link checker itself', () => {
  const readme = join(ROOT, 'README.md');
  it('accepts a page, a heading on a page and a heading on the same page', () => {
    expect(brokenLink(readme, 'docs/runbook.md')).toBeUndefined();
    expect(brokenLink(readme, 'docs/runbook.md#gateway-down')).toBeUndefined();
    expect(brokenLink(readme, '#two-commands')).toBeUndefined();
    expect(brokenLink(readme, `${REPO_URL}docs/runbook.md#store-errors`)).toBeUndefined();
  });

  it('names a missing file and a missing heading', () => {
    expect(brokenLink(readme, 'docs/nowhere.md')).toBe('no such file docs/nowhere.md');
    expect(brokenLink(readme, 'docs/runbook.md#nowhere')).toBe('no heading #nowhere in docs/runbook.md');
    expect(brokenLink(readme, `${REPO_URL}README.md#runbook`)).toBe('no heading #runbook in README.md');
  });

  it('slugs headings as GitHub does: code kept, punctuation dropped, duplicates numbered', () => {
    expect(headings('## The `IBKR_PORT` (API) port\n\n## Notes\n\n## Notes\n').map((h) => h.anchor)).toEqual([
      'the-ibkr_port-api-port',
      'notes',
      'notes-1',
    ]);
  });

  it('ignores links inside code blocks', () => {
    expect(linkTargets('```\n[a](b.md)\n```\n\nsee [c](d.md)\n')).toEqual(['d.md']);
  });

  it('cuts a page into the sections of one heading depth', () => {
    const page = '# Page\n\nintro\n\n## One\n\na\n\n### Detail\n\nb\n\n## Two\n\nc\n';
    expect([...sections(page, 2)].map(([anchor, text]) => [anchor, text.trim()])).toEqual([
      ['one', 'a\n\n### Detail\n\nb'],
      ['two', 'c'],
    ]);
  });
});
