// `npm run sim -- --scenario demo --port 4002 [--flex]`: runs the IB Gateway simulator in the
// foreground, and with --flex the simulated Flex Web Service beside it.
import { randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseFlexMode, startFlexService, type FlexService } from '../sim/flex/server.js';
import { scenarioStatement } from '../sim/flex/statement-from-scenario.js';
import { loadScenario } from '../sim/scenario.js';
import { GatewaySimulator } from '../sim/server.js';

const USAGE = `usage: npm run sim -- [--scenario NAME|FILE] [--port N] [--host ADDR] [--quiet]
                      [--flex] [--flex-port N] [--flex-token T] [--flex-query-id Q] [--flex-mode M]
  --scenario       a file, or a name in exporter/src/sim/scenarios (default: demo)
  --port           TCP port (default: 4002, the IB Gateway paper port; 0 = any free port)
  --host           address to listen on (default: 127.0.0.1)
  --quiet          do not log connections, requests and timeline events
  --flex           also run the simulated Flex Web Service (statements from the scenario's history)
  --flex-port      its HTTP port (default: 0 = any free port)
  --flex-token     the token it accepts (default: a new random one, printed)
  --flex-query-id  the query id it accepts (default: 100001)
  --flex-mode      ok | slow | expired-token | invalid-token | rate-limit | CODE[@GetStatement]`;

function parsePort(name: string, text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --${name} ${text}`);
  return port;
}

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
      flex: { type: 'boolean', default: false },
      'flex-port': { type: 'string', default: '0' },
      'flex-token': { type: 'string' },
      'flex-query-id': { type: 'string', default: '100001' },
      'flex-mode': { type: 'string', default: 'ok' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = parsePort('port', values.port);
  const flexPort = parsePort('flex-port', values['flex-port']);
  const flexMode = parseFlexMode(values['flex-mode']);
  const path = scenarioPath(values.scenario);
  const scenario = await loadScenario(path);
  const log = values.quiet ? undefined : (line: string) => console.log(`${new Date().toISOString()} ${line}`);
  const sim = await GatewaySimulator.start({ scenario, port, host: values.host, ...(log ? { log } : {}) });
  sim.on('request', (r) => {
    if (!values.quiet)
      console.log(`${new Date(r.at).toISOString()} client ${r.clientId}: ${r.name} ${r.fields.join('|')}`);
  });
  console.log(`IB Gateway simulator listening on ${sim.host}:${sim.port} (scenario ${path})`);

  let flex: FlexService | undefined;
  if (values.flex) {
    // The simulator's own fake token: 24 digits like IB's, never a real one.
    const token = values['flex-token'] ?? Array.from({ length: 24 }, () => randomInt(10)).join('');
    const queryId = values['flex-query-id'];
    flex = await startFlexService({
      token,
      queryId,
      mode: flexMode,
      host: values.host,
      port: flexPort,
      statementXml: scenarioStatement(scenario, () => sim.state.executions),
      ...(log ? { log } : {}),
    });
    console.log(`Flex Web Service simulator listening on ${flex.url} (mode ${values['flex-mode']})`);
    console.log(`  IBKR_FLEX_URL=${flex.url} IBKR_FLEX_TOKEN=${token} IBKR_FLEX_QUERY_ID=${queryId}`);
  }

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping`);
    Promise.all([sim.stop(), flex?.close()]).then(
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
