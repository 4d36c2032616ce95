// The Flex Web Service import: registered only when IBKR_FLEX_TOKEN and IBKR_FLEX_QUERY_ID are set,
// so an exporter without Flex serves none of these families (as node_exporter's disabled
// collectors serve nothing). Every outcome and reason series exists from the start, so
// `increase()` sees the first failure; the last-success gauge is 0 until an import succeeds, as
// ibkr_gateway_last_heartbeat_timestamp_seconds is before the first probe (prom-client always
// serves a label-less gauge).
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { FLEX_OUTCOMES } from '../flex/schedule-status.js';
import type { FlexScheduleStatus } from '../flex/schedule-status.js';
import { FLEX_FAILURE_REASONS } from '../flex/web-service-codes.js';
import type { Collector } from './collector.js';

export function flexCollector(registry: Registry, status: FlexScheduleStatus): Collector {
  const lastSuccess = new Gauge({
    name: 'ibkr_flex_last_success_timestamp_seconds',
    help: 'Time the last Flex statement fetched from the Flex Web Service was imported into the ledger; 0 until one succeeds after start.',
    registers: [registry],
  });
  const fills = new Counter({
    name: 'ibkr_flex_imported_fills_total',
    help: "Trades of the Flex statements imported since start, by what the import did with each (add: new fill, merge: completed the API's half, skip: already stored, cancel: a stored fill the statement cancels).",
    labelNames: ['outcome'],
    registers: [registry],
  });
  const failures = new Counter({
    name: 'ibkr_flex_import_failures_total',
    help: 'Flex Web Service fetches or imports that failed since start, by reason (token_expired, token_invalid, query_invalid, access_denied, rate_limited, service_error, network, statement_invalid, import_failed).',
    labelNames: ['reason'],
    registers: [registry],
  });
  const duration = new Gauge({
    name: 'ibkr_flex_import_duration_seconds',
    help: 'How long the last finished Flex run took, both Web Service steps with their retries and the import, in seconds; 0 before the first one.',
    registers: [registry],
  });
  return {
    name: 'flex',
    update() {
      lastSuccess.reset();
      if (status.lastSuccessAt !== undefined) lastSuccess.set(status.lastSuccessAt / 1000);
      fills.reset();
      for (const outcome of FLEX_OUTCOMES) fills.inc({ outcome }, status.fills.get(outcome) ?? 0);
      failures.reset();
      for (const reason of FLEX_FAILURE_REASONS) failures.inc({ reason }, status.failures.get(reason) ?? 0);
      duration.reset();
      if (status.lastDurationSeconds !== undefined) duration.set(status.lastDurationSeconds);
    },
  };
}
