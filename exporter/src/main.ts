// The composition root: configuration, then the exporter, then signal handling. Nothing else
// reads the environment or installs process handlers.
import pino from 'pino';
import { ConfigError, loadConfig } from './config/config.js';
import { helpText } from './config/help.js';
import { startExporter } from './exporter.js';
import { packageVersion } from './package-info.js';
import { LedgerError } from './store/ledger-error.js';
import { PostgresRefusal } from './store/postgres-errors.js';

/** Exit code for a configuration the process refuses to run with. */
const EXIT_CONFIG = 2;
/** Exit code for a ledger that cannot be used (unwritable, damaged, from a newer version, in use). */
const EXIT_LEDGER = 3;
/** Shutdown must finish within this, or the process exits anyway (Kubernetes waits 30 s). */
const SHUTDOWN_DEADLINE_MS = 5000;

/** --help and --version answer and exit; anything else on the command line is a mistake. */
function commandLine(args: string[]): void {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(helpText());
    process.exit(0);
  }
  if (args.includes('--version')) {
    const revision = process.env.IBKR_REVISION || 'unknown';
    process.stdout.write(
      `ibkr-pnl-exporter ${packageVersion()} (revision ${revision}, node ${process.version})\n`,
    );
    process.exit(0);
  }
  if (args.length > 0) {
    process.stderr.write(
      `ibkr-pnl-exporter: unknown argument ${args[0]}; configure with the environment, see --help\n`,
    );
    process.exit(EXIT_CONFIG);
  }
}

async function main(): Promise<void> {
  commandLine(process.argv.slice(2));
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`ibkr-pnl-exporter: ${error.message}\n`);
      process.exit(EXIT_CONFIG);
    }
    throw error;
  }
  const logger = pino({ level: config.logLevel });
  const exporter = await startExporter(config, { logger });

  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS).unref();
    exporter.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof LedgerError || error instanceof PostgresRefusal) {
    process.stderr.write(`ibkr-pnl-exporter: ${error.message}\n`);
    process.exit(EXIT_LEDGER);
  }
  process.stderr.write(
    `ibkr-pnl-exporter: failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
