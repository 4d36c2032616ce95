// npm run bench [-- --only scrape,ingest] [--size full|quick|smoke] [--reps N] [--load-seconds S] [--out file]
// Runs each benchmark in a child process, prints the table (value and baseline: median and
// min–max over the repetitions) and writes bench/results.json. Exits 1 when a target is missed.
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { format, resolveConfig } from 'prettier';
import { renderNotes, renderTable } from './stats.js';
import type { Row } from './stats.js';
import { BENCHMARKS } from './suite.js';
import type { Size, SuiteOptions } from './suite.js';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    size: { type: 'string', default: 'full' },
    reps: { type: 'string' },
    'load-seconds': { type: 'string' },
    out: { type: 'string', default: new URL('./results.json', import.meta.url).pathname },
  },
});

const names = values.only ? values.only.split(',').map((s) => s.trim()) : Object.keys(BENCHMARKS);
const unknown = names.filter((n) => !(n in BENCHMARKS));
const size = values.size as Size;
if (unknown.length > 0 || !['full', 'quick', 'smoke'].includes(size)) {
  console.error(
    `unknown benchmark ${unknown.join(', ')} or size ${size}; benchmarks: ${Object.keys(BENCHMARKS).join(', ')}`,
  );
  process.exit(2);
}
const options: SuiteOptions = {
  size,
  subjects: 'process',
  ...(values.reps ? { reps: Number(values.reps) } : {}),
  ...(values['load-seconds'] ? { loadSeconds: Number(values['load-seconds']) } : {}),
};

function runChild(name: string): Promise<Row[]> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL('./child.ts', import.meta.url).pathname, [name, JSON.stringify(options)], {
      execArgv: ['--import', 'tsx'],
    });
    let answer: { rows?: Row[]; error?: string } | undefined;
    child.on('message', (m: { rows?: Row[]; error?: string }) => (answer = m));
    child.on('exit', (code) => {
      if (answer?.rows) resolve(answer.rows);
      else reject(new Error(answer?.error ?? `benchmark ${name} exited with ${code}`));
    });
  });
}

const started = new Date();
const rows: Row[] = [];
const failures: string[] = [];
for (const name of names) {
  console.error(`running ${name}…`);
  try {
    rows.push(...(await runChild(name)));
  } catch (error) {
    failures.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    console.error(`${name} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
console.log(renderTable(rows));
const notes = renderNotes(rows);
if (notes) console.log(`\n${notes}`);
// Formatted as the repository's Prettier check expects, so a committed results.json stays green.
const prettierOptions = (await resolveConfig(values.out)) ?? {};
writeFileSync(
  values.out,
  await format(
    JSON.stringify({
      command,
      startedAt: started.toISOString(),
      finishedAt: new Date().toISOString(),
      machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version, loadavg: loadavg() },
      rows,
      failures,
    }),
    { ...prettierOptions, parser: 'json' },
  ),
);
const missed = rows.filter((r) => r.pass === false).length;
console.log(
  `\n${rows.length} rows, ${missed} targets missed, ${failures.length} benchmarks failed; written to ${values.out}`,
);
process.exitCode = missed > 0 || failures.length > 0 ? 1 : 0;
