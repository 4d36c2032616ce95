// Outbound pacing. IB disconnects a client that sends more than 50 messages per second (error
// 100), counting every kind of message. A token bucket of BURST tokens refilled at RATE per second
// bounds any one-second window to BURST + RATE = 34 messages, with room for timer jitter below
// 40. stoqey has its own limiter (4 messages per 100 ms); a burst of 4 fits it, so it rarely
// holds anything back. Many reqPnLSingle subscriptions are therefore staggered, not burst.

export const PACER_RATE_PER_SECOND = 30;
export const PACER_BURST = 4;

export interface PacerClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const systemClock: PacerClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class Pacer {
  private tokens: number;
  private refilledAt: number;
  private readonly queue: Array<() => void> = [];
  private timer: unknown;
  private drained: Array<() => void> = [];

  constructor(
    private readonly ratePerSecond = PACER_RATE_PER_SECOND,
    private readonly burst = PACER_BURST,
    private readonly clock: PacerClock = systemClock,
  ) {
    this.tokens = burst;
    this.refilledAt = clock.now();
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Sends now if the budget allows, else queues; `urgent` messages (keepalives) jump the queue. */
  send(message: () => void, urgent = false): void {
    if (urgent) this.queue.unshift(message);
    else this.queue.push(message);
    this.drain();
  }

  /** Resolves once everything queued so far has been sent (or dropped by clear). */
  whenDrained(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  /** Drops what is queued: on a closed connection it must never be sent (no replay). */
  clear(): void {
    this.queue.length = 0;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.notifyDrained();
  }

  private notifyDrained(): void {
    const waiting = this.drained;
    this.drained = [];
    for (const resolve of waiting) resolve();
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) * this.ratePerSecond) / 1000);
    this.refilledAt = now;
  }

  private drain(): void {
    if (this.timer !== undefined) return;
    this.refill();
    while (this.queue.length > 0 && this.tokens >= 1) {
      this.tokens -= 1;
      this.queue.shift()?.();
    }
    if (this.queue.length === 0) {
      this.notifyDrained();
      return;
    }
    const waitMs = Math.ceil(((1 - this.tokens) * 1000) / this.ratePerSecond);
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.drain();
    }, waitMs);
  }
}
