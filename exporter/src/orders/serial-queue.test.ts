import { describe, expect, it } from 'vitest';
import { SerialQueue } from './serial-queue.js';

describe('SerialQueue', () => {
  it('runs work in the order it was queued, even when earlier work takes longer', async () => {
    const queue = new SerialQueue();
    const done: string[] = [];
    let release!: () => void;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const first = queue.run(async () => {
      await slow;
      done.push('slow');
    });
    const second = queue.run(() => {
      done.push('sync');
      return 2;
    });
    release();
    await expect(second).resolves.toBe(2);
    await first;
    expect(done).toEqual(['slow', 'sync']);
  });

  it('gives a failure to its caller and goes on with the next piece', async () => {
    const queue = new SerialQueue();
    const failed = queue.run(() => {
      throw new Error('write failed');
    });
    const next = queue.run(() => 'next');
    await expect(failed).rejects.toThrow('write failed');
    await expect(next).resolves.toBe('next');
    await expect(queue.idle()).resolves.toBeUndefined();
  });
});
