// The HTTP surface as a value (createApp(deps)), so tests call it in-process on an ephemeral port.
import compression from 'compression';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Health } from '../domain/health.js';
import type { Portfolio } from '../domain/portfolio.js';
import type { MetricsEndpoint } from '../metrics/collector.js';
import type { GatewayRestarter } from '../restart/restarter.js';
import type { Store } from '../store/store.js';
import { HttpError } from './http-error.js';
import { historyRouter } from './history-routes.js';
import { sinceSchema } from './history-views.js';
import { restartStatusView } from './restart-routes.js';
import { pnlSummary, positionsView, tradesView } from './views.js';

export interface AppDeps {
  metrics: MetricsEndpoint;
  health: Health;
  portfolio: Portfolio;
  store: Store;
  restarter: GatewayRestarter;
  logger: Logger;
  baseCurrency: string;
  vncUrl?: string;
  /** Whether the exporter is syncing with the gateway (IBKR_AUTO_SYNC). */
  syncing: boolean;
  /** Feature routers (orders, gateway restart) mounted before the 404 handler. */
  routers?: express.Router[];
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

const tradesQuery = z
  .object({
    account: z.string().min(1).optional(),
    symbol: z.string().min(1).optional(),
    since: sinceSchema,
    limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  })
  .strict();

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // gzip when the client asks (Prometheus sends Accept-Encoding: gzip): /metrics at 10,000
  // positions is megabytes of text that compresses about tenfold (bench/ scrape rows).
  app.use(compression());

  app.get('/metrics', async (_req, res) => {
    const body = await deps.metrics.render();
    res.type(deps.metrics.contentType).send(body);
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  // Ready means "can serve what we know", not "the gateway is up": Prometheus must keep scraping
  // a down gateway so the alert on ibkr_gateway_up can fire.
  app.get('/readyz', (_req, res) => {
    if (!deps.store.isOpen()) res.status(503).json({ status: 'not ready', error: 'database is closed' });
    else if (!deps.health.storeUp) {
      res.status(503).json({
        status: 'not ready',
        error: `database unreachable: ${deps.health.storeError ?? 'unknown error'}`,
      });
    } else res.json({ status: 'ready' });
  });

  app.get('/sync/health', (_req, res) => {
    const { health } = deps;
    const lastUpdate = Math.max(...health.streams.values());
    res.json({
      running: deps.syncing,
      connected: health.gatewayUp,
      ibkr_connected: health.gatewayUp && health.serverConnected,
      started_at: iso(health.startedAt),
      last_connected_at: iso(health.lastConnectedAt),
      last_disconnected_at: iso(health.lastDisconnectedAt),
      last_update: iso(Number.isFinite(lastUpdate) ? lastUpdate : undefined),
      error: health.lastError ?? null,
      vnc_url: deps.vncUrl ?? null,
      accounts: health.accounts,
      state: health.state,
      state_since: iso(health.stateSince),
      competing_session: health.competingSession,
      farms: Object.fromEntries(health.farms),
      heartbeat: {
        last_at: iso(health.lastHeartbeatAt),
        rtt_seconds: health.heartbeatRttMs === undefined ? null : health.heartbeatRttMs / 1000,
      },
      reconnect_attempts: health.reconnectAttempts,
      handshake_timeouts: health.handshakeTimeouts,
      heartbeat_timeouts: health.heartbeatTimeouts,
      gateway_restart: restartStatusView(deps.restarter.enabled, deps.restarter.status()),
      streams: Object.fromEntries([...health.streams].map(([stream, at]) => [stream, iso(at)])),
      store: {
        backend: deps.store.backend,
        database: deps.store.location,
        up: health.storeUp,
        schema_version: health.storeSchemaVersion ?? null,
        error: health.storeUp ? null : (health.storeError ?? null),
      },
    });
  });

  app.get('/positions', (_req, res) => {
    res.json({ positions: positionsView(deps.portfolio, deps.baseCurrency) });
  });

  app.use(historyRouter(deps.store));

  app.get('/trades', async (req, res) => {
    const query = tradesQuery.safeParse(req.query);
    if (!query.success) {
      throw new HttpError(
        400,
        'invalid query',
        query.error.issues.map((i) => ({ field: i.path.join('.') || '(query)', message: i.message })),
      );
    }
    const { account, symbol, since, limit } = query.data;
    const trades = await deps.store.trades({ account, symbol, sinceMs: since, limit });
    res.json({ trades: tradesView(trades) });
  });

  app.get('/pnl/summary', (_req, res) => {
    res.json(pnlSummary(deps.portfolio, deps.baseCurrency));
  });

  for (const router of deps.routers ?? []) app.use(router);

  app.use((req: Request) => {
    throw new HttpError(404, `no route for ${req.method} ${req.path}`);
  });

  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (error instanceof HttpError) {
      res
        .status(error.status)
        .json({ error: error.message, ...(error.details ? { details: error.details } : {}) });
      return;
    }
    // express's own errors (a malformed URL, say) carry a 4xx status.
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).json({ error: (error as Error).message });
      return;
    }
    deps.logger.error({ err: error }, 'request failed');
    res.status(500).json({ error: 'internal error' });
  });

  return app;
}
