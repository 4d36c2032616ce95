import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config/config.js';
import { DEFAULT_SCENARIO, demoExporterEnv, loadDemoConfig } from './demo-config.js';

function problems(env: NodeJS.ProcessEnv): string[] {
  try {
    loadDemoConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadDemoConfig', () => {
  it('defaults to the demo scenario, a free simulator port and Prometheus on 9090', () => {
    expect(loadDemoConfig({})).toEqual({ scenario: DEFAULT_SCENARIO, simPort: 0, prometheusPort: 9090 });
  });

  it('takes the variables it is given', () => {
    expect(
      loadDemoConfig({ DEMO_SCENARIO: ' ./my.json ', DEMO_SIM_PORT: '4002', DEMO_PROMETHEUS_PORT: '0' }),
    ).toEqual({ scenario: './my.json', simPort: 4002, prometheusPort: 0 });
  });

  it('names every bad variable, its own and the exporter’s, with the exact message', () => {
    expect(problems({ DEMO_SIM_PORT: 'abc', DEMO_PROMETHEUS_PORT: '70000', IBKR_LOG_LEVEL: 'loud' })).toEqual(
      [
        'DEMO_PROMETHEUS_PORT: must be an integer from 0 to 65535 (got "70000")',
        'DEMO_SIM_PORT: must be an integer from 0 to 65535 (got "abc")',
        expect.stringMatching(/^IBKR_LOG_LEVEL: /),
      ],
    );
  });
});

describe('demoExporterEnv', () => {
  it('keeps the user’s variables over the demo defaults but always points at its simulator', () => {
    expect(
      demoExporterEnv({ IBKR_LOG_LEVEL: 'info', IBKR_HOST: 'gw', IBKR_PORT: '4001' }, '127.0.0.1', 5555),
    ).toEqual({
      IBKR_DB_PATH: 'data/demo.db',
      IBKR_LOG_LEVEL: 'info',
      IBKR_HOST: '127.0.0.1',
      IBKR_PORT: '5555',
    });
  });
});
