// What the Flex schedule has done since the exporter started, as plain state: the collector reads
// it at scrape time. Kept in memory only (see docs/flex-fetch.md): after a restart the first run
// comes soon after start, and the alert counts the exporter's uptime until it succeeds.
import type { FlexImportSummary, FlexOutcome } from '../domain/flex.js';
import { FLEX_FAILURE_REASONS } from './web-service-codes.js';
import type { FlexFailureReason } from './web-service-codes.js';

export const FLEX_OUTCOMES: readonly FlexOutcome[] = ['add', 'merge', 'skip', 'cancel'];

export class FlexScheduleStatus {
  /** Epoch ms of the end of the last successful import. */
  lastSuccessAt?: number;
  /** Seconds the last finished run took, fetch and import, success or not. */
  lastDurationSeconds?: number;
  running = false;
  readonly fills = new Map<FlexOutcome, number>(FLEX_OUTCOMES.map((o) => [o, 0]));
  readonly failures = new Map<FlexFailureReason, number>(FLEX_FAILURE_REASONS.map((r) => [r, 0]));

  succeeded(at: number, durationSeconds: number, summary: FlexImportSummary): void {
    this.lastSuccessAt = at;
    this.lastDurationSeconds = durationSeconds;
    for (const account of summary.accounts) {
      for (const outcome of FLEX_OUTCOMES) {
        this.fills.set(outcome, (this.fills.get(outcome) ?? 0) + account[outcome]);
      }
    }
  }

  failed(reason: FlexFailureReason, durationSeconds: number): void {
    this.lastDurationSeconds = durationSeconds;
    this.failures.set(reason, (this.failures.get(reason) ?? 0) + 1);
  }
}
