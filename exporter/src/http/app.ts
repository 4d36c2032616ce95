// The HTTP surface as a value (createApp(deps)), so tests call it in-process on an ephemeral port.
import cors from 'cors';
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
import type { SyncRun } from '../sync/sync-control.js';
import { HttpError } from './http-error.js';
import { historyRouter } from './history-routes.js';
import { sinceSchema } from './history-views.js';
import { restartStatusView } from './restart-routes.js';
import { checkAccount, pnlSummary, positionsView, syncStatusView, tradesView } from './views.js';

export interface AppDeps {
  metrics: MetricsEndpoint;
  health: Health;
  portfolio: Portfolio;
  store: Store;
  restarter: GatewayRestarter;
  logger: Logger;
  baseCurrency: string;
  vncUrl?: string;
  /** Whether the exporter is syncing with the gateway (IBKR_AUTO_SYNC, POST /sync/stop and /sync/start). */
  sync: SyncRun;
  /** Browser origins allowed to call the API (IBKR_CORS_ORIGINS); none: no CORS headers at all. */
  corsOrigins?: string[];
  /** Feature routers (orders, gateway restart) mounted before the 404 handler. */
  routers?: express.Router[];
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

const accountQuery = z.object({ account: z.string().min(1).optional() }).strict();

function parseQuery<T extends z.ZodType>(schema: T, query: unknown): z.output<T> {
  const parsed = schema.safeParse(query);
  if (!parsed.success) {
    throw new HttpError(
      400,
      'invalid query',
      parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(query)', message: i.message })),
    );
  }
  return parsed.data;
}

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
  const origins = deps.corsOrigins ?? [];
  if (origins.length > 0) {
    // Preflights are answered here (204) for allowed origins; the bearer token is still checked on
    // the request that follows, CORS only lets the browser send it. No cookies: no credentials.
    app.use(
      cors({
        origin: origins.includes('*') ? '*' : origins,
        methods: ['GET', 'POST'],
        allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key'],
        exposedHeaders: ['Idempotent-Replayed', 'Link', 'Retry-After', 'WWW-Authenticate'],
        maxAge: 600,
      }),
    );
  }
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
    res.json({
      ...syncStatusView(health, deps.sync),
      ibkr_connected: health.gatewayUp && health.serverConnected,
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

  // The lists are bare JSON arrays, as the IBKR PnL Tracker answered them: its clients iterate the
  // answer itself. Paging goes in a Link header (RFC 8288), as GitHub's API does.
  app.get('/positions', (req, res) => {
    const { account } = parseQuery(accountQuery, req.query);
    checkAccount(deps.portfolio, account);
    res.json(positionsView(deps.portfolio, deps.baseCurrency, account));
  });

  app.use(historyRouter(deps.store));

  app.get('/trades', async (req, res) => {
    const { account, symbol, since, limit } = parseQuery(tradesQuery, req.query);
    const trades = await deps.store.trades({ account, symbol, sinceMs: since, limit });
    res.json(tradesView(trades));
  });

  app.get('/pnl/summary', (req, res) => {
    const { account } = parseQuery(accountQuery, req.query);
    checkAccount(deps.portfolio, account);
    res.json(pnlSummary(deps.portfolio, deps.baseCurrency, account));
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
