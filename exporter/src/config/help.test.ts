import { describe, expect, it } from 'vitest';
import { configDefaults, loadConfig } from './config.js';
import { helpText } from './help.js';

describe('--help', () => {
  const lines = helpText().split('\n');
  const line = (name: string) => lines.find((l) => l.trimStart().startsWith(`${name} `));

  it('lists every variable the configuration reads, once', () => {
    const names = configDefaults().map((d) => d.name);
    expect(names.length).toBeGreaterThan(30);
    for (const name of names)
      expect(
        lines.filter((l) => l.trimStart().startsWith(`${name} `)),
        name,
      ).toHaveLength(1);
  });

  it('shows the defaults loadConfig applies to an empty environment', () => {
    const config = loadConfig({});
    expect(line('IBKR_PORT')).toMatch(new RegExp(`\\(default: ${config.ib.port}\\)$`));
    expect(line('IBKR_READONLY')).toMatch(/\(default: true\)$/);
    expect(line('IBKR_DB_PATH')).toMatch(new RegExp(`\\(default: ${config.dbPath}\\)$`));
    expect(line('IBKR_HTTP_PORT')).toMatch(/\(default: 8000\)$/);
    expect(line('IBKR_ORDER_CLIENT_ID')).toMatch(/\(default: IBKR_CLIENT_ID \+ 1\)$/);
    expect(line('IBKR_API_TOKEN')).toMatch(/\(default: none\)$/);
  });
});
