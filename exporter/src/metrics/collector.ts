// One collector per concern behind a one-method interface (node_exporter's model). Collectors
// fill their metrics from in-memory state at scrape time; a failing one is reported in the
// meta-metrics and the scrape still completes.
import { performance } from 'node:perf_hooks';
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

export interface Collector {
  readonly name: string;
  /** Sets every metric this collector owns from current state; stale series must not survive. */
  update(): void;
}

export interface MetricsEndpoint {
  readonly contentType: string;
  render(): Promise<string>;
}

export function createMetricsEndpoint(
  registry: Registry,
  collectors: Collector[],
  onError: (collector: string, error: unknown) => void,
): MetricsEndpoint {
  const success = new Gauge({
    name: 'ibkr_exporter_collector_success',
    help: 'Whether the collector succeeded in the last scrape (1) or failed (0).',
    labelNames: ['collector'],
    registers: [registry],
  });
  const duration = new Gauge({
    name: 'ibkr_exporter_collector_duration_seconds',
    help: 'How long the collector took in the last scrape, in seconds.',
    labelNames: ['collector'],
    registers: [registry],
  });
  return {
    contentType: registry.contentType,
    async render() {
      for (const collector of collectors) {
        const started = performance.now();
        try {
          collector.update();
          success.set({ collector: collector.name }, 1);
        } catch (error) {
          success.set({ collector: collector.name }, 0);
          onError(collector.name, error);
        }
        duration.set({ collector: collector.name }, (performance.now() - started) / 1000);
      }
      return registry.metrics();
    },
  };
}

/** A gauge whose series are rebuilt on every scrape. */
export function gauge(registry: Registry, name: string, help: string, labelNames: readonly string[]): Gauge {
  return new Gauge({ name, help, labelNames: [...labelNames], registers: [registry] });
}

type Labels = Record<string, string>;
type Sample = { labels: Labels; sharedLabels: Labels; value: number };
const NO_LABELS: Labels = Object.freeze({}) as Labels;

/**
 * A gauge whose samples are replaced wholesale on every scrape, for the per-position families.
 * prom-client's Gauge hashes and validates the labels of every set(); at 10,000 positions that
 * cost as much again as rendering the text (bench/ scrape benchmark). Here set() only appends, so
 * each label set must be set at most once between two reset()s.
 *
 * The labels go out as prom-client's `sharedLabels`, whose rendered text the registry caches per
 * labels object: a caller that reuses its label objects across scrapes (the position collector
 * caches them on the records) has them escaped and joined once, not on every scrape.
 */
export class SampleGauge {
  readonly type = 'gauge';
  readonly aggregator = 'sum';
  private samples: Sample[] = [];

  constructor(
    registry: Registry,
    readonly name: string,
    readonly help: string,
  ) {
    // The registry only calls name, get() and reset(); it needs no prom-client subclass.
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  reset(): void {
    this.samples = [];
  }

  set(labels: Labels, value: number): void {
    this.samples.push({ labels: NO_LABELS, sharedLabels: labels, value });
  }

  get(): { name: string; help: string; type: 'gauge'; aggregator: 'sum'; values: SampleGauge['samples'] } {
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: this.samples,
    };
  }
}
