// Dead-connection detection for a gateway that keeps the TCP socket open but stops answering
// (a hung JVM, a login dialog stuck on screen). The idea is ib_insync's Watchdog: probe with
// reqCurrentTime and only give up after two unanswered probes.
//
// A probe still unanswered at the next keepalive tick is the first miss; the next probe then has
// a short grace period, and if neither is answered by its end that is the second miss and the
// connection is dead. So a hang is detected within 2 × keepalive + grace.

export type TickAction = 'probe' | 'last_chance';

/** Probes kept for round-trip matching; more than this are old news. */
const MAX_OUTSTANDING = 8;

export class Heartbeat {
  private readonly sent: number[] = [];

  /** A probe was sent at `now`; 'last_chance' when the previous one is still unanswered. */
  tick(now: number): TickAction {
    const missed = this.sent.length > 0;
    this.sent.push(now);
    if (this.sent.length > MAX_OUTSTANDING) this.sent.shift();
    return missed ? 'last_chance' : 'probe';
  }

  /** A currentTime answer arrived; answers come in order, so it belongs to the oldest probe. */
  answered(now: number): number | undefined {
    const at = this.sent.shift();
    return at === undefined ? undefined : Math.max(0, now - at);
  }

  /** At the end of a last chance: dead when neither the missed probe nor the new one was answered. */
  isDead(): boolean {
    return this.sent.length >= 2;
  }

  reset(): void {
    this.sent.length = 0;
  }
}

/** Grace of the last-chance probe: a second, or half the interval for very short intervals. */
export function graceMs(keepaliveMs: number): number {
  return Math.min(1000, keepaliveMs / 2);
}
