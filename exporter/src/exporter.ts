// Builds and starts the whole exporter from a Config: store → state → session → metrics → HTTP.
// main.ts and the demo call this; integration tests call it in-process against the simulator.
import pino from 'pino';
import type { Logger } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from './config/config.js';
import type { FlexConfig } from './config/flex-config.js';
import type { Health } from './domain/health.js';
import type { Portfolio } from './domain/portfolio.js';
import { createApp } from './http/app.js';
import { landingRouter } from './http/landing.js';
import { listen } from './http/listener.js';
import type { Listener } from './http/listener.js';
import { openApiRouter } from './http/openapi.js';
import { ordersRouter } from './http/orders-routes.js';
import { restartRouter } from './http/restart-routes.js';
import { FlexSchedule } from './flex/schedule.js';
import { importFlexStatement } from './flex/import-statement.js';
import type { FlexImportResult } from './flex/import-statement.js';
import { FlexScheduleStatus } from './flex/schedule-status.js';
import { fetchFlexStatement } from './flex/web-service-client.js';
import type { FlexRetryPolicy } from './flex/web-service-client.js';
import { IbOrderSession } from './ib/order-session.js';
import { syncRouter } from './http/sync-routes.js';
import { roundTripView } from './http/history-views.js';
import { updatesMessage } from './http/views.js';
import { UpdatesHub } from './http/ws-updates.js';
import { METRICS_SURFACE, surface, surfaceUpgrade } from './http/surface.js';
import type { SurfaceOptions } from './http/surface.js';
import { IbSession } from './ib/session.js';
import type { Session } from './ib/session.js';
import { accountCollector } from './metrics/account-collector.js';
import { createMetricsEndpoint } from './metrics/collector.js';
import type { Collector } from './metrics/collector.js';
import { flexCollector } from './metrics/flex-collector.js';
import { healthCollector } from './metrics/health-collector.js';
import { ordersCollector } from './metrics/orders-collector.js';
import { positionCollector } from './metrics/position-collector.js';
import { restartCollector } from './metrics/restart-collector.js';
import { OrderService } from './orders/order-service.js';
import { OrderTracker } from './orders/order-tracker.js';
import { packageVersion } from './package-info.js';
import { createRestarter } from './restart/create-restarter.js';
import type { OrderStore } from './store/order-store.js';
import { openLedger } from './store/open-ledger.js';
import type { Store } from './store/store.js';
import { storeCollector } from './metrics/store-collector.js';
import { SyncControl } from './sync/sync-control.js';
import { SyncService } from './sync/sync-service.js';

/**
 * Unsent bytes a /ws/updates client may hold before it is dropped: several messages of a large
 * portfolio, and far from what a few dozen stuck clients could do to the process's memory.
 */
const UPDATES_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

export interface Exporter {
  /** The main listener's base URL, e.g. http://127.0.0.1:8000 (https with a TLS web config). */
  readonly url: string;
  /** The REST API's base URL: the API listener's (IBKR_API_PORT), else the main one's. */
  readonly apiUrl: string;
  readonly health: Health;
  readonly portfolio: Portfolio;
  readonly store: Store;
  /** Closes HTTP, then the IB session, then the database, in that order. */
  stop(): Promise<void>;
}

/** Imports one Flex statement into the store for the gateway's managed accounts. */
export type FlexImporter = (
  store: Store,
  xml: string,
  managedAccounts: string[],
) => Promise<FlexImportResult>;

export interface ExporterOptions {
  logger?: Logger;
  now?: () => number;
  /** The Flex import (flex/import-statement.ts); tests hand in a recording one. */
  flexImporter?: FlexImporter;
  /** Retry timings of the Flex Web Service client; tests shorten them. */
  flexRetry?: Partial<FlexRetryPolicy>;
}

