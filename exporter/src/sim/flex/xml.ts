// A small XML writer for the simulator's Flex documents. Its own code on purpose: the simulator
// must not borrow the exporter's Flex parser (flex/), or the two could share a mistake and the
// tests would never see it. It writes what IB writes: one element a line, attributes in the given
// order, empty elements as `<Trade ... />`, every value escaped.

/** Attributes in document order; an undefined value is left out, an empty string is written. */
export type XmlAttributes = ReadonlyArray<readonly [name: string, value: string | number | undefined]>;

// XML 1.0 allows tab, newline and carriage return below U+0020, nothing else; a lone surrogate
// cannot be encoded either. Refusing them keeps every document the simulator writes well-formed.
const FORBIDDEN =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  // Attribute values are normalised by parsers: a literal newline or tab would read back as a space.
  '\n': '&#10;',
  '\r': '&#13;',
  '\t': '&#9;',
};

/** Escapes text for an attribute value or element content. */
export function escapeXml(value: string): string {
  if (FORBIDDEN.test(value)) throw new Error(`cannot write ${JSON.stringify(value)} in XML`);
  return value.replace(/[&<>"'\n\r\t]/g, (c) => ESCAPES[c] ?? c);
}

function checkName(name: string): string {
  if (!NAME.test(name)) throw new Error(`invalid XML name ${JSON.stringify(name)}`);
  return name;
}

function openTag(name: string, attributes: XmlAttributes): string {
  const attrs = attributes
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => ` ${checkName(key)}="${escapeXml(String(value))}"`)
    .join('');
  return `<${checkName(name)}${attrs}`;
}

/** `<name a="1" />`, or `<name a="1">` + children (one a line) + `</name>`. */
export function xmlElement(
  name: string,
  attributes: XmlAttributes,
  children: readonly string[] = [],
): string {
  if (children.length === 0) return `${openTag(name, attributes)} />`;
  return [`${openTag(name, attributes)}>`, ...children, `</${name}>`].join('\n');
}

/** `<name>text</name>` on one line. */
export function xmlTextElement(name: string, text: string): string {
  return `<${checkName(name)}>${escapeXml(text)}</${name}>`;
}
