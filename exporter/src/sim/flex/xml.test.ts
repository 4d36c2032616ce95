import { describe, expect, it } from 'vitest';
import { flexTimestamp } from './envelope.js';
import { escapeXml, xmlElement, xmlTextElement } from './xml.js';

describe('the Flex XML writer', () => {
  it('escapes markup, quotes and the whitespace a parser would normalise', () => {
    expect(escapeXml(`AT&T <"x"> 'y'\n\t`)).toBe('AT&amp;T &lt;&quot;x&quot;&gt; &apos;y&apos;&#10;&#9;');
  });

  it('refuses characters XML 1.0 cannot carry', () => {
    expect(() => escapeXml('a\u0001b')).toThrow('cannot write');
    expect(() => escapeXml('\uD800')).toThrow('cannot write');
    expect(escapeXml('€ 😀')).toBe('€ 😀');
  });

  it('writes attributes in order, leaves undefined ones out and keeps empty ones', () => {
    expect(
      xmlElement('Trade', [
        ['accountId', 'DU1'],
        ['strike', ''],
        ['expiry', undefined],
        ['quantity', -5],
      ]),
    ).toBe('<Trade accountId="DU1" strike="" quantity="-5" />');
  });

  it('writes children one a line', () => {
    expect(xmlElement('Trades', [], ['<Trade />', '<Trade />'])).toBe(
      '<Trades>\n<Trade />\n<Trade />\n</Trades>',
    );
    expect(xmlTextElement('ErrorMessage', 'a < b')).toBe('<ErrorMessage>a &lt; b</ErrorMessage>');
  });

  it('refuses a name that is not an XML name', () => {
    expect(() => xmlElement('Bad Name', [])).toThrow('invalid XML name');
    expect(() => xmlElement('Trade', [['a=b', '1']])).toThrow('invalid XML name');
  });

  it("stamps envelopes with New York's wall clock and zone, as IB does", () => {
    expect(flexTimestamp(Date.UTC(2026, 6, 3, 0, 5))).toBe('02 July, 2026 08:05 PM EDT');
    expect(flexTimestamp(Date.UTC(2026, 10, 25, 14, 35))).toBe('25 November, 2026 09:35 AM EST');
  });
});
