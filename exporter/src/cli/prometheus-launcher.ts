// Runs the real Prometheus (or Alertmanager) binary as a child process on 127.0.0.1, with the
// project's configuration from prometheus/ rendered for a local exporter. Used by `npm run demo`
// and by the end-to-end suite in prometheus/, so both exercise the same rules and config.
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { packageRoot } from '../package-info.js';

/** The project's prometheus/ folder: prometheus.yml, rules/, alertmanager.yml. */
export const PROMETHEUS_DIR = join(packageRoot(), 'prometheus');

/** The job name the alerts select on (IbkrExporterDown); see prometheus/prometheus.yml. */
export const EXPORTER_JOB = 'ibkr-exporter';

/** The absolute path of `command` in one of PATH's directories, or undefined. */
export function findOnPath(command: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

export interface Daemon {
  /** http://127.0.0.1:<port>, the address the process reported it listens on. */
  readonly url: string;
  /** Everything the process printed so far (the last 256 KiB). */
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited within 5 s. Idempotent. */
  stop(): Promise<void>;
}

const OUTPUT_LIMIT = 256 * 1024;
// Both binaries log the bound address through exporter-toolkit, which is how port 0 becomes known.
const LISTENING = /msg="Listening on" address=(\S+)/;

/**
 * Starts a Prometheus-family daemon that listens on `--web.listen-address=127.0.0.1:0` (part of
 * `args`) and resolves once it reports its address and `/-/ready` answers 200.
 */
export async function startDaemon(command: string, args: string[], timeoutMs = 30_000): Promise<Daemon> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let address: string | undefined;
  const onData = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-OUTPUT_LIMIT);
    address ??= LISTENING.exec(output)?.[1];
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<void>((done) => child.once('close', () => done()));
  let gone = false;
  void exited.then(() => (gone = true));
  const stop = async () => {
    if (gone) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + timeoutMs;
  const fail = async (why: string) => {
    await stop();
    throw new Error(`${command} ${why}:\n${output.slice(-4000)}`);
  };
  while (Date.now() < deadline) {
    if (gone) return fail('exited before it was ready');
    if (address !== undefined) {
      const url = `http://${address}`;
      const ready = await fetch(`${url}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) return { url, output: () => output, stop };
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 100))]);
  }
  return fail(`was not ready within ${timeoutMs} ms`);
}

export interface PrometheusConfigOptions {
  /** host:port of the exporter to scrape. */
  target: string;
  /** Scrape and evaluation interval in seconds (the project's file says 15). */
  intervalSeconds?: number;
  /** Rule files; default: those of prometheus/prometheus.yml, resolved against that folder. */
  ruleFiles?: string[];
  /** host:port of an Alertmanager; without it the alerting section is dropped. */
  alertmanager?: string;
}

type PrometheusConfig = {
  global?: Record<string, unknown>;
  rule_files?: string[];
  alerting?: unknown;
  scrape_configs?: Array<{ job_name: string; static_configs?: Array<{ targets: string[] }> }>;
};

/** The project's prometheus.yml, parsed. */
export function projectPrometheusConfig(): PrometheusConfig {
  return parse(readFileSync(join(PROMETHEUS_DIR, 'prometheus.yml'), 'utf8')) as PrometheusConfig;
}

/**
 * The project's Prometheus config pointed at a local exporter: only the exporter job is kept (its
 * other settings unchanged), rule files become absolute paths.
 */
export function renderPrometheusConfig(base: PrometheusConfig, options: PrometheusConfigOptions): string {
  const job = base.scrape_configs?.find((c) => c.job_name === EXPORTER_JOB);
  if (!job) throw new Error(`prometheus.yml has no scrape job ${EXPORTER_JOB}`);
  const interval = options.intervalSeconds === undefined ? undefined : `${options.intervalSeconds}s`;
  const rendered: PrometheusConfig = {
    ...base,
    global: {
      ...base.global,
      ...(interval && { scrape_interval: interval, evaluation_interval: interval }),
    },
    rule_files: (options.ruleFiles ?? base.rule_files ?? []).map((f) =>
      isAbsolute(f) ? f : resolve(PROMETHEUS_DIR, f),
    ),
    scrape_configs: [{ ...job, static_configs: [{ targets: [options.target] }] }],
  };
  if (options.alertmanager) {
    rendered.alerting = { alertmanagers: [{ static_configs: [{ targets: [options.alertmanager] }] }] };
  } else {
    delete rendered.alerting;
  }
  return stringify(rendered);
}

export interface RunningPrometheus extends Daemon {
  /** The temporary directory holding the rendered config and the TSDB; removed by stop(). */
  readonly dir: string;
}

/** Starts `prometheus` on 127.0.0.1:`port` (0: any free port) with the rendered project config. */
export async function startPrometheus(
  options: PrometheusConfigOptions & { port?: number; binary?: string },
): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'ibkr-prometheus-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, renderPrometheusConfig(projectPrometheusConfig(), options));
  try {
    const daemon = await startDaemon(options.binary ?? 'prometheus', [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${options.port ?? 0}`,
    ]);
    return {
      ...daemon,
      dir,
      async stop() {
        await daemon.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
