// The environment, parsed once. Every other module receives a typed Config and never reads env.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseDatabaseUrl } from './database-url.js';
import { flexConfig, flexQueryId, flexSchedule, flexToken, flexUrl } from './flex-config.js';
import type { FlexConfig } from './flex-config.js';
import type { DatabaseUrl } from './database-url.js';
import { WebConfigError, parseWebConfig } from './web-config.js';
import type { WebConfig } from './web-config.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const TRUE = new Set(['true', '1', 'yes']);
const FALSE = new Set(['false', '0', 'no']);

export const bool = (fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return fallback;
      const value = raw.trim().toLowerCase();
      if (TRUE.has(value)) return true;
      if (FALSE.has(value)) return false;
      ctx.addIssue({ code: 'custom', message: `must be one of true/false/1/0/yes/no (got "${raw}")` });
      return z.NEVER;
    });

export const int = (fallback: number | undefined, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return fallback;
      const value = Number(raw.trim());
      if (!/^-?\d+$/.test(raw.trim()) || value < min || value > max) {
        ctx.addIssue({ code: 'custom', message: `must be an integer from ${min} to ${max} (got "${raw}")` });
        return z.NEVER;
      }
      return value;
    });

const seconds = (fallback: number, min: number) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return fallback;
      const value = Number(raw.trim());
      if (!Number.isFinite(value) || value < min || value > 86_400) {
        ctx.addIssue({
          code: 'custom',
          message: `must be a number of seconds from ${min} to 86400 (got "${raw}")`,
        });
        return z.NEVER;
      }
      return value;
    });

const positive = () =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return undefined;
      const value = Number(raw.trim());
      if (!Number.isFinite(value) || value <= 0) {
        ctx.addIssue({ code: 'custom', message: `must be a positive number (got "${raw}")` });
        return z.NEVER;
      }
      return value;
    });

const optionalText = () =>
  z
    .string()
    .optional()
    .transform((raw) => (raw === undefined || raw.trim() === '' ? undefined : raw.trim()));

// Never echo a secret back: the message names the rule, not the value.
const token = () =>
  optionalText().pipe(
    z
      .string()
      .min(16, { message: 'must be at least 16 characters (value not shown)' })
      .regex(/^[\x21-\x7e]+$/, { message: 'must be printable ASCII without spaces (value not shown)' })
      .optional(),
  );

export const text = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((raw) => (raw === undefined || raw.trim() === '' ? fallback : raw.trim()));

