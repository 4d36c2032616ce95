import { describe, expect, it } from 'vitest';
import { formatIbExecTime, parseIbFilterTime } from './ib-time.js';

describe('parseIbFilterTime', () => {
  const utc = Date.UTC(2026, 10, 25, 15, 0, 0);

  it('reads yyyyMMdd-HH:mm:ss as UTC', () => {
    expect(parseIbFilterTime('20261125-15:00:00')).toBe(utc);
    expect(parseIbFilterTime('20261125-15:00')).toBe(utc);
  });

  it('reads yyyyMMdd HH:mm:ss with an optional zone', () => {
    expect(parseIbFilterTime('20261125 15:00:00')).toBe(utc);
    expect(parseIbFilterTime('20261125 15:00:00 UTC')).toBe(utc);
    // November: New York is UTC-5.
    expect(parseIbFilterTime('20261125 10:00:00 US/Eastern')).toBe(utc);
    expect(parseIbFilterTime('20260701 11:00:00 America/New_York')).toBe(Date.UTC(2026, 6, 1, 15, 0, 0));
    expect(parseIbFilterTime('20261125 16:00:00 Europe/Berlin')).toBe(utc);
  });

  it('returns undefined for text that is not a time or a zone it does not know', () => {
    expect(parseIbFilterTime('yesterday')).toBeUndefined();
    expect(parseIbFilterTime('20261125 15:00:00 Mars/Olympus')).toBeUndefined();
  });
});

describe('formatIbExecTime', () => {
  it('formats in UTC by default and in a named zone on request', () => {
    const t = Date.UTC(2026, 10, 25, 14, 35, 7);
    expect(formatIbExecTime(t)).toBe('20261125 14:35:07 UTC');
    expect(formatIbExecTime(t, 'US/Eastern')).toBe('20261125 09:35:07 US/Eastern');
  });
});
