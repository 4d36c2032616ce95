// The demo's own variables (DEMO_*), checked like the exporter's: every bad one is named, and
// the demo refuses to start (exit 2) rather than fall back to a default the user did not ask for.
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { ConfigError, bool, int, loadConfig, text } from '../config/config.js';

export const DEFAULT_SCENARIO = fileURLToPath(new URL('../sim/scenarios/demo.json', import.meta.url));

const fields = {
  DEMO_SCENARIO: text(DEFAULT_SCENARIO),
  DEMO_SIM_PORT: int(0, 0, 65_535),
  DEMO_PROMETHEUS_PORT: int(9090, 0, 65_535),
  DEMO_FLEX: bool(false),
};

export interface DemoConfig {
  /** Path of the simulator scenario file. */
  scenario: string;
  /** 0 picks a free port. */
  simPort: number;
  /** Tried first; a free port when it is taken. */
  prometheusPort: number;
  /** Also serve the scenario's history from the simulator's Flex Web Service, and import it. */
  flex: boolean;
}

/** The demo's own Flex Web Service, which the exporter's IBKR_FLEX_* then point at. */
export interface DemoFlex {
  url: string;
  token: string;
  queryId: string;
}

/**
 * The exporter's environment in the demo: its defaults, the user's variables, and its simulator
 * (with DEMO_FLEX, its Flex Web Service too, in place of any IBKR_FLEX_* of the user's).
 */
export function demoExporterEnv(
  env: NodeJS.ProcessEnv,
  simHost: string,
  simPort: number,
  flex?: DemoFlex,
): NodeJS.ProcessEnv {
  const demo: NodeJS.ProcessEnv = {
    IBKR_DB_PATH: 'data/demo.db',
    IBKR_LOG_LEVEL: 'warn',
    ...env,
    IBKR_HOST: simHost,
    IBKR_PORT: String(simPort),
  };
  if (!flex) return demo;
  delete demo.IBKR_FLEX_TOKEN_FILE;
  delete demo.IBKR_FLEX_SCHEDULE;
  return { ...demo, IBKR_FLEX_TOKEN: flex.token, IBKR_FLEX_QUERY_ID: flex.queryId, IBKR_FLEX_URL: flex.url };
}

/** Stands in for the demo Flex service's address until it has one. */
const PLACEHOLDER_FLEX: DemoFlex = { url: 'http://127.0.0.1:1', token: '0'.repeat(24), queryId: '1' };

/**
 * Checks the DEMO_* variables and, before anything is started, the exporter's own (with a
 * placeholder for the simulator's address): one ConfigError names every bad variable of both.
 */
export function loadDemoConfig(env: NodeJS.ProcessEnv): DemoConfig {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(fields) as Array<[keyof typeof fields, z.ZodType]>) {
    const result = schema.safeParse(env[name]);
    if (result.success) values[name] = result.data;
    else problems.push(...result.error.issues.map((issue) => `${name}: ${issue.message}`));
  }
  try {
    const flex = values.DEMO_FLEX === true ? PLACEHOLDER_FLEX : undefined;
    loadConfig(demoExporterEnv(env, '127.0.0.1', 1, flex));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  if (problems.length > 0) throw new ConfigError(problems.sort());
  return {
    scenario: values.DEMO_SCENARIO as string,
    simPort: values.DEMO_SIM_PORT as number,
    prometheusPort: values.DEMO_PROMETHEUS_PORT as number,
    flex: values.DEMO_FLEX as boolean,
  };
}
