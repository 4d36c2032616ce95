// The demo's own variables (DEMO_*), checked like the exporter's: every bad one is named, and
// the demo refuses to start (exit 2) rather than fall back to a default the user did not ask for.
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { ConfigError, int, loadConfig, text } from '../config/config.js';

export const DEFAULT_SCENARIO = fileURLToPath(new URL('../sim/scenarios/demo.json', import.meta.url));

const fields = {
  DEMO_SCENARIO: text(DEFAULT_SCENARIO),
  DEMO_SIM_PORT: int(0, 0, 65_535),
  DEMO_PROMETHEUS_PORT: int(9090, 0, 65_535),
};

export interface DemoConfig {
  /** Path of the simulator scenario file. */
  scenario: string;
  /** 0 picks a free port. */
  simPort: number;
  /** Tried first; a free port when it is taken. */
  prometheusPort: number;
}

/** The exporter's environment in the demo: its defaults, the user's variables, and its simulator. */
export function demoExporterEnv(env: NodeJS.ProcessEnv, simHost: string, simPort: number): NodeJS.ProcessEnv {
  return {
    IBKR_DB_PATH: 'data/demo.db',
    IBKR_LOG_LEVEL: 'warn',
    ...env,
    IBKR_HOST: simHost,
    IBKR_PORT: String(simPort),
  };
}

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
    loadConfig(demoExporterEnv(env, '127.0.0.1', 1));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  if (problems.length > 0) throw new ConfigError(problems.sort());
  return {
    scenario: values.DEMO_SCENARIO as string,
    simPort: values.DEMO_SIM_PORT as number,
    prometheusPort: values.DEMO_PROMETHEUS_PORT as number,
  };
}
