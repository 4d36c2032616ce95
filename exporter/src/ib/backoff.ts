// Reconnect delays: exponential with "full jitter" (AWS architecture blog, "Exponential Backoff
// and Jitter"), so a fleet of exporters restarted with their gateway do not reconnect in step.
// The first retry waits exactly the minimum, which keeps "gateway back → live" within min + 1 s.

export class Backoff {
  private attempt = 0;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** Failed attempts since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The delay before the next attempt: uniform in [min, min(max, min·2^n)]. */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.attempt, 30));
    this.attempt += 1;
    return Math.round(this.minMs + this.random() * (ceiling - this.minMs));
  }

  /** After a stable connection the next failure starts from the minimum again. */
  reset(): void {
    this.attempt = 0;
  }
}
