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
    expect(loadDemoConfig({})).toEqual({
      scenario: DEFAULT_SCENARIO,
      simPort: 0,
      prometheusPort: 9090,
      flex: false,
    });
  });

  it('takes the variables it is given', () => {
    expect(
      loadDemoConfig({ DEMO_SCENARIO: ' ./my.json ', DEMO_SIM_PORT: '4002', DEMO_PROMETHEUS_PORT: '0' }),
    ).toEqual({ scenario: './my.json', simPort: 4002, prometheusPort: 0, flex: false });
    expect(loadDemoConfig({ DEMO_FLEX: '1' }).flex).toBe(true);
  });

  it('accepts DEMO_FLEX over a token file of the user’s, which the demo replaces', () => {
    expect(loadDemoConfig({ DEMO_FLEX: 'yes', IBKR_FLEX_TOKEN_FILE: '/nope' }).flex).toBe(true);
    expect(problems({ DEMO_FLEX: 'maybe' })).toEqual([
      'DEMO_FLEX: must be one of true/false/1/0/yes/no (got "maybe")',
    ]);
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
  it('points IBKR_FLEX_* at the demo’s Flex Web Service with DEMO_FLEX', () => {
    const flex = { url: 'http://127.0.0.1:6000', token: '1'.repeat(24), queryId: '1' };
    const env = demoExporterEnv({ IBKR_FLEX_TOKEN_FILE: '/run/secrets/flex' }, '127.0.0.1', 5555, flex);
    expect(env).toMatchObject({
      IBKR_FLEX_TOKEN: flex.token,
      IBKR_FLEX_QUERY_ID: '1',
      IBKR_FLEX_URL: 'http://127.0.0.1:6000',
    });
    expect(env.IBKR_FLEX_TOKEN_FILE).toBeUndefined();
  });

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
