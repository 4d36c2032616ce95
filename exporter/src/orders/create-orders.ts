// Builds the orders feature from the configuration: store, service, order connection (only when
// IBKR_READONLY=false and the exporter syncs with a gateway), metrics and routes. The router is
// always mounted, so a read-only exporter answers 403 rather than 404.
import type express from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config/config.js';
import type { Health } from '../domain/health.js';
import { ordersRouter } from '../http/orders-routes.js';
import { IbOrderSession } from '../ib/order-session.js';
import type { Collector } from '../metrics/collector.js';
import { ordersCollector } from '../metrics/orders-collector.js';
import type { OrderStore } from '../store/order-store.js';
import { OrderService } from './order-service.js';

export interface Orders {
  readonly service: OrderService;
  readonly router: express.Router;
  readonly collector: Collector;
  /** Opens the order connection, if there is one. */
  start(): void;
  stop(): Promise<void>;
}

export function createOrders(deps: {
  config: Config;
  store: OrderStore;
  health: Health;
  registry: Registry;
  logger: Logger;
  now: () => number;
}): Orders {
  const { config, health, logger } = deps;
  const service = new OrderService({
    store: deps.store,
    readonly: config.ib.readonly,
    limits: config.orders,
    // The sync connection must be live too: without it the fills would not reach the ledger.
    isLive: () => health.gatewayUp && health.serverConnected,
    logger,
    now: deps.now,
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
      service,
    );
    service.attach(session);
  }
  return {
    service,
    router: ordersRouter({ service, token: config.api.token }),
    collector: ordersCollector(deps.registry, {
      submitted: () => service.submitted(),
      openByAccount: () => service.openByAccount(),
      accounts: () => health.accounts,
    }),
    start: () => session?.start(),
    stop: async () => {
      await session?.stop();
    },
  };
}
