// Every benchmark at a tiny size, with the exporter inline, so that none of them can rot between
// the runs of `npm run bench`. Numbers at this size mean nothing; that they are produced does.
import { describe, expect, it } from 'vitest';
import { formatSummary, renderTable, row, summarize } from './stats.js';
import { BENCHMARKS } from './suite.js';
import { spawnSubject } from './subject.js';

describe('stats', () => {
  it('summarizes repetitions as median, spread and nearest-rank p99', () => {
    const s = summarize([5, 1, 3, 2, 4], true);
    expect(s).toEqual({ median: 3, min: 1, max: 5, p99: 5, n: 5 });
    expect(summarize([1, 2, 3, 10]).median).toBe(2.5);
    expect(formatSummary(s)).toBe('3.00 (1.00–5.00) p99 5.00');
  });

  it('judges a target on the ratio to the baseline or on the value', () => {
    const ratio = row({
      benchmark: 'b',
      metric: 'm',
      unit: 'ms',
      value: summarize([13]),
      baseline: summarize([10]),
      target: { on: 'ratio', op: '<=', limit: 1.3 },
    });
    expect(ratio.ratio).toBeCloseTo(1.3);
    expect(ratio.pass).toBe(true);
    const value = row({
      benchmark: 'b',
      metric: 'm',
      unit: 'fills/s',
      value: summarize([69]),
      baseline: summarize([100]),
      target: { on: 'ratio', op: '>=', limit: 0.7 },
    });
    expect(value.pass).toBe(false);
    expect(renderTable([ratio, value])).toMatch(
      /\| b +\| m +\| 13\.0 ms .*\| 1\.30 +\| ratio <= 1\.3 \| pass +\|/,
    );
  });
});

describe('benchmarks at smoke size', () => {
  for (const [name, bench] of Object.entries(BENCHMARKS)) {
    it(`${name} produces finite measurements`, async () => {
      const rows = await bench({ size: 'smoke', subjects: 'inline' });
      expect(rows.length).toBeGreaterThan(0);
      for (const r of rows) {
        expect(r.benchmark).toBe(name);
        expect(Number.isFinite(r.value.median), `${r.metric}: ${formatSummary(r.value)}`).toBe(true);
        if (r.baseline) expect(Number.isFinite(r.ratio), `${r.metric} ratio`).toBe(true);
      }
    });
  }

  it('runs a subject in its own process and reads its memory', async () => {
    const subject = await spawnSubject('process');
    try {
      expect(subject.pid).not.toBe(process.pid);
      const stats = await subject.stats();
      expect(stats.rssBytes).toBeGreaterThan(10 * 1024 * 1024);
    } finally {
      await subject.close();
    }
  });
});
