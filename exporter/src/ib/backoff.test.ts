import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  it('waits exactly the minimum before the first retry', () => {
    expect(new Backoff(3000, 60_000, () => 0.999).next()).toBe(3000);
  });

  it('draws each delay between the minimum and a doubling ceiling capped at the maximum', () => {
    const top = new Backoff(1000, 10_000, () => 1);
    expect(Array.from({ length: 7 }, () => top.next())).toEqual([
      1000, 2000, 4000, 8000, 10_000, 10_000, 10_000,
    ]);
    const bottom = new Backoff(1000, 10_000, () => 0);
    expect(Array.from({ length: 4 }, () => bottom.next())).toEqual([1000, 1000, 1000, 1000]);
  });

  it('spreads delays over the whole range (full jitter)', () => {
    const values = [0, 0.25, 0.5, 0.75];
    let i = 0;
    const backoff = new Backoff(1000, 60_000, () => values[i++ % values.length] ?? 0);
    backoff.next();
    backoff.next();
    backoff.next(); // ceiling 4000 from here
    expect(backoff.next()).toBe(1000 + 0.75 * 7000);
  });

  it('starts over after a reset', () => {
    const backoff = new Backoff(500, 5000, () => 1);
    backoff.next();
    backoff.next();
    expect(backoff.attempts).toBe(2);
    backoff.reset();
    expect([backoff.attempts, backoff.next()]).toEqual([0, 500]);
  });

  it('never overflows after many failures', () => {
    const backoff = new Backoff(100, 1000, () => 1);
    for (let i = 0; i < 2000; i++) backoff.next();
    expect(backoff.next()).toBe(1000);
  });
});
