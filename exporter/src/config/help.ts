// `--help`: every environment variable with its default. Names and defaults come from the
// config schema (configDefaults); the descriptions are keyed by the schema's own variable type,
// so a variable added without one does not compile.
import { configDefaults } from './config.js';
import type { ConfigVariable } from './config.js';

const DERIVED: Partial<Record<ConfigVariable, string>> = {
  IBKR_ORDER_CLIENT_ID: 'IBKR_CLIENT_ID + 1',
  IBKR_API_HOST: '127.0.0.1 when IBKR_API_PORT is set',
};

const DESCRIPTIONS: Record<ConfigVariable, string> = {
  IBKR_HOST: 'IB Gateway / TWS host',
  IBKR_PORT: 'its API port: 4001/4002 Gateway live/paper, 7496/7497 TWS live/paper',
  IBKR_CLIENT_ID: "client id of the sync connection; make it the gateway's Master API client ID",
  IBKR_ORDER_CLIENT_ID: 'client id of the order connection; must differ from IBKR_CLIENT_ID',
  IBKR_BASE_CURRENCY: 'currency label of PnL values until IB reports the base currency',
  IBKR_READONLY: 'refuse every order (403) and open no order connection',
  IBKR_DB_PATH: 'SQLite ledger file (WAL); its directory is created',
  IBKR_DATABASE_URL: 'postgres:// URL: the ledger in PostgreSQL instead of SQLite',
  IBKR_DATABASE_URL_FILE: 'file holding that URL instead (first line)',
  IBKR_WS_MAX_CLIENTS: 'most /ws/updates clients at once; more are refused (503)',
  IBKR_WS_HEARTBEAT_SECONDS: 'interval of the /ws/updates ping; a client silent since the last one is closed',
  IBKR_CORS_ORIGINS: 'comma-separated browser origins allowed by CORS (or *); empty sends no CORS headers',
  IBKR_AUTO_SYNC: 'connect to the gateway and sync; false serves the stored state only',
  IBKR_RECONNECT_MIN_DELAY: 'seconds before the first reconnect attempt; doubles on each failure',
  IBKR_RECONNECT_MAX_DELAY: 'upper bound of the reconnect delay, seconds',
  IBKR_KEEPALIVE_SECONDS: 'interval of the reqCurrentTime keepalive while connected',
  IBKR_HANDSHAKE_TIMEOUT: 'seconds the gateway has to finish the API handshake',
  IBKR_API_TOKEN: 'bearer token of the mutating endpoints (>= 16 characters); empty disables them',
  IBKR_API_TOKEN_FILE: 'file holding the token instead (first line)',
  IBKR_FLEX_TOKEN: 'Flex Web Service token (Client Portal); with IBKR_FLEX_QUERY_ID imports history',
  IBKR_FLEX_TOKEN_FILE: 'file holding the Flex token instead (first line)',
  IBKR_FLEX_QUERY_ID: 'id of the Activity Flex query to fetch (XML, Trades at execution level)',
  IBKR_FLEX_SCHEDULE: 'when to fetch it: a 5-field cron expression in New York time',
  IBKR_FLEX_URL: 'base URL of the Flex Web Service',
  IBKR_MAX_ORDER_QUANTITY: "optional upper limit of an order's quantity",
  IBKR_MAX_ORDER_NOTIONAL: 'optional upper limit of quantity x price x multiplier',
  IBKR_GATEWAY_RESTART_ENABLED: 'allow POST /gateway/restart',
  IBKR_GATEWAY_DEPLOYMENT: 'Kubernetes Deployment of the gateway, for restarts',
  IBKR_GATEWAY_NAMESPACE: 'its namespace',
  IBKR_GATEWAY_COMMAND_HOST: "host of IBC's command server, for soft restarts",
  IBKR_GATEWAY_COMMAND_PORT: "its port (IBC's CommandServerPort)",
  IBKR_GATEWAY_RESTART_FILE: 'compose mode: a restart writes a timestamp to this file',
  IBKR_GATEWAY_RESTART_COOLDOWN_SECONDS: 'minimum time between two restarts',
  IBKR_GATEWAY_API_TIMEOUT_SECONDS: 'deadline of every Kubernetes API or IBC command call',
  IBKR_GATEWAY_VNC_URL: "URL of the gateway's VNC console, shown in /sync/health",
  IBKR_HTTP_HOST: 'address the HTTP server listens on',
  IBKR_HTTP_PORT: 'its port (0 picks a free one)',
  IBKR_WEB_CONFIG_FILE: 'exporter-toolkit web configuration: TLS, basic auth, headers',
  IBKR_API_HOST: 'address of the separate REST API listener',
  IBKR_API_PORT: 'a port of its own for the REST API; the main port keeps /, /metrics and probes',
  IBKR_API_READ_TOKEN_REQUIRED: 'the account-data read endpoints need the bearer token too',
  IBKR_REVISION: 'source revision shown in ibkr_exporter_build_info',
  IBKR_LOG_LEVEL: 'fatal, error, warn, info, debug, trace or silent',
};

function shown(name: ConfigVariable, value: unknown): string {
  if (DERIVED[name]) return DERIVED[name];
  return value === undefined ? 'none' : String(value);
}

export function helpText(): string {
  const rows = configDefaults().map(({ name, value }) => ({ name, value: shown(name, value) }));
  const width = Math.max(...rows.map((r) => r.name.length));
  return [
    'usage: ibkr-pnl-exporter [--help] [--version]',
    '',
    'Prometheus exporter for Interactive Brokers positions, executions and PnL. Configured by the',
    'environment; an invalid value exits with code 2 naming the variable.',
    '',
    ...rows.map((r) => `  ${r.name.padEnd(width)}  ${DESCRIPTIONS[r.name]} (default: ${r.value})`),
    '',
  ].join('\n');
}
