// docs/metrics.md and docs/configuration.md are the contract users read: every ibkr_* family the
// exporter serves (per the golden file) and every variable it reads must be documented there.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');

describe('documentation', () => {
  it('documents every ibkr_* metric of the golden /metrics in docs/metrics.md', () => {
    const families = [...read('./golden/basic.prom').matchAll(/^# TYPE (ibkr_\w+) /gm)].map((m) => m[1]!);
    expect(families.length).toBeGreaterThan(30);
    const page = read('../../docs/metrics.md');
    expect(families.filter((name) => !page.includes(`\`${name}\``))).toEqual([]);
  });

  it('documents every IBKR_* variable the configuration reads in docs/configuration.md', () => {
    const variables = [...read('../src/config/config.ts').matchAll(/^\s+(IBKR_\w+):/gm)].map((m) => m[1]!);
    expect(variables.length).toBeGreaterThan(15);
    const page = read('../../docs/configuration.md');
    expect(variables.filter((name) => !page.includes(`\`${name}\``))).toEqual([]);
  });
});
