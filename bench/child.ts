// One benchmark in a process of its own (spawned by run.ts), so that one benchmark's memory and
// JIT state do not colour the next. Sends its rows, or its error, back over IPC.
import { BENCHMARKS } from './suite.js';
import type { SuiteOptions } from './suite.js';

const [name, json] = process.argv.slice(2);
const bench = name === undefined ? undefined : BENCHMARKS[name];
if (!bench || json === undefined) {
  process.stderr.write(`usage: child.ts <${Object.keys(BENCHMARKS).join('|')}> <options json>\n`);
  process.exit(2);
}
bench(JSON.parse(json) as SuiteOptions).then(
  (rows) => process.send?.({ rows }, () => process.exit(0)),
  (error: unknown) =>
    process.send?.({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }, () =>
      process.exit(1),
    ),
);
