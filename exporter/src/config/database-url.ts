// IBKR_DATABASE_URL: parsed and redacted here, once, so no other module ever handles a URL whose
// password could end up in a log line, a metric or an error.

const PROTOCOLS = new Set(['postgres:', 'postgresql:']);
const SSL_MODES = new Set(['disable', 'prefer', 'require', 'no-verify', 'verify-ca', 'verify-full']);
const HIDDEN = '***';

export interface DatabaseUrl {
  /** The URL as given, password included: only for the driver. Never log it. */
  readonly url: string;
  /** The URL with its password (and any password query parameter) replaced by ***. */
  readonly redacted: string;
}

/** Replaces the password of a URL, if any; a string that is not a URL is hidden entirely. */
export function redactUrl(raw: string): string {
  if (!URL.canParse(raw)) return '(unparsable URL, not shown)';
  const url = new URL(raw);
  if (url.password !== '') url.password = HIDDEN;
  for (const key of ['password', 'sslpassword']) {
    if (url.searchParams.has(key)) url.searchParams.set(key, HIDDEN);
  }
  return url.toString();
}

/** Checks a PostgreSQL URL; returns the problem in words (never quoting the value) or the URL. */
export function parseDatabaseUrl(raw: string): DatabaseUrl | { problem: string } {
  const value = raw.trim();
  const example = 'such as postgres://user@host:5432/ibkr?sslmode=require';
  if (!URL.canParse(value)) return { problem: `must be a URL ${example} (value not shown)` };
  const url = new URL(value);
  if (!PROTOCOLS.has(url.protocol)) {
    return { problem: `must start with postgres:// or postgresql:// (got ${url.protocol}//…)` };
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (url.hostname === '' && !url.searchParams.has('host')) {
    return { problem: `must name a host, ${example} (got ${redactUrl(value)})` };
  }
  if (database === '' || database.includes('/')) {
    return { problem: `must name one database in its path, ${example} (got ${redactUrl(value)})` };
  }
  const sslmode = url.searchParams.get('sslmode');
  if (sslmode !== null && !SSL_MODES.has(sslmode)) {
    return {
      problem: `sslmode must be one of ${[...SSL_MODES].join(', ')} (got ${redactUrl(value)})`,
    };
  }
  return { url: value, redacted: redactUrl(value) };
}
