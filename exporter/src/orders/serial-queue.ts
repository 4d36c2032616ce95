// Runs work one piece at a time, in the order it was handed in. The order store may answer over
// the network (PostgreSQL), and the gateway's events about an order must still be applied in the
// order IB sent them; on SQLite each piece completes at once and the queue only keeps the order.
import type { Awaitable } from '../store/store.js';

export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `work` after everything queued before it; its result or error is the caller's. */
  run<T>(work: () => Awaitable<T>): Promise<T> {
    const result = this.tail.then(work);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves once everything queued so far has run. */
  async idle(): Promise<void> {
    await this.tail;
  }
}
