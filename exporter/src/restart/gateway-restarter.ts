// The enabled GatewayRestarter: one restart at a time, a cooldown between them (each cold restart
// costs a 2FA login), the state of the last one for /gateway/restart and /sync/health, and the
// counts behind ibkr_gateway_restarts_total.
import type { Logger } from 'pino';
import type { RestartAction } from './actions.js';
import { RestartError, zeroOutcomes } from './restarter.js';
import type { GatewayRestarter, RestartMode, RestartOutcomes, RestartStatus } from './restarter.js';

export interface GatewayRestartServiceOptions {
  actions: Record<RestartMode, RestartAction>;
  /** Minimum time from one accepted restart to the next (IBKR_GATEWAY_RESTART_COOLDOWN_SECONDS). */
  cooldownMs: number;
  now: () => number;
  logger: Logger;
}

const iso = (ms: number) => new Date(ms).toISOString();

export class GatewayRestartService implements GatewayRestarter {
  readonly enabled = true;
  #status: RestartStatus = { state: 'idle' };
  /** When the last restart the gateway's side accepted began; failures before that do not count. */
  #lastAcceptedAt: number | undefined;
  readonly #outcomes = zeroOutcomes();
  readonly #closed = new AbortController();

  constructor(private readonly options: GatewayRestartServiceOptions) {}

  status(): RestartStatus {
    return this.#status;
  }

  outcomes(): RestartOutcomes {
    return { cold: { ...this.#outcomes.cold }, soft: { ...this.#outcomes.soft } };
  }

  async restart(mode: RestartMode): Promise<RestartStatus> {
    const { now, logger, cooldownMs } = this.options;
    const startedAt = now();
    const current = this.#status;
    if (current.state === 'in_progress') {
      throw new RestartError(
        'busy',
        `a ${current.mode} restart is in progress since ${iso(current.startedAt)}`,
      );
    }
    if (this.#lastAcceptedAt !== undefined && startedAt < this.#lastAcceptedAt + cooldownMs) {
      const allowedAt = this.#lastAcceptedAt + cooldownMs;
      throw new RestartError(
        'busy',
        `the last restart began at ${iso(this.#lastAcceptedAt)}; the next is allowed from ${iso(allowedAt)} (IBKR_GATEWAY_RESTART_COOLDOWN_SECONDS)`,
        { retryAfterMs: allowedAt - startedAt },
      );
    }
    // Set before the first await, so a concurrent request sees this one in progress.
    this.#status = { state: 'in_progress', mode, startedAt };
    const isCurrent = () => this.#status.state === 'in_progress' && this.#status.startedAt === startedAt;

    let accepted;
    try {
      accepted = await this.options.actions[mode].start((message) => {
        if (isCurrent()) this.#status = { state: 'in_progress', mode, startedAt, message };
      }, this.#closed.signal);
    } catch (error) {
      const failure =
        error instanceof RestartError
          ? error
          : new RestartError('failed', (error as Error).message, { cause: error });
      if (failure.reason === 'paused') {
        // Nothing was attempted: the deployment's owner paused it on purpose.
        this.#status = current;
        logger.warn({ mode, reason: failure.reason }, failure.message);
      } else {
        this.#finish(mode, startedAt, 'failed', failure.message);
        logger.error(
          { mode, reason: failure.reason, err: failure.cause },
          `gateway restart failed: ${failure.message}`,
        );
      }
      throw failure;
    }

    this.#lastAcceptedAt = startedAt;
    logger.warn({ mode }, `gateway restart: ${accepted.message}`);
    if (accepted.completion === undefined) {
      this.#finish(mode, startedAt, 'succeeded', accepted.message);
      return this.#status;
    }
    this.#status = { state: 'in_progress', mode, startedAt, message: accepted.message };
    accepted.completion.then(
      (message) => {
        if (this.#closed.signal.aborted) return;
        this.#finish(mode, startedAt, 'succeeded', message);
        logger.warn({ mode }, `gateway restart: ${message}`);
      },
      (error: unknown) => {
        if (this.#closed.signal.aborted) return;
        const message = (error as Error).message;
        this.#finish(mode, startedAt, 'failed', message);
        logger.error({ mode, err: error }, `gateway restart failed: ${message}`);
      },
    );
    return this.#status;
  }

  /** Stops following a rollout (exporter shutdown); the restart itself is not undone. */
  close(): void {
    this.#closed.abort();
  }

  #finish(mode: RestartMode, startedAt: number, state: 'succeeded' | 'failed', message: string): void {
    this.#outcomes[mode][state === 'succeeded' ? 'success' : 'failure'] += 1;
    this.#status = { state, mode, startedAt, finishedAt: this.options.now(), message };
  }
}
