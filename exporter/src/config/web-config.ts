// IBKR_WEB_CONFIG_FILE: the web configuration file of Prometheus exporters (exporter-toolkit's
// format; docs/security.md), so an operator protects this exporter the way they protect
// node_exporter: same field names, defaults and rules. Read and checked once at start; every
// problem names its field. Certificates and keys are read here and loaded into a TLS context, so
// an unreadable or mismatched pair refuses to start rather than failing the first handshake.
import { createSecureContext } from 'node:tls';
import bcrypt from 'bcryptjs';
import { parse } from 'yaml';
import { z } from 'zod';

/** exporter-toolkit's client_auth_type values (Go's crypto/tls ClientAuthType names). */
export const CLIENT_AUTH_TYPES = [
  'NoClientCert',
  'RequestClientCert',
  'RequireAnyClientCert',
  'VerifyClientCertIfGiven',
  'RequireAndVerifyClientCert',
] as const;
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];

/** exporter-toolkit's TLS version names and Node's. */
const TLS_VERSIONS = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' } as const;
type TlsVersionName = keyof typeof TLS_VERSIONS;
type NodeTlsVersion = (typeof TLS_VERSIONS)[TlsVersionName];

/**
 * The only headers exporter-toolkit lets a web config add, with the values it accepts (none
 * listed: any value). "To ensure consistency in the Prometheus ecosystem" (web/handler.go).
 */
const EXTRA_HEADERS: Record<string, readonly string[] | undefined> = {
  'Strict-Transport-Security': undefined,
  'X-Content-Type-Options': ['nosniff'],
  'X-Frame-Options': ['deny', 'sameorigin'],
  'X-XSS-Protection': undefined,
  'Content-Security-Policy': undefined,
};

/**
 * Fields exporter-toolkit knows whose meaning is Go's TLS stack or its rate limiter. Refused by
 * name rather than ignored: an operator who sets them expects them to take effect.
 */
const UNSUPPORTED = new Map([
  ['tls_server_config.cipher_suites', "Go cipher suite names; Node's defaults apply"],
  ['tls_server_config.curve_preferences', "Go curve names; Node's defaults apply"],
  ['tls_server_config.prefer_server_cipher_suites', "Node's default (server order) applies"],
  ['tls_server_config.client_allowed_sans', 'use a dedicated client CA instead'],
  ['rate_limit', 'put a rate limit in front of the exporter instead'],
]);

const version = z.enum(Object.keys(TLS_VERSIONS) as [TlsVersionName, ...TlsVersionName[]], {
  message: `must be one of ${Object.keys(TLS_VERSIONS).join(', ')}`,
});

const schema = z
  .object({
    tls_server_config: z
      .object({
        cert: z.string().optional(),
        key: z.string().optional(),
        client_ca: z.string().optional(),
        cert_file: z.string().optional(),
        key_file: z.string().optional(),
        // "RequireClientCert" is kept by exporter-toolkit as an alias of RequireAnyClientCert.
        client_auth_type: z
          .enum([...CLIENT_AUTH_TYPES, 'RequireClientCert'], {
            message: `must be one of ${CLIENT_AUTH_TYPES.join(', ')}`,
          })
          .optional(),
        client_ca_file: z.string().optional(),
        min_version: version.optional(),
        max_version: version.optional(),
      })
      .strict()
      .nullish(),
    http_server_config: z
      .object({
        // Node serves HTTP/1.1 here; exporter-toolkit's default is true, and Prometheus scrapes
        // either. Accepted so that a shared web config file works unchanged.
        http2: z.boolean().optional(),
        headers: z.record(z.string(), z.string()).optional(),
      })
      .strict()
      .nullish(),
    basic_auth_users: z.record(z.string(), z.string()).nullish(),
  })
  .strict();

export interface TlsSettings {
  cert: string;
  key: string;
  /** PEM of the CAs client certificates are verified against; undefined: Node's default roots. */
  ca?: string;
  clientAuth: ClientAuthType;
  minVersion: NodeTlsVersion;
  maxVersion: NodeTlsVersion;
}

export interface WebConfig {
  /** Absent: plain HTTP, as exporter-toolkit without cert and key. */
  tls?: TlsSettings;
  /** user → bcrypt hash; empty: no basic authentication. */
  users: Map<string, string>;
  /** Headers added to every response. */
  headers: Record<string, string>;
}

export type ReadFile = (path: string) => string;

/** Problems with the file, each naming its field; the file's secrets are never included. */
export class WebConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'WebConfigError';
  }
}

function unsupportedFields(raw: unknown): string[] {
  if (typeof raw !== 'object' || raw === null) return [];
  const top = raw as Record<string, unknown>;
  const tls = (typeof top.tls_server_config === 'object' && top.tls_server_config) || {};
  const present = [
    ...Object.keys(top),
    ...Object.keys(tls as object).map((key) => `tls_server_config.${key}`),
  ];
  return present
    .filter((field) => UNSUPPORTED.has(field))
    .map((field) => `${field}: not supported by ibkr-pnl-exporter (${UNSUPPORTED.get(field)})`);
}

