import { describe, expect, it } from 'vitest';
import { flexMillis, readFlexDate, readFlexDateTime, readFlexZone } from './parse-time.js';

describe('readFlexDateTime', () => {
  it.each([
    ['20261130;093512', undefined],
    ['2026-11-30;09:35:12', undefined],
    ['20261130,093512', undefined],
    ['2026-11-30 09:35:12', undefined],
    ['20261130093512', undefined],
    ['30-Nov-26 09:35:12', undefined],
    ['20261130;093512 US/Eastern', 'US/Eastern'],
    ['2026-11-30;09:35:12 EST', 'UTC-5'],
    ['2026-11-30 09:35:12 +01:00', 'UTC+1'],
    ['2026-11-30T09:35:12-05:00', 'UTC-5'],
  ])('reads %s as 2026-11-30 09:35:12 (zone %s)', (text, zone) => {
    const read = readFlexDateTime(text);
    expect(read).toEqual({
      ok: true,
      value: { date: '2026-11-30', time: '09:35:12', ...(zone ? { zone } : {}) },
    });
  });

  it('refuses the slash dates: nothing says whether 03/04 is March 4 or April 3', () => {
    const read = readFlexDateTime('03/04/2026;093512');
    expect(read.ok).toBe(false);
    expect(!read.ok && read.reason).toMatch(/ambiguous.*yyyyMMdd or yyyy-MM-dd/);
  });

  it.each([
    '20261131;093512',
    '20261130;243512',
    '20261130;096012',
    '2026-11-30_09:35:12',
    '20261130',
    'yesterday',
  ])('refuses %s', (text) => {
    expect(readFlexDateTime(text).ok).toBe(false);
  });

  it('refuses a zone nobody knows, naming it', () => {
    const read = readFlexDateTime('20261130;093512 Mars/Olympus');
    expect(!read.ok && read.reason).toMatch(/"Mars\/Olympus" is not a time zone/);
  });
});

describe('readFlexDate', () => {
  it('reads every unambiguous form to yyyy-MM-dd', () => {
    expect(readFlexDate('20261218')).toEqual({ ok: true, value: '2026-12-18' });
    expect(readFlexDate('2026-12-18')).toEqual({ ok: true, value: '2026-12-18' });
    expect(readFlexDate('18-dec-26')).toEqual({ ok: true, value: '2026-12-18' });
    expect(readFlexDate('20260229').ok).toBe(false);
  });
});

describe('readFlexZone', () => {
  it('reads IANA names, Java abbreviations and offsets', () => {
    expect(readFlexZone('America/New_York')).toEqual({ ok: true, value: 'America/New_York' });
    expect(readFlexZone('EDT')).toEqual({ ok: true, value: 'UTC-4' });
    expect(readFlexZone('-0530')).toEqual({ ok: true, value: 'UTC-5:30' });
  });
});

describe('flexMillis', () => {
  it('takes a zone-less time in the given zone, following daylight saving time', () => {
    // US/Eastern is UTC-4 until 2026-11-01 02:00, UTC-5 after.
    expect(flexMillis({ date: '2026-10-30', time: '09:30:00' }, 'US/Eastern')).toBe(
      Date.UTC(2026, 9, 30, 13, 30),
    );
    expect(flexMillis({ date: '2026-11-30', time: '09:30:00' }, 'US/Eastern')).toBe(
      Date.UTC(2026, 10, 30, 14, 30),
    );
  });

  it('prefers the zone written on the time', () => {
    expect(flexMillis({ date: '2026-11-30', time: '09:30:00', zone: 'UTC+1' }, 'US/Eastern')).toBe(
      Date.UTC(2026, 10, 30, 8, 30),
    );
    expect(flexMillis({ date: '2026-11-30', time: '09:30:00', zone: 'UTC-5:30' }, 'UTC')).toBe(
      Date.UTC(2026, 10, 30, 15, 0),
    );
  });
});
