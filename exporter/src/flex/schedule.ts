// Runs the Flex fetch and import on IBKR_FLEX_SCHEDULE (a cron expression, croner), and once soon
// after start when no import has succeeded within one schedule period, so a new user gets history
// without waiting for the next run. One run at a time: a tick during a run is skipped. Every run
// waits for the gateway's managed accounts first (a statement for an account the exporter does not
// manage is refused). stop() aborts the request in flight and waits for the run to end.
import { Cron } from 'croner';
import type { Logger } from 'pino';
import { FlexInputError } from '../domain/flex.js';
import type { FlexImportResult } from '../store/store.js';
import type { FlexScheduleStatus } from './schedule-status.js';
import { FlexServiceError } from './web-service-codes.js';
import type { FlexFailureReason } from './web-service-codes.js';

/** IB's statement clock: daily statements are ready by 05:00 New York time. */
export const FLEX_SCHEDULE_TIMEZONE = 'America/New_York';
/** 06:30 New York time every day: 90 minutes after IB's statements are ready. */
export const FLEX_DEFAULT_SCHEDULE = '30 6 * * *';

export interface FlexScheduleOptions {
  /** A cron expression, read in FLEX_SCHEDULE_TIMEZONE. */
  pattern: string;
  timezone?: string;
  fetch(signal: AbortSignal): Promise<string>;
  importer(xml: string): Promise<FlexImportResult>;
  /** Resolves once the gateway has named its managed accounts. */
  ready(signal: AbortSignal): Promise<void>;
  /** What to do with a committed import's result, when the importer has not already applied it. */
  onImported?(changes: FlexImportResult): void;
  status: FlexScheduleStatus;
  logger: Logger;
  now?: () => number;
}

export type FlexTrigger = 'start' | 'schedule';

export class FlexSchedule {
  private readonly abort = new AbortController();
  private cron?: Cron;
  private run?: Promise<void>;
  private readonly now: () => number;

  constructor(private readonly options: FlexScheduleOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Starts the cron job, and the catch-up run when the last success is older than a period. */
  start(): void {
    const { pattern, timezone = FLEX_SCHEDULE_TIMEZONE, status, logger } = this.options;
    this.cron = new Cron(pattern, { timezone }, () => void this.runNow('schedule'));
    const [next, after] = this.cron.nextRuns(2);
    const periodMs = next && after ? after.getTime() - next.getTime() : Infinity;
    const last = status.lastSuccessAt;
    const due = last === undefined || this.now() - last > periodMs;
    logger.info(
      { schedule: pattern, timezone, next: next?.toISOString(), catchUp: due },
      'flex schedule started',
    );
    if (due) void this.runNow('start');
  }

  /** One fetch and import; while one runs, another request only waits for it. */
  runNow(trigger: FlexTrigger): Promise<void> {
    if (this.abort.signal.aborted) return Promise.resolve();
    if (this.run) {
      this.options.logger.warn({ trigger }, 'flex run skipped: the previous one is still running');
      return this.run;
    }
    this.run = this.execute(trigger).finally(() => {
      this.run = undefined;
      this.options.status.running = false;
    });
    return this.run;
  }

  /** Resolves when no run is in progress. */
  async idle(): Promise<void> {
    await this.run;
  }

  async stop(): Promise<void> {
    this.cron?.stop();
    this.abort.abort(new Error('the exporter is stopping'));
    await this.run;
  }

  private async execute(trigger: FlexTrigger): Promise<void> {
    const { status, logger } = this.options;
    const signal = this.abort.signal;
    try {
      await this.options.ready(signal);
    } catch (error) {
      if (!signal.aborted) logger.error({ trigger, err: error }, 'flex run skipped: no managed accounts');
      return;
    }
    status.running = true;
    const started = this.now();
    const seconds = () => (this.now() - started) / 1000;
    let xml: string;
    try {
      xml = await this.options.fetch(signal);
    } catch (error) {
      if (signal.aborted) {
        logger.info({ trigger }, 'flex fetch aborted: the exporter is stopping');
        return;
      }
      this.failed(trigger, error instanceof FlexServiceError ? error.reason : 'network', error, seconds());
      return;
    }
    let changes: FlexImportResult;
    try {
      changes = await this.options.importer(xml);
    } catch (error) {
      this.failed(
        trigger,
        error instanceof FlexInputError ? 'statement_invalid' : 'import_failed',
        error,
        seconds(),
      );
      return;
    }
    status.succeeded(this.now(), seconds(), changes.summary);
    this.options.onImported?.(changes);
    logger.info(
      { trigger, durationSeconds: seconds(), accounts: changes.summary.accounts },
      'flex statement imported',
    );
  }

  private failed(trigger: FlexTrigger, reason: FlexFailureReason, error: unknown, seconds: number): void {
    this.options.status.failed(reason, seconds);
    // The message only: every error reaching here was built without the token or a URL.
    const message = error instanceof Error ? error.message : String(error);
    const code = error instanceof FlexServiceError ? error.code : undefined;
    this.options.logger.error({ trigger, reason, code, error: message }, 'flex import failed');
  }
}
