// Stopping and resuming the gateway sync at run time (the IBKR PnL Tracker's POST /sync/stop and
// /sync/start): stopping closes the sync connection and keeps everything stored; starting opens it
// again, which backfills what was missed. Calls are serialised, so a start during a stop waits.
import type { Logger } from 'pino';
import type { Session } from '../ib/session.js';

/** What the status endpoints show about the sync run. */
export interface SyncRun {
  readonly running: boolean;
  /** When the current (or last) run started; undefined if the sync never ran. */
  readonly startedAt?: number;
}

export class SyncControl implements SyncRun {
  private isRunning = false;
  private started?: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly session: Session,
    private readonly deps: { logger: Logger; now: () => number },
  ) {}

  get running(): boolean {
    return this.isRunning;
  }

  get startedAt(): number | undefined {
    return this.started;
  }

  /** Connects (and keeps reconnecting); a no-op while running. */
  start(): Promise<void> {
    return this.serialise(async () => {
      if (this.isRunning) return;
      this.isRunning = true;
      this.started = this.deps.now();
      this.session.start();
      this.deps.logger.info('gateway sync started');
    });
  }

  /** Cancels the subscriptions and closes the connection; resolves once it is closed. */
  stop(): Promise<void> {
    return this.serialise(async () => {
      if (!this.isRunning) return;
      this.isRunning = false;
      await this.session.stop();
      this.deps.logger.info('gateway sync stopped');
    });
  }

  private serialise(step: () => Promise<void>): Promise<void> {
    const next = this.queue.then(step);
    // A failed step must not wedge the ones after it; its caller still sees the failure.
    this.queue = next.catch(() => undefined);
    return next;
  }
}
