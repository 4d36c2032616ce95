import { describe, expect, it } from 'vitest';
import { basisOf, combineBases, sourceOf } from './basis.js';

describe('basisOf', () => {
  it('is unknown without a report, api or flex when every report has one source, else mixed', () => {
    expect(basisOf({ reports: 0 })).toBeUndefined();
    expect(basisOf({ reports: 3 })).toBe('api');
    expect(basisOf({ reports: 3, flexReports: 0 })).toBe('api');
    expect(basisOf({ reports: 3, flexReports: 3 })).toBe('flex');
    expect(basisOf({ reports: 3, flexReports: 1 })).toBe('mixed');
  });

  it('combines the bases of several sums, ignoring the unknown ones', () => {
    expect(combineBases([])).toBeUndefined();
    expect(combineBases([undefined, 'flex', 'flex'])).toBe('flex');
    expect(combineBases(['api', undefined, 'flex'])).toBe('mixed');
    expect(combineBases(['mixed', 'mixed'])).toBe('mixed');
  });

  it('reads an absent source as api', () => {
    expect(sourceOf({})).toBe('api');
    expect(sourceOf({ source: 'flex' })).toBe('flex');
  });
});
