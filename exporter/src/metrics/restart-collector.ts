// ibkr_gateway_restarts_total and ibkr_gateway_restart_in_progress, read from the restarter at
// scrape time. Every mode × result series exists from the start (also when restarts are
// disabled), so `increase()` and alerts see the first failure rather than a series appearing.
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { RESTART_MODES } from '../restart/restarter.js';
import type { GatewayRestarter } from '../restart/restarter.js';
import type { Collector } from './collector.js';

export function restartCollector(registry: Registry, restarter: GatewayRestarter): Collector {
  const restarts = new Counter({
    name: 'ibkr_gateway_restarts_total',
    help: 'Gateway restarts finished through POST /gateway/restart, by mode (cold, soft) and result (success, failure); refusals (disabled, cooldown, paused) are not counted.',
    labelNames: ['mode', 'result'],
    registers: [registry],
  });
  const inProgress = new Gauge({
    name: 'ibkr_gateway_restart_in_progress',
    help: 'Whether a gateway restart is in progress (1), e.g. a Kubernetes rollout not yet complete, or not (0).',
    registers: [registry],
  });
  return {
    name: 'restart',
    update() {
      restarts.reset();
      const outcomes = restarter.outcomes();
      for (const mode of RESTART_MODES) {
        restarts.inc({ mode, result: 'success' }, outcomes[mode].success);
        restarts.inc({ mode, result: 'failure' }, outcomes[mode].failure);
      }
      inProgress.set(restarter.status().state === 'in_progress' ? 1 : 0);
    },
  };
}
