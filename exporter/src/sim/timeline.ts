// Runs a scenario's timeline: each event fires at its atMs after start() was called.
import type { TimelineEvent } from './scenario.js';

export class Timeline {
  private readonly timers = new Set<NodeJS.Timeout>();
  private started = false;

  constructor(
    private readonly events: readonly TimelineEvent[],
    private readonly run: (event: TimelineEvent) => void,
  ) {}

  /** Starts the clock; later calls do nothing (the timeline runs once per simulator). */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const event of this.events) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.run(event);
      }, event.atMs);
      this.timers.add(timer);
    }
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
