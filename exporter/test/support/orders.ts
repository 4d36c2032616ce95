// Test support for the orders API: a simulator and an exporter with orders enabled (a token,
// IBKR_READONLY=false), synced, with its order connection ready; and small HTTP helpers.
import { loadScenario, parseScenario } from '../../src/sim/scenario.js';
import type { ScenarioInput } from '../../src/sim/scenario.js';
import { GatewaySimulator } from '../../src/sim/server.js';
import type { Exporter } from '../../src/exporter.js';
import { BASIC, SCENARIOS, startTestExporter, testConfig, waitSynced } from './exporter.js';
import type { Rig } from './exporter.js';

export const TOKEN = 'orders-test-token-5f2c9a7e1b';
export const ACCOUNT = 'DU0000001';
export const ORDER_CLIENT_ID = 2;

/** basic.json, optionally with extra contracts (an ambiguous listing, say). */
export async function basicScenario(extra: Partial<ScenarioInput> = {}) {
  const basic = await loadScenario(new URL('basic.json', SCENARIOS).pathname);
  return parseScenario({ ...basic, ...extra, contracts: [...basic.contracts, ...(extra.contracts ?? [])] });
}

export interface OrdersRig {
  sim: GatewaySimulator;
  exporter: Exporter;
}

/** Starts (and tracks for cleanup) an exporter with orders enabled, on `db` in the rig's directory. */
export async function startOrdersExporter(
  rig: Rig,
  sim: GatewaySimulator,
  db: string,
  env: Record<string, string> = {},
): Promise<Exporter> {
  const config = testConfig(sim.port, `${rig.dir}/${db}`, {
    IBKR_READONLY: 'false',
    IBKR_API_TOKEN: TOKEN,
    IBKR_ORDER_CLIENT_ID: String(ORDER_CLIENT_ID),
    ...env,
  });
  const before = sim.requests.filter((r) => r.name === 'reqOpenOrders').length;
  const exporter = rig.track(await startTestExporter(config));
  await waitSynced(exporter, BASIC);
  if (config.ib.readonly) return exporter;
  // The order connection asks for its open orders as soon as its handshake is done.
  await sim.waitForRequest(
    'reqOpenOrders',
    (r) => r.clientId === config.ib.orderClientId && sim.requests.indexOf(r) >= before,
  );
  return exporter;
}

export async function startOrdersRig(
  rig: Rig,
  db: string,
  options: { env?: Record<string, string>; scenario?: Partial<ScenarioInput> } = {},
): Promise<OrdersRig> {
  const sim = rig.track(await GatewaySimulator.start({ scenario: await basicScenario(options.scenario) }));
  const exporter = await startOrdersExporter(rig, sim, db, options.env);
  return { sim, exporter };
}

export interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
  text: string;
}

export async function call(
  exporter: Exporter,
  method: string,
  path: string,
  options: { body?: unknown; raw?: string; token?: string | null; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== null) headers.authorization = `Bearer ${options.token ?? TOKEN}`;
  let body: string | undefined;
  if (options.raw !== undefined) body = options.raw;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${exporter.url}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Left empty: the caller asserts on `text` or the status.
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

export const placeOrders = (sim: GatewaySimulator) => sim.requests.filter((r) => r.name === 'placeOrder');
