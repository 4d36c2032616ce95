// SampleGauge leans on two prom-client internals that no public API promises: the registry
// renders a sample's `sharedLabels` as its labels, and caches that text per labels object
// (lib/registry.js, flattenSharedLabels). package.json pins prom-client to the 15.1 minor
// for that reason; these tests fail loudly when an upgrade changes either.
import { createRequire } from 'node:module';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { SampleGauge } from './collector.js';

describe('SampleGauge on prom-client internals', () => {
  it('is used with the prom-client minor it was written against', () => {
    const pkg = createRequire(import.meta.url)('prom-client/package.json') as { version: string };
    expect(pkg.version, 're-check SampleGauge against lib/registry.js before changing the pin').toMatch(
      /^15\.1\./,
    );
  });

  it('renders sharedLabels as the sample labels, escaped', async () => {
    const registry = new Registry();
    const gauge = new SampleGauge(registry, 'test_value', 'A test value.');
    gauge.set({ account: 'DU1', symbol: 'A "quoted"\\name' }, 1.5);
    gauge.set({ account: 'DU2', symbol: 'B' }, -2);
    expect(await registry.metrics()).toBe(
      '# HELP test_value A test value.\n# TYPE test_value gauge\n' +
        'test_value{account="DU1",symbol="A \\"quoted\\"\\\\name"} 1.5\n' +
        'test_value{account="DU2",symbol="B"} -2\n',
    );
  });

  it('has the label text cached per labels object, so reusing objects skips the escaping', async () => {
    const registry = new Registry();
    const gauge = new SampleGauge(registry, 'test_value', 'A test value.');
    const labels = { symbol: 'before' };
    gauge.set(labels, 1);
    await registry.metrics();
    // The same object, changed behind the cache's back: the cached text must win. If this starts
    // showing "after", prom-client no longer caches and the position collector's label objects
    // buy nothing (see bench/ scrape at 10,000 positions).
    labels.symbol = 'after';
    gauge.reset();
    gauge.set(labels, 2);
    expect(await registry.metrics()).toContain('test_value{symbol="before"} 2');
    gauge.reset();
    gauge.set({ symbol: 'after' }, 3);
    expect(await registry.metrics()).toContain('test_value{symbol="after"} 3');
  });
});