export async function startExporter(config: Config, options: ExporterOptions = {}): Promise<Exporter> {
  const logger = options.logger ?? pino({ level: config.logLevel });
  const now = options.now ?? Date.now;
  const version = packageVersion();
  const buildInfo = { version, revision: config.revision, nodeversion: process.version };

  const { store, portfolio, health } = await openLedger(config, logger, now());
  const sync = new SyncService({
    store,
    portfolio,
    health,
    logger,
    now,
    restoreOnReady: store.backend === 'postgres',
  });
  // Built even with IBKR_AUTO_SYNC=false: POST /sync/start may open it later.
  const session: Session = new IbSession(
    {
      host: config.ib.host,
      port: config.ib.port,
      clientId: config.ib.clientId,
      reconnectMinMs: config.ib.reconnectMinMs,
      reconnectMaxMs: config.ib.reconnectMaxMs,
      keepaliveMs: config.ib.keepaliveMs,
      handshakeTimeoutMs: config.ib.handshakeTimeoutMs,
    },
    sync,
  );
  sync.attach(session);
  const control = new SyncControl(session, { logger, now });

  const restarter = createRestarter(config.gateway, { logger, now });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const base = config.ib.baseCurrency;
  const flex =
    config.flex && wireFlex(config.flex, { store, sync, portfolio, health, logger, now, version, options });
  // Orders: always routed (a read-only exporter answers 403); the order connection opens only
  // when IBKR_READONLY=false.
  const orders = wireOrders({ config, store: store.orders(), health, logger, now });
  const ordersMetrics = ordersCollector(registry, {
    submitted: () => orders.service.submitted(),
    openByAccount: () => orders.service.openByAccount(),
    accounts: () => health.accounts,
  });
  const metrics = createMetricsEndpoint(
    registry,
    [
      positionCollector(registry, portfolio, base),
      accountCollector(registry, portfolio, base),
      healthCollector(registry, health, buildInfo),
      storeCollector(registry, health, store.backend),
      restartCollector(registry, restarter),
      ordersMetrics,
      ...(flex ? [flex.collector(registry)] : []),
    ],
    (collector, error) => logger.error({ err: error, collector }, 'collector failed'),
  );

  const app = createApp({
    metrics,
    health,
    portfolio,
    store,
    restarter,
    logger,
    baseCurrency: base,
    vncUrl: config.gateway.vncUrl,
    sync: control,
    corsOrigins: config.http.corsOrigins,
    routers: [
      syncRouter({ control, health, token: config.api.token, now }),
      landingRouter({ ...buildInfo, health, apiPort: config.http.api?.port }),
      restartRouter({ restarter, token: config.api.token }),
      ordersRouter({ service: orders.service, token: config.api.token }),
      openApiRouter(version),
    ],
  });
  const readToken = config.api.readTokenRequired ? config.api.token : undefined;
  const { api: apiAddress, web } = config.http;
  // history: the newest closed round trips, as the first page of GET /positions/history.
  const history = async () => (await store.roundTripHistory({ limit: 100, offset: 0 })).map(roundTripView);
  // One hub for every listener: IBKR_WS_MAX_CLIENTS bounds the process, not each port.
  const updates = new UpdatesHub({
    message: () => updatesMessage(portfolio, base, history),
    maxClients: config.http.updates.maxClients,
    heartbeatMs: config.http.updates.heartbeatMs,
    minIntervalMs: 1000,
    maxBufferedBytes: UPDATES_MAX_BUFFERED_BYTES,
    origins: config.http.corsOrigins,
    logger,
  });
  // Each listener serves /ws/updates behind the same gates as its requests: the web
  // configuration's basic auth (listener) and the read token and path rules (surface).
  const serve = (options: SurfaceOptions, address: { host: string; port: number }) =>
    listen(surface(app, options), { ...address, web, upgrade: surfaceUpgrade(updates.upgrade, options) });
  const listeners: Listener[] = [];
  try {
    listeners.push(
      await serve(apiAddress ? { only: METRICS_SURFACE, readToken } : { readToken }, {
        host: config.http.host,
        port: config.http.port,
      }),
    );
    if (apiAddress) listeners.push(await serve({ readToken }, apiAddress));
  } catch (error) {
    updates.close();
    await Promise.all(listeners.map((listener) => listener.close()));
    throw error;
  }
  const url = listeners[0]!.url;
  const apiUrl = listeners.at(-1)!.url;
  logger.info(
    { url, apiUrl, gateway: `${config.ib.host}:${config.ib.port}`, clientId: config.ib.clientId },
    'exporter listening',
  );

  if (config.ib.autoSync) await control.start();
  orders.start();
  flex?.schedule.start();

  let stopping: Promise<void> | undefined;
  return {
    url,
    apiUrl,
    health,
    portfolio,
    store,
    stop() {
      stopping ??= (async () => {
        updates.close();
        await Promise.all(listeners.map((listener) => listener.close()));
        restarter.close();
        // Aborts a Flex request in flight; an import already fetched finishes before the store closes.
        await flex?.schedule.stop();
        await orders.stop();
        await control.stop();
        await store.close();
        logger.info('exporter stopped');
      })();
      return stopping;
    },
  };
}