function headerProblems(headers: Record<string, string>): string[] {
  return Object.entries(headers).flatMap(([name, value]) => {
    if (!Object.hasOwn(EXTRA_HEADERS, name)) {
      return [
        `http_server_config.headers.${name}: this header can not be configured (allowed: ${Object.keys(EXTRA_HEADERS).join(', ')})`,
      ];
    }
    const allowed = EXTRA_HEADERS[name];
    if (allowed && !allowed.includes(value)) {
      return [`http_server_config.headers.${name}: must be one of ${allowed.join(', ')} (got "${value}")`];
    }
    return [];
  });
}

function userProblems(users: Record<string, string>): string[] {
  return Object.entries(users).flatMap(([user, hash]) => {
    try {
      // Throws on anything that is not a $2a$/$2b$/$2y$ hash with a cost.
      bcrypt.getRounds(hash);
      if (!/^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/.test(hash)) throw new Error('malformed');
      return [];
    } catch {
      return [`basic_auth_users.${user}: not a bcrypt hash (value not shown); see htpasswd -nBC 10 ""`];
    }
  });
}

/** Reads `file` or takes the inline value; `field` names both in the problem. */
function material(
  inline: string | undefined,
  file: string | undefined,
  field: string,
  readFile: ReadFile,
  problems: string[],
): string | undefined {
  if (inline !== undefined && file !== undefined) {
    problems.push(`tls_server_config.${field}_file: set either ${field} or ${field}_file, not both`);
    return undefined;
  }
  if (file === undefined) return inline;
  try {
    return readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    problems.push(`tls_server_config.${field}_file: cannot read ${file} (${code})`);
    return undefined;
  }
}

type Parsed = z.output<typeof schema>;

function tlsSettings(tls: NonNullable<Parsed['tls_server_config']>, readFile: ReadFile, problems: string[]) {
  const cert = material(tls.cert, tls.cert_file, 'cert', readFile, problems);
  const key = material(tls.key, tls.key_file, 'key', readFile, problems);
  const ca = material(tls.client_ca, tls.client_ca_file, 'client_ca', readFile, problems);
  const clientAuth: ClientAuthType =
    tls.client_auth_type === 'RequireClientCert'
      ? 'RequireAnyClientCert'
      : (tls.client_auth_type ?? 'NoClientCert');
  // No certificate and no key: exporter-toolkit serves plain HTTP.
  if (cert === undefined && key === undefined && tls.cert_file === undefined && tls.key_file === undefined) {
    if (ca !== undefined || clientAuth !== 'NoClientCert') {
      problems.push('tls_server_config: client certificates need cert_file and key_file');
    }
    return undefined;
  }
  if (cert === undefined && tls.cert_file === undefined) {
    problems.push('tls_server_config.cert_file: missing one of cert or cert_file');
  }
  if (key === undefined && tls.key_file === undefined) {
    problems.push('tls_server_config.key_file: missing one of key or key_file');
  }
  if (ca !== undefined && clientAuth === 'NoClientCert') {
    problems.push(
      "tls_server_config.client_auth_type: client CA's have been configured without a Client Auth Policy",
    );
  }
  const minVersion = TLS_VERSIONS[tls.min_version ?? 'TLS12'];
  const maxVersion = TLS_VERSIONS[tls.max_version ?? 'TLS13'];
  if ((tls.max_version ?? 'TLS13') < (tls.min_version ?? 'TLS12')) {
    problems.push('tls_server_config.max_version: must not be lower than min_version');
  }
  if (cert === undefined || key === undefined) return undefined;
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    problems.push(
      `tls_server_config.cert_file: the certificate and key do not load (${(error as Error).message})`,
    );
    return undefined;
  }
  if (ca !== undefined) {
    try {
      createSecureContext({ ca });
    } catch (error) {
      problems.push(
        `tls_server_config.client_ca_file: the CA certificates do not load (${(error as Error).message})`,
      );
    }
  }
  return { cert, key, ca, clientAuth, minVersion, maxVersion };
}

/** Parses the file's text; files it names are read with `readFile`. Throws a WebConfigError. */
export function parseWebConfig(text: string, readFile: ReadFile): WebConfig {
  let raw: unknown;
  try {
    raw = parse(text, { uniqueKeys: true }) ?? {};
  } catch (error) {
    throw new WebConfigError([`not valid YAML (${(error as Error).message.split('\n')[0]})`]);
  }
  const unsupported = unsupportedFields(raw);
  if (unsupported.length > 0) throw new WebConfigError(unsupported);
  const result = schema.safeParse(raw);
  if (!result.success) {
    throw new WebConfigError(
      result.error.issues.flatMap((issue) => {
        const path = issue.path.join('.');
        if (issue.code === 'unrecognized_keys') {
          return issue.keys.map((k) => `${path ? `${path}.` : ''}${k}: unknown field`);
        }
        return [`${path || '(file)'}: ${issue.message}`];
      }),
    );
  }
  const parsed = result.data;
  const problems: string[] = [];
  const headers = parsed.http_server_config?.headers ?? {};
  problems.push(...headerProblems(headers));
  const users = parsed.basic_auth_users ?? {};
  problems.push(...userProblems(users));
  const tls = parsed.tls_server_config
    ? tlsSettings(parsed.tls_server_config, readFile, problems)
    : undefined;
  if (problems.length > 0) throw new WebConfigError(problems);
  return { tls, users: new Map(Object.entries(users)), headers };
}
