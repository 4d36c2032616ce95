// The seam for restarting the IB Gateway. Implementations (a Kubernetes rollout restart, IBC's
// command-server RESTART, a flag file for compose) arrive with the restart API; until then, and
// whenever IBKR_GATEWAY_RESTART_ENABLED is false, the disabled restarter answers.

/** cold: the gateway process is replaced and needs a full login with 2FA; soft: IBC restarts it in place. */
export type RestartMode = 'cold' | 'soft';

export type RestartStatus =
  | { state: 'idle' }
  | { state: 'in_progress'; mode: RestartMode; startedAt: number }
  | {
      state: 'succeeded' | 'failed';
      mode: RestartMode;
      startedAt: number;
      finishedAt: number;
      message?: string;
    };

export interface GatewayRestarter {
  readonly enabled: boolean;
  /** Starts a restart and returns at once; progress is read with status(). */
  restart(mode: RestartMode): Promise<RestartStatus>;
  status(): RestartStatus;
}

export class RestartDisabledError extends Error {
  constructor() {
    super('gateway restart is disabled: set IBKR_GATEWAY_RESTART_ENABLED=true');
    this.name = 'RestartDisabledError';
  }
}

export const disabledRestarter = {
  enabled: false,
  restart(): Promise<RestartStatus> {
    return Promise.reject(new RestartDisabledError());
  },
  status(): RestartStatus {
    return { state: 'idle' };
  },
} satisfies GatewayRestarter;
