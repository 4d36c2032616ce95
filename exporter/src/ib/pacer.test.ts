import { describe, expect, it } from 'vitest';
import { Pacer } from './pacer.js';
import type { PacerClock } from './pacer.js';

/** A manual clock: timers fire only when the test advances time. */
class FakeClock implements PacerClock {
  time = 0;
  private timers: Array<{ at: number; fn: () => void }> = [];
  now = () => this.time;
  setTimeout = (fn: () => void, ms: number) => {
    const timer = { at: this.time + ms, fn };
    this.timers.push(timer);
    return timer;
  };
  clearTimeout = (handle: unknown) => {
    this.timers = this.timers.filter((t) => t !== handle);
  };
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const next = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.time = next.at;
      next.fn();
    }
    this.time = end;
  }
}

function maxInAnyWindow(times: number[], windowMs: number): number {
  let best = 0;
  for (let i = 0; i < times.length; i++) {
    const start = times[i] ?? 0;
    best = Math.max(best, times.filter((t) => t >= start && t <= start + windowMs).length);
  }
  return best;
}

describe('Pacer', () => {
  it('sends a small burst at once', () => {
    const clock = new FakeClock();
    const pacer = new Pacer(30, 5, clock);
    const sent: number[] = [];
    for (let i = 0; i < 5; i++) pacer.send(() => sent.push(clock.time));
    expect(sent).toEqual([0, 0, 0, 0, 0]);
  });

  it('never lets 500 messages exceed 35 in any closed one-second window', () => {
    const clock = new FakeClock();
    const pacer = new Pacer(30, 5, clock);
    const sent: number[] = [];
    for (let i = 0; i < 500; i++) pacer.send(() => sent.push(clock.time));
    clock.advance(20_000);
    expect(sent).toHaveLength(500);
    expect(maxInAnyWindow(sent, 1000)).toBeLessThanOrEqual(35);
    // ...and it does not dawdle: 495 paced messages at 30/s take about 16.5 s.
    expect(sent.at(-1)).toBeLessThan(17_000);
  });

  it('lets an urgent message jump the queue', () => {
    const clock = new FakeClock();
    const pacer = new Pacer(10, 1, clock);
    const order: string[] = [];
    pacer.send(() => order.push('a'));
    pacer.send(() => order.push('b'));
    pacer.send(() => order.push('c'));
    pacer.send(() => order.push('keepalive'), true);
    clock.advance(1000);
    expect(order).toEqual(['a', 'keepalive', 'b', 'c']);
  });

  it('tells when everything queued has gone out', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer(10, 1, clock);
    const sent: string[] = [];
    pacer.send(() => sent.push('a'));
    pacer.send(() => sent.push('b'));
    const drained = pacer.whenDrained();
    clock.advance(1000);
    await drained;
    expect(sent).toEqual(['a', 'b']);
  });

  it('drops queued messages on clear, so nothing is replayed on a later connection', () => {
    const clock = new FakeClock();
    const pacer = new Pacer(10, 1, clock);
    const sent: string[] = [];
    pacer.send(() => sent.push('now'));
    pacer.send(() => sent.push('later'));
    pacer.clear();
    clock.advance(5000);
    expect([sent, pacer.queued]).toEqual([['now'], 0]);
  });
});
