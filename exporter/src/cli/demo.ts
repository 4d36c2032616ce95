// `npm run demo`: the simulator with the demo scenario and the exporter wired to it, in one
// process, on an embedded SQLite file. Runs until Ctrl-C.
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { ConfigError, loadConfig } from '../config/config.js';
import { startExporter } from '../exporter.js';
import { loadScenario } from '../sim/scenario.js';
import { GatewaySimulator } from '../sim/server.js';

const DEMO_SCENARIO = fileURLToPath(new URL('../sim/scenarios/demo.json', import.meta.url));

async function main(): Promise<void> {
  const scenario = await loadScenario(process.env.DEMO_SCENARIO ?? DEMO_SCENARIO);
  const sim = await GatewaySimulator.start({ scenario, port: Number(process.env.DEMO_SIM_PORT ?? 0) });
  let config;
  try {
    config = loadConfig({
      IBKR_DB_PATH: 'data/demo.db',
      IBKR_LOG_LEVEL: 'warn',
      ...process.env,
      IBKR_HOST: sim.host,
      IBKR_PORT: String(sim.port),
    });
  } catch (error) {
    await sim.stop();
    if (error instanceof ConfigError) {
      console.error(`demo: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const exporter = await startExporter(config, { logger: pino({ level: config.logLevel }) });

  console.log(`IB Gateway simulator  ${sim.host}:${sim.port}  (scenario ${scenario.description ?? 'demo'})`);
  console.log(`database              ${config.dbPath}`);
  console.log(`metrics               ${exporter.url}/metrics`);
  console.log(`sync health           ${exporter.url}/sync/health`);
  console.log(`positions             ${exporter.url}/positions`);
  console.log(`trades                ${exporter.url}/trades`);
  console.log(`pnl summary           ${exporter.url}/pnl/summary`);
  console.log('Press Ctrl-C to stop.');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping`);
    setTimeout(() => process.exit(1), 5000).unref();
    await exporter.stop();
    await sim.stop();
    console.log('stopped');
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
