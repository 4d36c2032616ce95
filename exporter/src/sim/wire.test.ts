import { describe, expect, it } from 'vitest';
import {
  API_PREFIX,
  DOUBLE_MAX_TEXT,
  FrameReader,
  WireError,
  encodeFrame,
  escapeNonAscii,
  formatDecimal,
  formatDouble,
  formatInt,
  parseVersionRange,
  splitFields,
} from './wire.js';

function lengthPrefixed(body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeInt32BE(body.length, 0);
  return Buffer.concat([head, body]);
}

describe('formatDouble', () => {
  it('prints doubles the way Java Double.toString does', () => {
    expect(formatDouble(100)).toBe('100.0');
    expect(formatDouble(-3.5)).toBe('-3.5');
    expect(formatDouble(0)).toBe('0.0');
    expect(formatDouble(150.01)).toBe('150.01');
    expect(formatDouble(0.001)).toBe('0.001');
    expect(formatDouble(0.0001)).toBe('1.0E-4');
    expect(formatDouble(12345678.9)).toBe('1.23456789E7');
    expect(formatDouble(1e7)).toBe('1.0E7');
    expect(formatDouble(Number.MAX_VALUE)).toBe('1.7976931348623157E308');
  });

  it('sends null and undefined as Double.MAX_VALUE, IB unset', () => {
    expect(formatDouble(null)).toBe(DOUBLE_MAX_TEXT);
    expect(formatDouble(undefined)).toBe(DOUBLE_MAX_TEXT);
    expect(Number.parseFloat(DOUBLE_MAX_TEXT)).toBe(Number.MAX_VALUE);
  });
});

describe('formatDecimal and formatInt', () => {
  it('prints decimals as plain text without exponents', () => {
    expect(formatDecimal(100)).toBe('100');
    expect(formatDecimal(-55)).toBe('-55');
    expect(formatDecimal(0.5)).toBe('0.5');
    expect(formatDecimal(1e-7)).toBe('0.0000001');
    expect(formatDecimal(null)).toBe('');
  });

  it('prints ints truncated, unset as Integer.MAX_VALUE', () => {
    expect(formatInt(-1)).toBe('-1');
    expect(formatInt(undefined)).toBe('2147483647');
  });
});

describe('encodeFrame', () => {
  it('prefixes the BYTE length, not the character count, for multi-byte UTF-8', () => {
    const frame = encodeFrame(['61', 'ÜBER€']);
    // "61\0" = 3 bytes, "ÜBER€\0" = 2 + 3 + 3 + 1 = 9 bytes (Ü is 2 bytes, € is 3).
    expect(frame.readInt32BE(0)).toBe(12);
    expect(frame.length).toBe(16);
    expect(splitFields(frame.subarray(4))).toEqual(['61', 'ÜBER€']);
  });

  it('terminates every field, including empty ones', () => {
    expect(encodeFrame(['1', '', '2']).subarray(4).toString()).toBe('1\0\x002\0');
    expect(splitFields(Buffer.from('1\0\x002\0'))).toEqual(['1', '', '2']);
  });
});

describe('FrameReader', () => {
  const handshake = Buffer.concat([API_PREFIX, lengthPrefixed(Buffer.from('v100..193'))]);
  const startApi = encodeFrame(['71', '2', '0', '']);
  const positions = encodeFrame(['61', '1', 'ÜBER€']);
  const stream = Buffer.concat([handshake, startApi, positions]);

  it('reassembles frames delivered one byte at a time', () => {
    const reader = new FrameReader({ expectApiPrefix: true });
    const frames: Buffer[] = [];
    for (const byte of stream) frames.push(...reader.push(Buffer.from([byte])));
    expect(frames.map((f) => f.toString('utf8'))).toEqual([
      'v100..193',
      '71\x002\x000\0\0',
      '61\x001\0ÜBER€\0',
    ]);
  });

  it('splits several frames delivered in one chunk', () => {
    const reader = new FrameReader({ expectApiPrefix: true });
    expect(reader.push(stream)).toHaveLength(3);
  });

  it('rejects a stream that does not start with API\\0 as soon as it can tell', () => {
    const reader = new FrameReader({ expectApiPrefix: true });
    expect(() => reader.push(Buffer.from('GET / HTTP/1.1\r\n'))).toThrow(WireError);
    expect(() => new FrameReader({ expectApiPrefix: true }).push(Buffer.from('AP'))).not.toThrow();
  });

  it('rejects absurd frame lengths', () => {
    const reader = new FrameReader({ expectApiPrefix: false });
    expect(() => reader.push(Buffer.from([0xff, 0xff, 0xff, 0xff]))).toThrow(/out of range/);
  });
});

describe('handshake and text helpers', () => {
  it('parses version ranges', () => {
    expect(parseVersionRange(Buffer.from('v100..193'))).toEqual({ min: 100, max: 193 });
    expect(parseVersionRange(Buffer.from('v176'))).toEqual({ min: 176, max: 176 });
    expect(() => parseVersionRange(Buffer.from('hello'))).toThrow(WireError);
  });

  it('escapes non-ASCII error text as \\uXXXX like IB', () => {
    expect(escapeNonAscii('Connexion OK:é€')).toBe('Connexion OK:\\u00e9\\u20ac');
  });
});
