// `npm run demo`: the simulator with the demo scenario and the exporter wired to it, in one
// process, on an embedded SQLite file, plus Prometheus with the project's rules when `prometheus`
// is on PATH. Runs until Ctrl-C.
import { randomInt } from 'node:crypto';
import pino from 'pino';
import { ConfigError, loadConfig } from '../config/config.js';
import { startExporter } from '../exporter.js';
import { startFlexService } from '../sim/flex/server.js';
import type { FlexService } from '../sim/flex/server.js';
import { scenarioStatement } from '../sim/flex/statement-from-scenario.js';
import { loadScenario } from '../sim/scenario.js';
import type { Scenario } from '../sim/scenario.js';
import { GatewaySimulator } from '../sim/server.js';
import { demoExporterEnv, loadDemoConfig } from './demo-config.js';
import type { DemoConfig, DemoFlex } from './demo-config.js';
import { findOnPath, startPrometheus } from './prometheus-launcher.js';
import type { RunningPrometheus } from './prometheus-launcher.js';

/**
 * Prometheus on 9090 (DEMO_PROMETHEUS_PORT), or any free port when that one is taken. It scrapes
 * every 5 s rather than the project's 15 s, so the demo's graphs fill quickly.
 */
async function startDemoPrometheus(
  exporterUrl: string,
  demo: DemoConfig,
): Promise<RunningPrometheus | undefined> {
  if (!findOnPath('prometheus')) return undefined;
  const options = { target: new URL(exporterUrl).host, intervalSeconds: 5 };
  try {
    return await startPrometheus({ ...options, port: demo.prometheusPort });
  } catch {
    try {
      return await startPrometheus({ ...options, port: 0 });
    } catch (error) {
      console.error(`demo: prometheus did not start, continuing without it: ${String(error)}`);
      return undefined;
    }
  }
}

/**
 * DEMO_FLEX: the simulator's Flex Web Service with the scenario's history and today's fills as the
 * simulated gateway knows them, behind a token made for this run.
 */
async function startDemoFlex(
  scenario: Scenario,
  sim: GatewaySimulator,
): Promise<{ service: FlexService; flex: DemoFlex }> {
  const flex = { token: Array.from({ length: 24 }, () => randomInt(10)).join(''), queryId: '1' };
  const service = await startFlexService({
    ...flex,
    statementXml: scenarioStatement(scenario, () => sim.state.executions),
  });
  return { service, flex: { ...flex, url: service.url } };
}

async function main(): Promise<void> {
  let demo;
  try {
    demo = loadDemoConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`demo: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const scenario = await loadScenario(demo.scenario);
  const sim = await GatewaySimulator.start({ scenario, port: demo.simPort });
  // Checked above with a placeholder address; only the simulator's port is new here.
  const flex = demo.flex ? await startDemoFlex(scenario, sim) : undefined;
  const config = loadConfig(demoExporterEnv(process.env, sim.host, sim.port, flex?.flex));
  const exporter = await startExporter(config, { logger: pino({ level: config.logLevel }) });
  const prometheus = await startDemoPrometheus(exporter.url, demo);

  console.log(`IB Gateway simulator  ${sim.host}:${sim.port}  (scenario ${scenario.description ?? 'demo'})`);
  if (flex)
    console.log(
      `flex web service      ${flex.service.url}  (the scenario's history, imported soon after start)`,
    );
  console.log(`database              ${config.dbPath}`);
  console.log(`metrics               ${exporter.url}/metrics`);
  console.log(`sync health           ${exporter.apiUrl}/sync/health`);
  console.log(`positions             ${exporter.apiUrl}/positions`);
  console.log(`trades                ${exporter.apiUrl}/trades`);
  console.log(`pnl summary           ${exporter.apiUrl}/pnl/summary`);
  if (prometheus)
    console.log(`prometheus            ${prometheus.url}  (the project's rules; alerts on /alerts)`);
  console.log('Press Ctrl-C to stop.');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping`);
    setTimeout(() => process.exit(1), 5000).unref();
    const stopExporter = async () => {
      await exporter.stop();
      await flex?.service.close();
      await sim.stop();
    };
    await Promise.all([prometheus?.stop(), stopExporter()]);
    console.log('stopped');
    process.exit(0);
  };
  // `on`, not `once`: tsx relays the signal again when the child is slow to acknowledge it, and
  // with no listener left that second SIGINT would end the process in the middle of stopping.
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
