import { describe, expect, it } from 'vitest';
import { Heartbeat, graceMs } from './heartbeat.js';

describe('Heartbeat', () => {
  it('measures the round trip of an answered probe', () => {
    const hb = new Heartbeat();
    expect(hb.tick(1000)).toBe('probe');
    expect(hb.answered(1042)).toBe(42);
    expect(hb.tick(2000)).toBe('probe');
  });

  it('gives a last chance when a probe is unanswered at the next tick', () => {
    const hb = new Heartbeat();
    hb.tick(1000);
    expect(hb.tick(2000)).toBe('last_chance');
    expect(hb.isDead()).toBe(true);
  });

  it('survives a slow answer that arrives during the last chance', () => {
    const hb = new Heartbeat();
    hb.tick(1000);
    hb.tick(2000);
    expect(hb.answered(2300)).toBe(1300);
    expect(hb.isDead()).toBe(false);
  });

  it('ignores an answer nobody asked for', () => {
    expect(new Heartbeat().answered(5)).toBeUndefined();
  });

  it('forgets outstanding probes on reset (a new connection)', () => {
    const hb = new Heartbeat();
    hb.tick(1);
    hb.tick(2);
    hb.reset();
    expect([hb.isDead(), hb.tick(3)]).toEqual([false, 'probe']);
  });

  it('keeps the grace within the detection budget of 2 × keepalive + 1 s', () => {
    expect(graceMs(15_000)).toBe(1000);
    expect(graceMs(1000)).toBe(500);
  });
});
