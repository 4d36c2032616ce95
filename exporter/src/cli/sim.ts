// `npm run sim -- --scenario demo --port 4002`: runs the IB Gateway simulator in the foreground.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadScenario } from '../sim/scenario.js';
import { GatewaySimulator } from '../sim/server.js';

const USAGE = `usage: npm run sim -- [--scenario NAME|FILE] [--port N] [--host ADDR] [--quiet]
  --scenario  a file, or a name in exporter/src/sim/scenarios (default: demo)
  --port      TCP port (default: 4002, the IB Gateway paper port; 0 = any free port)
  --host      address to listen on (default: 127.0.0.1)
  --quiet     do not log connections, requests and timeline events`;

/** A bare name like `demo` means the bundled scenarios/demo.json. */
function scenarioPath(arg: string): string {
  if (arg.includes('/') || arg.endsWith('.json') || existsSync(arg)) return arg;
  return fileURLToPath(new URL(`../sim/scenarios/${arg}.json`, import.meta.url));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string', short: 's', default: 'demo' },
      port: { type: 'string', short: 'p', default: '4002' },
      host: { type: 'string', default: '127.0.0.1' },
      quiet: { type: 'boolean', short: 'q', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --port ${values.port}`);
  const path = scenarioPath(values.scenario);
  const scenario = await loadScenario(path);
  const log = values.quiet ? undefined : (line: string) => console.log(`${new Date().toISOString()} ${line}`);
  const sim = await GatewaySimulator.start({ scenario, port, host: values.host, ...(log ? { log } : {}) });
  sim.on('request', (r) => {
    if (!values.quiet)
      console.log(`${new Date(r.at).toISOString()} client ${r.clientId}: ${r.name} ${r.fields.join('|')}`);
  });
  console.log(`IB Gateway simulator listening on ${sim.host}:${sim.port} (scenario ${path})`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping`);
    sim.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  console.error(USAGE);
  process.exit(1);
});