const fields = {
  IBKR_HOST: text('127.0.0.1'),
  IBKR_PORT: int(7497, 1, 65535),
  IBKR_CLIENT_ID: int(1, 0, 2147483646),
  IBKR_ORDER_CLIENT_ID: int(undefined, 0, 2147483646),
  IBKR_BASE_CURRENCY: text('USD').pipe(
    z
      .string()
      .regex(/^[A-Z]{3}$/, { message: 'must be a three-letter upper-case currency code such as USD' }),
  ),
  IBKR_READONLY: bool(true),
  IBKR_DB_PATH: text('data/ibkr.db'),
  IBKR_DATABASE_URL: optionalText(),
  IBKR_DATABASE_URL_FILE: optionalText(),
  IBKR_AUTO_SYNC: bool(true),
  IBKR_RECONNECT_MIN_DELAY: seconds(3, 0.01),
  IBKR_RECONNECT_MAX_DELAY: seconds(60, 0.01),
  IBKR_KEEPALIVE_SECONDS: seconds(15, 1),
  IBKR_HANDSHAKE_TIMEOUT: seconds(20, 0.1),
  IBKR_API_TOKEN: token(),
  IBKR_API_TOKEN_FILE: optionalText(),
  IBKR_FLEX_TOKEN: flexToken(),
  IBKR_FLEX_TOKEN_FILE: optionalText(),
  IBKR_FLEX_QUERY_ID: flexQueryId(),
  IBKR_FLEX_SCHEDULE: flexSchedule(),
  IBKR_FLEX_URL: flexUrl(),
  IBKR_MAX_ORDER_QUANTITY: positive(),
  IBKR_MAX_ORDER_NOTIONAL: positive(),
  IBKR_GATEWAY_RESTART_ENABLED: bool(false),
  IBKR_GATEWAY_DEPLOYMENT: text('ib-gateway'),
  IBKR_GATEWAY_NAMESPACE: text('default'),
  IBKR_GATEWAY_COMMAND_HOST: text('127.0.0.1'),
  IBKR_GATEWAY_COMMAND_PORT: int(7462, 1, 65535),
  IBKR_GATEWAY_RESTART_FILE: optionalText(),
  IBKR_GATEWAY_RESTART_COOLDOWN_SECONDS: seconds(300, 0),
  IBKR_GATEWAY_API_TIMEOUT_SECONDS: seconds(10, 0.1),
  IBKR_GATEWAY_VNC_URL: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return undefined;
      if (!URL.canParse(raw.trim())) {
        ctx.addIssue({
          code: 'custom',
          message: `must be an absolute URL such as http://host:6080 (got "${raw}")`,
        });
        return z.NEVER;
      }
      return raw.trim();
    }),
  IBKR_WS_MAX_CLIENTS: int(50, 1, 10_000),
  IBKR_WS_HEARTBEAT_SECONDS: seconds(30, 1),
  IBKR_CORS_ORIGINS: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const origins = (raw ?? '')
        .split(',')
        .map((o) => o.trim())
        .filter((o) => o !== '');
      // An origin is scheme://host[:port] exactly as a browser sends it, or * for any.
      const bad = origins.filter((o) => o !== '*' && !(URL.canParse(o) && new URL(o).origin === o));
      if (bad.length > 0) {
        ctx.addIssue({
          code: 'custom',
          message: `must be a comma-separated list of origins such as https://ui.example:8443, or * (got "${bad.join('", "')}")`,
        });
        return z.NEVER;
      }
      return origins;
    }),
  IBKR_HTTP_HOST: text('0.0.0.0'),
  IBKR_HTTP_PORT: int(8000, 0, 65535),
  IBKR_WEB_CONFIG_FILE: optionalText(),
  IBKR_API_HOST: optionalText(),
  IBKR_API_PORT: int(undefined, 0, 65535),
  IBKR_API_READ_TOKEN_REQUIRED: bool(false),
  IBKR_REVISION: text('unknown'),
  IBKR_LOG_LEVEL: text('info').pipe(
    z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` }),
  ),
} as const;

type Fields = typeof fields;
type Env = { [K in keyof Fields]: z.output<Fields[K]> };
/** The name of every environment variable the configuration reads. */
export type ConfigVariable = keyof Fields;

/**
 * Every variable with the value it takes when unset, read off the schema itself (each field
 * parsed from `undefined`), so --help cannot drift from what loadConfig does. undefined: none.
 */
export function configDefaults(): Array<{ name: ConfigVariable; value: unknown }> {
  return (Object.keys(fields) as ConfigVariable[]).map((name) => {
    const result = fields[name].safeParse(undefined);
    return { name, value: result.success ? result.data : undefined };
  });
}

/** Rules that relate two variables; each names the variable to fix. */
function crossChecks(env: Partial<Env>): string[] {
  const problems: string[] = [];
  const { IBKR_RECONNECT_MIN_DELAY: min, IBKR_RECONNECT_MAX_DELAY: max } = env;
  if (min !== undefined && max !== undefined && max < min) {
    problems.push(`IBKR_RECONNECT_MAX_DELAY: must not be less than IBKR_RECONNECT_MIN_DELAY (${min})`);
  }
  const clientId = env.IBKR_CLIENT_ID;
  if (clientId !== undefined && env.IBKR_ORDER_CLIENT_ID === clientId) {
    problems.push(
      `IBKR_ORDER_CLIENT_ID: must differ from IBKR_CLIENT_ID (${clientId}): IB allows one connection per client id`,
    );
  }
  if (env.IBKR_API_HOST !== undefined && env.IBKR_API_PORT === undefined) {
    problems.push('IBKR_API_PORT: required when IBKR_API_HOST is set');
  }
  return problems;
}

export interface Config {
  ib: {
    host: string;
    port: number;
    clientId: number;
    orderClientId: number;
    baseCurrency: string;
    readonly: boolean;
    autoSync: boolean;
    reconnectMinMs: number;
    reconnectMaxMs: number;
    keepaliveMs: number;
    handshakeTimeoutMs: number;
  };
  /** The SQLite ledger file; used unless a PostgreSQL URL is configured. */
  dbPath: string;
  /** IBKR_DATABASE_URL(_FILE): the ledger lives in PostgreSQL instead of SQLite. */
  database?: DatabaseUrl;
  /** Bearer token for mutating endpoints; absent disables them. Never log it. */
  /**
   * Bearer token for mutating endpoints; absent disables them. Never log it. With
   * readTokenRequired, the account-data read endpoints need it too.
   */
  api: { token?: string; readTokenRequired: boolean };
  orders: { maxQuantity?: number; maxNotional?: number };
  /** IBKR_FLEX_*: history from the Flex Web Service; absent when not configured. */
  flex?: FlexConfig;
  gateway: {
    restartEnabled: boolean;
    deployment: string;
    namespace: string;
    vncUrl?: string;
    /** IBC command server, for soft restarts. */
    commandHost: string;
    commandPort: number;
    /** Compose mode: a restart writes a timestamp here instead of calling Kubernetes. */
    restartFile?: string;
    restartCooldownMs: number;
    /** Deadline of every Kubernetes / IBC call. */
    apiTimeoutMs: number;
  };
  http: {
    host: string;
    port: number;
    /** Browser origins allowed by CORS; empty sends no CORS headers. */
    corsOrigins: string[];
    updates: { maxClients: number; heartbeatMs: number };
    /** IBKR_WEB_CONFIG_FILE, parsed: TLS, basic auth and headers for every listener. */
    web?: WebConfig;
    /** A separate listener for the REST API; the main one then serves only /, metrics and probes. */
    api?: { host: string; port: number };
  };
  logLevel: (typeof LOG_LEVELS)[number];
  /** The source revision the build came from (the image sets it from its REVISION build argument). */
  revision: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export type ReadSecret = (path: string) => string;
const readSecretFile: ReadSecret = (path) => readFileSync(path, 'utf8');

const isSet = (raw: string | undefined) => raw !== undefined && raw.trim() !== '';

type SecretName = 'IBKR_API_TOKEN' | 'IBKR_FLEX_TOKEN';

/**
 * A secret variable or the first line of its _FILE twin (the Kubernetes secret-as-file way),
 * checked by the variable's own schema; never both.
 */
function resolveSecret(
  e: Partial<Env>,
  name: SecretName,
  schema: z.ZodType<string | undefined, string | undefined>,
  readSecret: ReadSecret,
  problems: string[],
): string | undefined {
  const fileName = `${name}_FILE` as const;
  const path = e[fileName];
  if (path === undefined) return e[name];
  if (e[name] !== undefined) {
    problems.push(`${fileName}: set either ${name} or ${fileName}, not both`);
    return undefined;
  }
  let raw: string;
  try {
    raw = readSecret(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    problems.push(`${fileName}: cannot read ${path} (${code})`);
    return undefined;
  }
  const result = schema.safeParse(raw.split(/\r?\n/)[0]);
  if (!result.success) {
    problems.push(...result.error.issues.map((issue) => `${fileName}: ${issue.message}`));
    return undefined;
  }
  if (result.data === undefined) problems.push(`${fileName}: the file is empty`);
  return result.data;
}

/** IBKR_DATABASE_URL, or the first line of IBKR_DATABASE_URL_FILE; never quotes the password. */
export function resolveDatabaseUrl(
  e: Partial<Env>,
  readSecret: ReadSecret,
  problems: string[],
): DatabaseUrl | undefined {
  let name: 'IBKR_DATABASE_URL' | 'IBKR_DATABASE_URL_FILE' = 'IBKR_DATABASE_URL';
  let raw = e.IBKR_DATABASE_URL;
  if (e.IBKR_DATABASE_URL_FILE !== undefined) {
    if (raw !== undefined) {
      problems.push(
        'IBKR_DATABASE_URL_FILE: set either IBKR_DATABASE_URL or IBKR_DATABASE_URL_FILE, not both',
      );
      return undefined;
    }
    name = 'IBKR_DATABASE_URL_FILE';
    try {
      raw = readSecret(e.IBKR_DATABASE_URL_FILE).split(/\r?\n/)[0]?.trim() ?? '';
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      problems.push(`IBKR_DATABASE_URL_FILE: cannot read ${e.IBKR_DATABASE_URL_FILE} (${code})`);
      return undefined;
    }
    if (raw === '') {
      problems.push('IBKR_DATABASE_URL_FILE: the file is empty');
      return undefined;
    }
  }
  if (raw === undefined) return undefined;
  const result = parseDatabaseUrl(raw);
  if ('problem' in result) {
    problems.push(`${name}: ${result.problem}`);
    return undefined;
  }
  return result;
}

function resolveWebConfig(path: string | undefined, readFile: ReadSecret, problems: string[]) {
  if (path === undefined) return undefined;
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    problems.push(`IBKR_WEB_CONFIG_FILE: cannot read ${path} (${code})`);
    return undefined;
  }
  try {
    return parseWebConfig(text, readFile);
  } catch (error) {
    if (!(error instanceof WebConfigError)) throw error;
    problems.push(...error.problems.map((problem) => `IBKR_WEB_CONFIG_FILE: ${path}: ${problem}`));
    return undefined;
  }
}

/** Parses the environment; throws a ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv, readSecret: ReadSecret = readSecretFile): Config {
  const parsed: Partial<Record<keyof Fields, unknown>> = {};
  const problems: string[] = [];
  for (const name of Object.keys(fields) as Array<keyof Fields>) {
    const result = fields[name].safeParse(env[name]);
    if (result.success) parsed[name] = result.data;
    else problems.push(...result.error.issues.map((issue) => `${name}: ${issue.message}`));
  }
  problems.push(...crossChecks(parsed as Partial<Env>));
  const apiToken = resolveSecret(parsed as Partial<Env>, 'IBKR_API_TOKEN', token(), readSecret, problems);
  const flex = flexConfig(
    {
      tokenSet: isSet(env.IBKR_FLEX_TOKEN) || isSet(env.IBKR_FLEX_TOKEN_FILE),
      querySet: isSet(env.IBKR_FLEX_QUERY_ID),
      token: resolveSecret(parsed as Partial<Env>, 'IBKR_FLEX_TOKEN', flexToken(), readSecret, problems),
      queryId: parsed.IBKR_FLEX_QUERY_ID as string | undefined,
      schedule: parsed.IBKR_FLEX_SCHEDULE as string | undefined,
      url: parsed.IBKR_FLEX_URL as string | undefined,
    },
    parsed.IBKR_FLEX_TOKEN_FILE === undefined ? 'IBKR_FLEX_TOKEN' : 'IBKR_FLEX_TOKEN_FILE',
    problems,
  );
  const database = resolveDatabaseUrl(parsed as Partial<Env>, readSecret, problems);
  if (
    parsed.IBKR_API_READ_TOKEN_REQUIRED === true &&
    parsed.IBKR_API_TOKEN === undefined &&
    parsed.IBKR_API_TOKEN_FILE === undefined
  ) {
    problems.push('IBKR_API_READ_TOKEN_REQUIRED: needs IBKR_API_TOKEN or IBKR_API_TOKEN_FILE');
  }
  const web = resolveWebConfig(parsed.IBKR_WEB_CONFIG_FILE as string | undefined, readSecret, problems);
  if (problems.length > 0) throw new ConfigError(problems.sort());
  const e = parsed as Env;
  return {
    ib: {
      host: e.IBKR_HOST,
      port: e.IBKR_PORT as number,
      clientId: e.IBKR_CLIENT_ID as number,
      orderClientId: e.IBKR_ORDER_CLIENT_ID ?? (e.IBKR_CLIENT_ID as number) + 1,
      baseCurrency: e.IBKR_BASE_CURRENCY,
      readonly: e.IBKR_READONLY,
      autoSync: e.IBKR_AUTO_SYNC,
      reconnectMinMs: Math.round(e.IBKR_RECONNECT_MIN_DELAY * 1000),
      reconnectMaxMs: Math.round(e.IBKR_RECONNECT_MAX_DELAY * 1000),
      keepaliveMs: Math.round(e.IBKR_KEEPALIVE_SECONDS * 1000),
      handshakeTimeoutMs: Math.round(e.IBKR_HANDSHAKE_TIMEOUT * 1000),
    },
    dbPath: e.IBKR_DB_PATH,
    ...(database === undefined ? {} : { database }),
    api: { token: apiToken, readTokenRequired: e.IBKR_API_READ_TOKEN_REQUIRED },
    orders: { maxQuantity: e.IBKR_MAX_ORDER_QUANTITY, maxNotional: e.IBKR_MAX_ORDER_NOTIONAL },
    ...(flex === undefined ? {} : { flex }),
    gateway: {
      restartEnabled: e.IBKR_GATEWAY_RESTART_ENABLED,
      deployment: e.IBKR_GATEWAY_DEPLOYMENT,
      namespace: e.IBKR_GATEWAY_NAMESPACE,
      vncUrl: e.IBKR_GATEWAY_VNC_URL,
      commandHost: e.IBKR_GATEWAY_COMMAND_HOST,
      commandPort: e.IBKR_GATEWAY_COMMAND_PORT as number,
      restartFile: e.IBKR_GATEWAY_RESTART_FILE,
      restartCooldownMs: Math.round(e.IBKR_GATEWAY_RESTART_COOLDOWN_SECONDS * 1000),
      apiTimeoutMs: Math.round(e.IBKR_GATEWAY_API_TIMEOUT_SECONDS * 1000),
    },
    http: {
      host: e.IBKR_HTTP_HOST,
      port: e.IBKR_HTTP_PORT as number,
      corsOrigins: e.IBKR_CORS_ORIGINS,
      updates: {
        maxClients: e.IBKR_WS_MAX_CLIENTS as number,
        heartbeatMs: Math.round(e.IBKR_WS_HEARTBEAT_SECONDS * 1000),
      },
      web,
      api:
        e.IBKR_API_PORT === undefined
          ? undefined
          : { host: e.IBKR_API_HOST ?? '127.0.0.1', port: e.IBKR_API_PORT },
    },
    logLevel: e.IBKR_LOG_LEVEL,
    revision: e.IBKR_REVISION,
  };
}
