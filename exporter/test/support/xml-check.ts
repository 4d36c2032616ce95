// A strict little XML checker for the simulator's Flex documents, for tests only: the simulator
// must not be checked by the exporter's own Flex parser (a shared mistake would pass). It accepts
// what the simulator writes (elements, double-quoted attributes, text, the five entities and
// numeric references) and throws on anything malformed: unbalanced or crossed tags, two roots,
// a duplicate attribute, a bare `&` or `<`.

const NAME = '[A-Za-z_][A-Za-z0-9_.-]*';
const TAG = new RegExp(`<(/?)(${NAME})((?:\\s+${NAME}="[^"<]*")*)\\s*(/?)>`, 'y');
const ATTRIBUTE = new RegExp(`(${NAME})="([^"<]*)"`, 'g');
const TEXT = /[^<]*/y;
const BAD_AMPERSAND = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescape(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (_, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(Number(ref.slice(1)));
    return ENTITIES[ref] ?? `&${ref};`;
  });
}

function attributes(text: string, where: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [, name = '', value = ''] of text.matchAll(ATTRIBUTE)) {
    if (out.some(([n]) => n === name)) throw new Error(`${where}: duplicate attribute ${name}`);
    if (BAD_AMPERSAND.test(value)) throw new Error(`${where}: bare & in ${name}`);
    out.push([name, unescape(value)]);
  }
  return out;
}

/** Throws with the line of the first problem; returns the root element's name. */
export function checkWellFormed(xml: string): string {
  const stack: string[] = [];
  let root: string | undefined;
  let pos = 0;
  const line = (): number => xml.slice(0, pos).split('\n').length;
  while (pos < xml.length) {
    TEXT.lastIndex = pos;
    const text = TEXT.exec(xml)?.[0] ?? '';
    if (text.length > 0) {
      if (stack.length === 0 && text.trim() !== '') throw new Error(`line ${line()}: text outside the root`);
      if (BAD_AMPERSAND.test(text)) throw new Error(`line ${line()}: bare &`);
      pos += text.length;
      continue;
    }
    TAG.lastIndex = pos;
    const tag = TAG.exec(xml);
    if (!tag) throw new Error(`line ${line()}: malformed markup ${JSON.stringify(xml.slice(pos, pos + 40))}`);
    const [whole, closing, name = '', attrs = '', selfClosing] = tag;
    if (closing) {
      if (attrs || selfClosing) throw new Error(`line ${line()}: malformed end tag ${name}`);
      const open = stack.pop();
      if (open !== name) throw new Error(`line ${line()}: </${name}> closes <${open ?? 'nothing'}>`);
    } else {
      if (stack.length === 0) {
        if (root !== undefined) throw new Error(`line ${line()}: a second root <${name}>`);
        root = name;
      }
      attributes(attrs, `line ${line()}`);
      if (!selfClosing) stack.push(name);
    }
    pos += whole.length;
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack.join('>, <')}>`);
  if (root === undefined) throw new Error('no root element');
  return root;
}

/** The attributes of every element called `name`, in document and attribute order, unescaped. */
export function elementAttributes(xml: string, name: string): Array<Record<string, string>> {
  const open = new RegExp(`<${name}((?:\\s+${NAME}="[^"<]*")*)\\s*/?>`, 'g');
  return [...xml.matchAll(open)].map((m) => Object.fromEntries(attributes(m[1] ?? '', name)));
}

export const tradeRows = (xml: string): Array<Record<string, string>> => elementAttributes(xml, 'Trade');
