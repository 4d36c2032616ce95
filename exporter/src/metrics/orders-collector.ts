// ibkr_orders_submitted_total and ibkr_orders_open, filled from the order service at scrape time.
import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';
import type { SubmitResult } from '../orders/order-service.js';
import type { Collector } from './collector.js';
import { gauge } from './collector.js';

export interface OrdersSource {
  /** Counts by `SIDE|TYPE|result`, e.g. `BUY|MKT|placed`. */
  submitted(): ReadonlyMap<string, number>;
  openByAccount(): Map<string, number>;
  /** Accounts known to exist, so each has an open-orders series even at 0. */
  accounts(): readonly string[];
}

const SIDES = ['buy', 'sell'] as const;
const TYPES = ['MKT', 'LMT'] as const;
const RESULTS: readonly SubmitResult[] = ['placed', 'rejected', 'failed'];

export function ordersCollector(registry: Registry, source: OrdersSource): Collector {
  const submitted = new Counter({
    name: 'ibkr_orders_submitted_total',
    help: 'Orders submitted to POST /orders by side, order type and result: placed (sent to the gateway), rejected (refused by the exporter, nothing sent) or failed (refused by the gateway or not sent).',
    labelNames: ['side', 'order_type', 'result'],
    registers: [registry],
  });
  const open = gauge(
    registry,
    'ibkr_orders_open',
    'Orders placed through the API that are not yet Filled, Cancelled or Inactive, by account.',
    ['account'],
  );
  return {
    name: 'orders',
    update() {
      submitted.reset();
      open.reset();
      // Every combination exists from the start, so rate() and absent() work before the first order.
      for (const side of SIDES)
        for (const type of TYPES)
          for (const result of RESULTS) submitted.inc({ side, order_type: type, result }, 0);
      for (const [key, count] of source.submitted()) {
        const [side = '', type = '', result = ''] = key.split('|');
        submitted.inc({ side: side.toLowerCase(), order_type: type, result }, count);
      }
      for (const account of source.accounts()) open.set({ account }, 0);
      for (const [account, count] of source.openByAccount()) open.set({ account }, count);
    },
  };
}
