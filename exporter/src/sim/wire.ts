// Framing and field formatting of the TWS socket API ("V100+" protocol), server side.
// Layouts: docs/tws-protocol.md#framing and docs/tws-protocol.md#how-values-are-written.

/** The 4 bytes a client sends before its length-prefixed version range. */
export const API_PREFIX = Buffer.from('API\0', 'latin1');

/** Same cap as the Java client and @stoqey/ib: anything bigger is garbage, not a message. */
export const MAX_FRAME_LENGTH = 0xffffff;

/** Java's Double.MAX_VALUE as IB prints it; IB's "unset" for doubles. */
export const DOUBLE_MAX_TEXT = '1.7976931348623157E308';

/** Java's Integer.MAX_VALUE; IB's "unset" for ints (and orderId of manual TWS orders). */
export const INT_MAX = 2147483647;

/** Raised for input that cannot be a TWS client; the session drops the socket. */
export class WireError extends Error {
  override readonly name = 'WireError';
}

/**
 * Incremental reader of the client's byte stream. TCP delivers arbitrary chunks, so a frame
 * can be split across chunks and one chunk can hold several frames.
 *
 * With `expectApiPrefix`, the stream must start with `API\0`; the first frame after it is the
 * version range (`v100..193`, no `\0` terminators). Every later frame is `\0`-terminated fields.
 */
export class FrameReader {
  private buffer: Buffer = Buffer.alloc(0);
  private prefixPending: boolean;

  constructor(opts: { expectApiPrefix: boolean }) {
    this.prefixPending = opts.expectApiPrefix;
  }

  /** Adds a chunk and returns every frame payload it completed, in order. Throws WireError. */
  push(chunk: Buffer): Buffer[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    if (this.prefixPending) {
      const have = Math.min(this.buffer.length, API_PREFIX.length);
      if (!this.buffer.subarray(0, have).equals(API_PREFIX.subarray(0, have))) {
        throw new WireError('stream does not start with API\\0');
      }
      if (this.buffer.length < API_PREFIX.length) return [];
      this.buffer = this.buffer.subarray(API_PREFIX.length);
      this.prefixPending = false;
    }
    const frames: Buffer[] = [];
    while (this.buffer.length >= 4) {
      const length = this.buffer.readInt32BE(0);
      if (length < 0 || length > MAX_FRAME_LENGTH) {
        throw new WireError(`frame length ${length} out of range`);
      }
      if (this.buffer.length < 4 + length) break;
      frames.push(this.buffer.subarray(4, 4 + length));
      this.buffer = this.buffer.subarray(4 + length);
    }
    return frames;
  }
}

/** Splits a frame payload into its fields; every field is `\0`-terminated. */
export function splitFields(payload: Buffer): string[] {
  const fields = payload.toString('utf8').split('\0');
  // The terminator of the last field leaves one empty element behind.
  if (fields.length > 0 && fields[fields.length - 1] === '') fields.pop();
  return fields;
}

/** Parses the handshake payload `v100..193` (or a single `v176`). */
export function parseVersionRange(payload: Buffer): { min: number; max: number } {
  const text = payload.toString('utf8').replace(/\0+$/, '');
  const match = /^v(\d+)(?:\.\.(\d+))?/.exec(text);
  if (!match?.[1]) throw new WireError(`bad version range ${JSON.stringify(text)}`);
  const min = Number(match[1]);
  const max = match[2] === undefined ? min : Number(match[2]);
  return { min, max };
}

/** One framed message: 4-byte big-endian BYTE length, then each field UTF-8 encoded plus `\0`. */
export function encodeFrame(fields: readonly string[]): Buffer {
  const body = Buffer.from(fields.map((f) => f + '\0').join(''), 'utf8');
  const frame = Buffer.alloc(4 + body.length);
  frame.writeInt32BE(body.length, 0);
  body.copy(frame, 4);
  return frame;
}

/**
 * A double as Java's `Double.toString` prints it, which is what IB sends: `100.0`, `-3.5`,
 * `1.0E7`, `1.0E-4`. `null`/`undefined` mean "unset" and become Double.MAX_VALUE.
 */
export function formatDouble(value: number | null | undefined): string {
  if (value === null || value === undefined) return DOUBLE_MAX_TEXT;
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(value);
  const sign = value < 0 ? '-' : '';
  if (abs >= 1e-3 && abs < 1e7) {
    const plain = String(abs);
    return sign + (plain.includes('.') ? plain : `${plain}.0`);
  }
  // toExponential() with no argument gives the shortest digits that round-trip, as Java does.
  const [mantissa = '', exponent = ''] = abs.toExponential().split('e');
  const digits = mantissa.includes('.') ? mantissa : `${mantissa}.0`;
  return `${sign}${digits}E${exponent.replace('+', '')}`;
}

/** An IB Decimal (positions, shares) as plain text: `100`, `-55`, `0.5`; unset is `""`. */
export function formatDecimal(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '';
  const text = String(value);
  if (!/e/i.test(text)) return text;
  // Tiny or huge quantities: IB never sends exponents in decimals.
  return value.toFixed(20).replace(/\.?0+$/, '');
}

/** An int field; unset is Integer.MAX_VALUE. */
export function formatInt(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return String(INT_MAX);
  return String(Math.trunc(value));
}

/** IB escapes non-ASCII characters of error texts as `\uXXXX` (server version >= 153). */
export function escapeNonAscii(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (code < 0x80) {
      out += ch;
    } else {
      // Characters outside the BMP become two UTF-16 escapes, like Java chars.
      for (let i = 0; i < ch.length; i++) {
        out += '\\u' + ch.charCodeAt(i).toString(16).padStart(4, '0');
      }
    }
  }
  return out;
}
