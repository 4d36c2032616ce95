// What the docs tests need to know about a Markdown file: the anchors GitHub gives its headings
// and the links it contains. marked finds them (so links inside code blocks are not links) and
// github-slugger turns headings into anchors exactly as GitHub does, duplicates numbered.
import { readFileSync } from 'node:fs';
import GithubSlugger from 'github-slugger';
import { marked } from 'marked';
import type { Token, Tokens } from 'marked';

export interface Heading {
  depth: number;
  text: string;
  anchor: string;
}

// The heading's text as GitHub renders it: markup gone, code spans and link texts kept.
const plainText = (tokens: Token[]): string =>
  tokens
    .map((t) => ('tokens' in t && Array.isArray(t.tokens) ? plainText(t.tokens) : 'text' in t ? t.text : ''))
    .join('');

// marked's Token union has a generic member, so `type === 'heading'` alone does not narrow it.
const isHeading = (t: Token): t is Tokens.Heading => t.type === 'heading';

export function headings(markdown: string): Heading[] {
  const slugger = new GithubSlugger();
  return marked
    .lexer(markdown)
    .filter(isHeading)
    .map((t) => {
      const text = plainText(t.tokens);
      return { depth: t.depth, text, anchor: slugger.slug(text) };
    });
}

/** The text under each heading of `depth`, up to the next heading of that depth or higher, by anchor. */
export function sections(markdown: string, depth: number): Map<string, string> {
  const slugger = new GithubSlugger();
  const result = new Map<string, string>();
  let current: string | undefined;
  for (const t of marked.lexer(markdown)) {
    if (isHeading(t)) {
      // Every heading takes its slug, so duplicates are numbered as GitHub numbers them.
      const anchor = slugger.slug(plainText(t.tokens));
      if (t.depth <= depth) {
        current = t.depth === depth ? anchor : undefined;
        if (current !== undefined) result.set(current, '');
        continue;
      }
    }
    if (current !== undefined) result.set(current, result.get(current) + t.raw);
  }
  return result;
}

/** Every link and image target of the file, in order. */
export function linkTargets(markdown: string): string[] {
  const targets: string[] = [];
  marked.walkTokens(marked.lexer(markdown), (t) => {
    if ((t.type === 'link' || t.type === 'image') && !('autolink' in t && t.autolink)) targets.push(t.href);
  });
  return targets;
}

/** The text of every inline code span (`like/this.ts`) of the file, in order. */
export function codeSpans(markdown: string): string[] {
  const spans: string[] = [];
  marked.walkTokens(marked.lexer(markdown), (t) => {
    if (t.type === 'codespan') spans.push(t.text);
  });
  return spans;
}

export const readMarkdown = (path: string) => readFileSync(path, 'utf8');
