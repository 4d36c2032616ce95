// What the docs tests need to know about a Markdown file: the anchors GitHub gives its headings
// and the links it contains. marked finds them (so links inside code blocks are not links) and
// github-slugger turns headings into anchors exactly as GitHub does, duplicates numbered.
import { readFileSync } from 'node:fs';
import GithubSlugger from 'github-slugger';
import { marked } from 'marked';
import type { Token } from 'marked';

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

export function headings(markdown: string): Heading[] {
  const slugger = new GithubSlugger();
  return marked
    .lexer(markdown)
    .filter((t): t is Token & { type: 'heading'; depth: number; tokens: Token[] } => t.type === 'heading')
    .map((t) => {
      const text = plainText(t.tokens);
      return { depth: t.depth, text, anchor: slugger.slug(text) };
    });
}

/** Every link and image target of the file, in order. */
export function linkTargets(markdown: string): string[] {
  const targets: string[] = [];
  marked.walkTokens(marked.lexer(markdown), (t) => {
    if ((t.type === 'link' || t.type === 'image') && !('autolink' in t && t.autolink)) targets.push(t.href);
  });
  return targets;
}

export const readMarkdown = (path: string) => readFileSync(path, 'utf8');
