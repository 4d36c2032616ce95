// The seam for restarting the IB Gateway. GatewayRestartService (gateway-restarter.ts) implements it
// with a Kubernetes rollout restart or a flag file (cold) and IBC's command-server RESTART (soft);
// whenever IBKR_GATEWAY_RESTART_ENABLED is false, the disabled restarter answers.

/** cold: the gateway process is replaced and needs a full login with 2FA; soft: IBC restarts it in place. */
export type RestartMode = 'cold' | 'soft';
export const RESTART_MODES = ['cold', 'soft'] as const satisfies readonly RestartMode[];

export type RestartStatus =
  | { state: 'idle' }
  | { state: 'in_progress'; mode: RestartMode; startedAt: number; message?: string }
  | {
      state: 'succeeded' | 'failed';
      mode: RestartMode;
      startedAt: number;
      finishedAt: number;
      message?: string;
    };

/** Finished restarts by mode and result since the exporter started (ibkr_gateway_restarts_total). */
export type RestartOutcomes = Record<RestartMode, { success: number; failure: number }>;

export interface GatewayRestarter {
  readonly enabled: boolean;
  /**
   * Starts a restart and resolves once the gateway's side has accepted it (Kubernetes took the
   * patch, IBC acknowledged, the flag file is written); progress is read with status(). Rejects
   * with a RestartError.
   */
  restart(mode: RestartMode): Promise<RestartStatus>;
  status(): RestartStatus;
  outcomes(): RestartOutcomes;
}

/**
 * Why a restart was refused or failed. The HTTP layer maps each to a status code:
 * disabled 403; busy (cooldown or in progress) and paused 409; unauthorized/upstream 502;
 * not_found and failed 500; timeout 504.
 */
export type RestartErrorReason =
  'disabled' | 'busy' | 'paused' | 'unauthorized' | 'not_found' | 'timeout' | 'upstream' | 'failed';

export class RestartError extends Error {
  constructor(
    readonly reason: RestartErrorReason,
    message: string,
    options?: { cause?: unknown; retryAfterMs?: number },
  ) {
    super(message, options);
    this.name = 'RestartError';
    this.retryAfterMs = options?.retryAfterMs;
  }
  /** For busy: how long until a restart would be accepted (Retry-After). */
  readonly retryAfterMs: number | undefined;
}

export class RestartDisabledError extends RestartError {
  constructor() {
    super('disabled', 'gateway restart is disabled: set IBKR_GATEWAY_RESTART_ENABLED=true');
    this.name = 'RestartDisabledError';
  }
}

export const zeroOutcomes = (): RestartOutcomes => ({
  cold: { success: 0, failure: 0 },
  soft: { success: 0, failure: 0 },
});

export const disabledRestarter = {
  enabled: false,
  restart(): Promise<RestartStatus> {
    return Promise.reject(new RestartDisabledError());
  },
  status(): RestartStatus {
    return { state: 'idle' };
  },
  outcomes: zeroOutcomes,
} satisfies GatewayRestarter;
