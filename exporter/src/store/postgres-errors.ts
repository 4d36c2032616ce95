// What a PostgreSQL error means for the exporter. An unreachable server is an outage: keep
// serving memory, retry, re-sync. A database that answers but cannot be used as configured (wrong
// password, no such database, a read-only role, a schema from a newer build) is a refusal: the
// exporter stops at start with one message naming the database by its redacted URL.

/** Why a PostgreSQL ledger was refused. */
export type PostgresProblem = 'authentication' | 'missing_database' | 'read_only' | 'newer_schema';

export class PostgresRefusal extends Error {
  override readonly name = 'PostgresRefusal';

  constructor(
    readonly problem: PostgresProblem,
    /** The database as the operator knows it: the URL without its password. */
    readonly ledger: string,
    readonly what: string,
    readonly remedy: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot use the ledger ${ledger}: ${what}; ${remedy}`, options);
  }
}

/** SQLSTATEs of a server that is going away or not accepting connections yet (class 57, 08). */
const OUTAGE_STATES = /^(08|57P0[1-3]|53300)/;
const OUTAGE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

/**
 * Whether an error means the server cannot be reached right now (retry later), as opposed to a
 * query the server refused. node-postgres reports a dropped connection without a code.
 */
export function isOutage(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | undefined;
  if (typeof e?.code === 'string' && (OUTAGE_CODES.has(e.code) || OUTAGE_STATES.test(e.code))) return true;
  const message = e?.message ?? '';
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout/i.test(
    message,
  );
}

/** The refusal an error at start means, or undefined when it is an outage or something else. */
export function refusalOf(
  error: unknown,
  ledger: string,
  user: string,
  database: string,
): PostgresRefusal | undefined {
  const code = (error as { code?: string } | undefined)?.code;
  const options = { cause: error };
  switch (code) {
    case '28P01':
      return new PostgresRefusal(
        'authentication',
        ledger,
        `password authentication failed for the role "${user}"`,
        'check the password in IBKR_DATABASE_URL (or the file IBKR_DATABASE_URL_FILE names)',
        options,
      );
    case '28000':
      return new PostgresRefusal(
        'authentication',
        ledger,
        `the server refused the login of the role "${user}"`,
        "check the role name, and the server's pg_hba.conf for this client",
        options,
      );
    case '3D000':
      return new PostgresRefusal(
        'missing_database',
        ledger,
        `the database "${database}" does not exist`,
        `create it (CREATE DATABASE "${database}" OWNER "${user}") or fix the database name in IBKR_DATABASE_URL`,
        options,
      );
    case '42501':
    case '25006':
      return new PostgresRefusal(
        'read_only',
        ledger,
        `the role "${user}" may not write the ledger (${code === '25006' ? 'read-only transaction' : 'permission denied'})`,
        'connect as the role that owns the ledger tables, or grant this one INSERT, UPDATE and DELETE on them (read-only roles are for Grafana)',
        options,
      );
    default:
      return undefined;
  }
}