/** How often a Flex run waiting for the gateway's managed accounts looks again. */
const FLEX_ACCOUNTS_POLL_MS = 1000;

/**
 * The Flex Web Service import (IBKR_FLEX_TOKEN and IBKR_FLEX_QUERY_ID): the schedule, its client,
 * the import into the store for the gateway's managed accounts, and its result applied to the
 * Portfolio the way a recorded fill is, so /metrics shows imported history without a restart.
 */
function wireFlex(
  flex: FlexConfig,
  deps: {
    store: Store;
    sync: Pick<SyncService, 'inOrder'>;
    portfolio: Portfolio;
    health: Health;
    logger: Logger;
    now: () => number;
    version: string;
    options: ExporterOptions;
  },
): { schedule: FlexSchedule; collector(registry: Registry): Collector } {
  const { store, sync, portfolio, health, logger, now, version, options } = deps;
  const applyImport = (changes: FlexImportResult): void => {
    portfolio.applyLedger(changes.ledger);
    portfolio.applyRoundTrips(changes.roundTrips);
    for (const { account, executions } of changes.executionCounts)
      portfolio.setExecutionCount(account, executions);
  };
  const status = new FlexScheduleStatus();
  const importer = options.flexImporter ?? defaultFlexImporter;
  const schedule = new FlexSchedule({
    pattern: flex.schedule,
    timezone: flex.timezone,
    status,
    logger,
    now,
    fetch: (signal) =>
      fetchFlexStatement({
        baseUrl: flex.url,
        token: flex.token,
        queryId: flex.queryId,
        userAgent: `ibkr-pnl-exporter/${version}`,
        signal,
        retry: options.flexRetry,
        now,
      }),
    // In the sync's order: the Portfolio sees the import's totals and the live fills' as committed.
    importer: (xml) => sync.inOrder(() => importer(store, xml, [...health.accounts]), applyImport),
    // The statement is checked against the accounts the gateway manages: wait until it has named them.
    ready: async (signal) => {
      if (health.accounts.length > 0) return;
      logger.info("flex run waiting for the gateway's managed accounts");
      while (health.accounts.length === 0) await sleep(FLEX_ACCOUNTS_POLL_MS, undefined, { signal });
    },
  });
  return { schedule, collector: (registry) => flexCollector(registry, status) };
}

/** Imports a statement for good: what a dry run shows is `npm run ledger -- import-flex --dry-run`'s. */
const defaultFlexImporter: FlexImporter = (store, xml, managedAccounts) =>
  importFlexStatement(store, xml, { managedAccounts, dryRun: false });

/**
 * The orders feature: tracker and service on the order store, and the order connection, opened
 * only when IBKR_READONLY=false and the exporter syncs with a gateway. The routes are mounted
 * either way, so a read-only exporter answers 403 rather than 404.
 */
function wireOrders(deps: {
  config: Config;
  store: OrderStore;
  health: Health;
  logger: Logger;
  now: () => number;
}): { service: OrderService; start(): void; stop(): Promise<void> } {
  const { config, store, health, logger, now } = deps;
  const tracker = new OrderTracker({ store, clientId: config.ib.orderClientId, logger, now });
  const service = new OrderService({
    store,
    tracker,
    readonly: config.ib.readonly,
    limits: config.orders,
    // The sync connection must be live too: without it the fills would not reach the ledger.
    isLive: () => health.gatewayUp && health.serverConnected,
    logger,
    now,
  });
  let session: IbOrderSession | undefined;
  if (!config.ib.readonly && config.ib.autoSync) {
    session = new IbOrderSession(
      {
        host: config.ib.host,
        port: config.ib.port,
        clientId: config.ib.orderClientId,
        reconnectMinMs: config.ib.reconnectMinMs,
        reconnectMaxMs: config.ib.reconnectMaxMs,
        handshakeTimeoutMs: config.ib.handshakeTimeoutMs,
        keepaliveMs: config.ib.keepaliveMs,
      },
      tracker,
    );
    service.attach(session);
  }
  return {
    service,
    start: () => session?.start(),
    stop: async () => {
      await session?.stop();
      // The order updates already received are stored before the database closes.
      await tracker.idle();
    },
  };
}
