// POST /gateway/restart (bearer token) and GET /gateway/restart (status).
import express from 'express';
import type { RestartStatusView } from '../restart/restart-schema.js';
import { restartRequestSchema } from '../restart/restart-schema.js';
import { RestartError } from '../restart/restarter.js';
import type { GatewayRestarter, RestartErrorReason, RestartStatus } from '../restart/restarter.js';
import { requireBearer } from './auth.js';
import { HttpError } from './http-error.js';

const STATUS_OF: Record<RestartErrorReason, number> = {
  disabled: 403,
  busy: 409,
  paused: 409,
  // The exporter is a gateway to Kubernetes / IBC here: their refusal is a bad upstream answer.
  unauthorized: 502,
  upstream: 502,
  not_found: 500,
  failed: 500,
  timeout: 504,
};

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/** The JSON view of a restart status; /sync/health can use it too. */
export function restartStatusView(enabled: boolean, status: RestartStatus): RestartStatusView {
  if (status.state === 'idle') {
    return { enabled, state: 'idle', mode: null, started_at: null, finished_at: null, message: null };
  }
  return {
    enabled,
    state: status.state,
    mode: status.mode,
    started_at: iso(status.startedAt),
    finished_at: iso('finishedAt' in status ? status.finishedAt : undefined),
    message: status.message ?? null,
  };
}

export function restartRouter(deps: {
  restarter: GatewayRestarter;
  token: string | undefined;
}): express.Router {
  const { restarter } = deps;
  const router = express.Router();

  router.get('/gateway/restart', (_req, res) => {
    res.json(restartStatusView(restarter.enabled, restarter.status()));
  });

  // The token is checked before the body is read: an anonymous caller learns nothing, not even
  // whether restarts are enabled.
  router.post(
    '/gateway/restart',
    requireBearer(deps.token),
    express.json({ limit: '1kb' }),
    async (req, res) => {
      if (!restarter.enabled)
        throw new HttpError(403, 'gateway restart is disabled: set IBKR_GATEWAY_RESTART_ENABLED=true');
      // A form-encoded mode=soft must not silently become the default cold restart.
      const hasBody =
        req.get('transfer-encoding') !== undefined || Number(req.get('content-length') ?? 0) > 0;
      if (hasBody && !req.is('application/json'))
        throw new HttpError(415, 'send the body as application/json');
      // No body (curl -X POST) means the default mode, as in the seed.
      const body = restartRequestSchema.safeParse(req.body ?? {});
      if (!body.success) {
        throw new HttpError(
          422,
          'invalid restart request',
          body.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message })),
        );
      }
      try {
        const status = await restarter.restart(body.data.mode);
        res.status(202).json(restartStatusView(restarter.enabled, status));
      } catch (error) {
        if (!(error instanceof RestartError)) throw error;
        if (error.retryAfterMs !== undefined)
          res.set('Retry-After', String(Math.ceil(error.retryAfterMs / 1000)));
        throw new HttpError(STATUS_OF[error.reason], error.message, undefined, { cause: error });
      }
    },
  );

  return router;
}
