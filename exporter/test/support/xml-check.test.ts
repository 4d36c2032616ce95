import { describe, expect, it } from 'vitest';
import { checkWellFormed, tradeRows } from './xml-check.js';

describe('the test XML checker', () => {
  it('accepts a document and reads attributes in order, unescaped', () => {
    const xml = '<A x="1">\n<Trade b="2" a="&amp;&#10;" />\n<B>t &lt; u</B>\n</A>\n';
    expect(checkWellFormed(xml)).toBe('A');
    expect(tradeRows(xml)).toEqual([{ b: '2', a: '&\n' }]);
    expect(Object.keys(tradeRows(xml)[0] ?? {})).toEqual(['b', 'a']);
  });

  it.each([
    ['<A><B></A></B>', '</A> closes <B>'],
    ['<A>', 'unclosed <A>'],
    ['<A /><B />', 'a second root'],
    ['<A x="1" x="2" />', 'duplicate attribute x'],
    ['<A x="a & b" />', 'bare &'],
    ['<A>a & b</A>', 'bare &'],
    ["<A x='1' />", 'malformed markup'],
    ['<A x="1"', 'malformed markup'],
    ['text', 'text outside the root'],
    ['', 'no root element'],
  ])('refuses %j', (xml, message) => {
    expect(() => checkWellFormed(xml)).toThrow(message);
  });
});
