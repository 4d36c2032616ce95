import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    expect(loadConfig({})).toEqual({
      ib: {
        host: '127.0.0.1',
        port: 7497,
        clientId: 1,
        orderClientId: 2,
        baseCurrency: 'USD',
        readonly: true,
        autoSync: true,
        reconnectMinMs: 3000,
        reconnectMaxMs: 60000,
        keepaliveMs: 15000,
        handshakeTimeoutMs: 20000,
      },
      dbPath: 'data/ibkr.db',
      api: { token: undefined, readTokenRequired: false },
      orders: { maxQuantity: undefined, maxNotional: undefined },
      gateway: {
        restartEnabled: false,
        deployment: 'ib-gateway',
        namespace: 'default',
        vncUrl: undefined,
        commandHost: '127.0.0.1',
        commandPort: 7462,
        restartFile: undefined,
        restartCooldownMs: 300000,
        apiTimeoutMs: 10000,
      },
      http: {
        host: '0.0.0.0',
        port: 8000,
        corsOrigins: [],
        updates: { maxClients: 50, heartbeatMs: 30000 },
        web: undefined,
        api: undefined,
      },
      logLevel: 'info',
      revision: 'unknown',
    });
  });

  it('derives the order client id from the client id', () => {
    expect(loadConfig({ IBKR_CLIENT_ID: '7' }).ib.orderClientId).toBe(8);
    expect(loadConfig({ IBKR_CLIENT_ID: '7', IBKR_ORDER_CLIENT_ID: '20' }).ib.orderClientId).toBe(20);
  });

  it.each([
    ['true', true],
    ['1', true],
    ['YES', true],
    ['false', false],
    ['0', false],
    ['no', false],
  ])('reads boolean %s as %s', (raw, expected) => {
    expect(loadConfig({ IBKR_READONLY: raw }).ib.readonly).toBe(expected);
  });

  it('treats an empty value as unset', () => {
    expect(loadConfig({ IBKR_PORT: '', IBKR_GATEWAY_VNC_URL: '' }).ib.port).toBe(7497);
  });

  it('reads the CORS origins as a list, * included', () => {
    expect(
      loadConfig({ IBKR_CORS_ORIGINS: ' https://ui.example:8443 , http://localhost:3000,' }).http.corsOrigins,
    ).toEqual(['https://ui.example:8443', 'http://localhost:3000']);
    expect(loadConfig({ IBKR_CORS_ORIGINS: '*' }).http.corsOrigins).toEqual(['*']);
  });

  it('converts delays from seconds to milliseconds', () => {
    const { ib } = loadConfig({ IBKR_RECONNECT_MIN_DELAY: '0.5', IBKR_KEEPALIVE_SECONDS: '30' });
    expect([ib.reconnectMinMs, ib.keepaliveMs]).toEqual([500, 30000]);
  });

  it.each<[string, Record<string, string>, string[]]>([
    [
      'a port that is not a number',
      { IBKR_PORT: 'abc' },
      ['IBKR_PORT: must be an integer from 1 to 65535 (got "abc")'],
    ],
    [
      'a port out of range',
      { IBKR_PORT: '70000' },
      ['IBKR_PORT: must be an integer from 1 to 65535 (got "70000")'],
    ],
    [
      'a fractional client id',
      { IBKR_CLIENT_ID: '1.5' },
      ['IBKR_CLIENT_ID: must be an integer from 0 to 2147483646 (got "1.5")'],
    ],
    [
      'a boolean that is not one',
      { IBKR_READONLY: 'maybe' },
      ['IBKR_READONLY: must be one of true/false/1/0/yes/no (got "maybe")'],
    ],
    [
      'a lower-case currency',
      { IBKR_BASE_CURRENCY: 'usd' },
      ['IBKR_BASE_CURRENCY: must be a three-letter upper-case currency code such as USD'],
    ],
    [
      'a negative delay',
      { IBKR_RECONNECT_MIN_DELAY: '-1' },
      ['IBKR_RECONNECT_MIN_DELAY: must be a number of seconds from 0.01 to 86400 (got "-1")'],
    ],
    [
      'a keepalive below one second',
      { IBKR_KEEPALIVE_SECONDS: '0.5' },
      ['IBKR_KEEPALIVE_SECONDS: must be a number of seconds from 1 to 86400 (got "0.5")'],
    ],
    [
      'a maximum delay below the minimum',
      { IBKR_RECONNECT_MIN_DELAY: '10', IBKR_RECONNECT_MAX_DELAY: '5' },
      ['IBKR_RECONNECT_MAX_DELAY: must not be less than IBKR_RECONNECT_MIN_DELAY (10)'],
    ],
    [
      'an order client id equal to the client id',
      { IBKR_CLIENT_ID: '3', IBKR_ORDER_CLIENT_ID: '3' },
      ['IBKR_ORDER_CLIENT_ID: must differ from IBKR_CLIENT_ID (3): IB allows one connection per client id'],
    ],
    [
      'a VNC URL that is not a URL',
      { IBKR_GATEWAY_VNC_URL: 'vnc-host' },
      ['IBKR_GATEWAY_VNC_URL: must be an absolute URL such as http://host:6080 (got "vnc-host")'],
    ],
    [
      'a token that is too short, without echoing it',
      { IBKR_API_TOKEN: 'hunter2' },
      ['IBKR_API_TOKEN: must be at least 16 characters (value not shown)'],
    ],
    [
      'a token with spaces, without echoing it',
      { IBKR_API_TOKEN: 'correct horse battery staple' },
      ['IBKR_API_TOKEN: must be printable ASCII without spaces (value not shown)'],
    ],
    [
      'a token and a token file at once',
      { IBKR_API_TOKEN: 'a'.repeat(20), IBKR_API_TOKEN_FILE: '/run/secrets/token' },
      ['IBKR_API_TOKEN_FILE: set either IBKR_API_TOKEN or IBKR_API_TOKEN_FILE, not both'],
    ],
    [
      'an order limit that is not positive',
      { IBKR_MAX_ORDER_QUANTITY: '0', IBKR_MAX_ORDER_NOTIONAL: 'lots' },
      [
        'IBKR_MAX_ORDER_NOTIONAL: must be a positive number (got "lots")',
        'IBKR_MAX_ORDER_QUANTITY: must be a positive number (got "0")',
      ],
    ],
    [
      'an IBC command port out of range',
      { IBKR_GATEWAY_COMMAND_PORT: '0' },
      ['IBKR_GATEWAY_COMMAND_PORT: must be an integer from 1 to 65535 (got "0")'],
    ],
    [
      'a CORS origin with a path, or that is not a URL',
      { IBKR_CORS_ORIGINS: 'https://ui.example/app,ui.example,https://ok.example', IBKR_WS_MAX_CLIENTS: '0' },
      [
        'IBKR_CORS_ORIGINS: must be a comma-separated list of origins such as https://ui.example:8443, or * (got "https://ui.example/app", "ui.example")',
        'IBKR_WS_MAX_CLIENTS: must be an integer from 1 to 10000 (got "0")',
      ],
    ],
    [
      'an unknown log level',
      { IBKR_LOG_LEVEL: 'loud' },
      ['IBKR_LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent'],
    ],
    [
      'several bad variables at once',
      { IBKR_PORT: 'x', IBKR_AUTO_SYNC: 'sometimes', IBKR_HTTP_PORT: '-1' },
      [
        'IBKR_AUTO_SYNC: must be one of true/false/1/0/yes/no (got "sometimes")',
        'IBKR_HTTP_PORT: must be an integer from 0 to 65535 (got "-1")',
        'IBKR_PORT: must be an integer from 1 to 65535 (got "x")',
      ],
    ],
  ])('refuses %s', (_name, env, expected) => {
    expect(problemsOf(env)).toEqual(expected);
  });

  it('reads the token from the first line of IBKR_API_TOKEN_FILE', () => {
    const secret = 's3cret-token-0123456789';
    const config = loadConfig({ IBKR_API_TOKEN_FILE: '/run/secrets/token' }, (path) => {
      expect(path).toBe('/run/secrets/token');
      return `${secret}\n`;
    });
    expect(config.api.token).toBe(secret);
  });

  it('names an unreadable token file by path and error code only', () => {
    const env = { IBKR_API_TOKEN_FILE: '/nope/token' };
    const missing = () => {
      throw Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
    };
    expect(() => loadConfig(env, missing)).toThrow('IBKR_API_TOKEN_FILE: cannot read /nope/token (ENOENT)');
  });

  it('never puts a rejected token into the error', () => {
    const secret = 'short secret';
    expect(() => loadConfig({ IBKR_API_TOKEN: secret })).toThrow(ConfigError);
    try {
      loadConfig({ IBKR_API_TOKEN: secret });
    } catch (error) {
      expect(String((error as Error).message)).not.toContain(secret);
    }
    const fromFile = () => loadConfig({ IBKR_API_TOKEN_FILE: '/t' }, () => secret);
    expect(fromFile).toThrow('IBKR_API_TOKEN_FILE');
    expect(fromFile).not.toThrow(secret);
  });

  describe('the PostgreSQL URL', () => {
    const secret = 's3cr3t-Pa55';
    const url = `postgres://ibkr:${secret}@db.example:5432/ibkr?sslmode=require`;

    it('selects PostgreSQL and keeps a redacted copy for messages', () => {
      expect(loadConfig({ IBKR_DATABASE_URL: url }).database).toEqual({
        url,
        redacted: 'postgres://ibkr:***@db.example:5432/ibkr?sslmode=require',
      });
    });

    it('leaves SQLite the default when unset or empty', () => {
      expect(loadConfig({}).database).toBeUndefined();
      expect(loadConfig({ IBKR_DATABASE_URL: ' ' }).database).toBeUndefined();
    });

    it('reads the first line of IBKR_DATABASE_URL_FILE', () => {
      const config = loadConfig({ IBKR_DATABASE_URL_FILE: '/run/secrets/db' }, (path) => {
        expect(path).toBe('/run/secrets/db');
        return `${url}\n`;
      });
      expect(config.database?.url).toBe(url);
    });

    it('redacts a password given as a query parameter too', () => {
      const config = loadConfig({ IBKR_DATABASE_URL: `postgresql://ibkr@db/ibkr?password=${secret}` });
      expect(config.database?.redacted).toBe('postgresql://ibkr@db/ibkr?password=***');
    });

    it.each<[string, Record<string, string>, string]>([
      [
        'both variables',
        { IBKR_DATABASE_URL: url, IBKR_DATABASE_URL_FILE: '/run/secrets/db' },
        'IBKR_DATABASE_URL_FILE: set either IBKR_DATABASE_URL or IBKR_DATABASE_URL_FILE, not both',
      ],
      [
        'a value that is not a URL',
        { IBKR_DATABASE_URL: `host=db user=ibkr password=${secret}` },
        'IBKR_DATABASE_URL: must be a URL such as postgres://user@host:5432/ibkr?sslmode=require (value not shown)',
      ],
      [
        'another scheme',
        { IBKR_DATABASE_URL: `mysql://ibkr:${secret}@db/ibkr` },
        'IBKR_DATABASE_URL: must start with postgres:// or postgresql:// (got mysql://…)',
      ],
      [
        'a URL without a database',
        { IBKR_DATABASE_URL: `postgres://ibkr:${secret}@db:5432` },
        'IBKR_DATABASE_URL: must name one database in its path, such as postgres://user@host:5432/ibkr?sslmode=require (got postgres://ibkr:***@db:5432)',
      ],
      [
        'an unknown sslmode',
        { IBKR_DATABASE_URL: `postgres://ibkr:${secret}@db/ibkr?sslmode=always` },
        'IBKR_DATABASE_URL: sslmode must be one of disable, prefer, require, no-verify, verify-ca, verify-full (got postgres://ibkr:***@db/ibkr?sslmode=always)',
      ],
    ])('refuses %s without showing the password', (_name, env, expected) => {
      const problems = problemsOf(env);
      expect(problems).toEqual([expected]);
      expect(problems.join('\n')).not.toContain(secret);
    });

    it('refuses an unparsable URL from the file by the file variable', () => {
      expect(() => loadConfig({ IBKR_DATABASE_URL_FILE: '/s' }, () => `not a url ${secret}\n`)).toThrow(
        'IBKR_DATABASE_URL_FILE: must be a URL such as postgres://user@host:5432/ibkr?sslmode=require (value not shown)',
      );
    });

    it('names an empty or unreadable URL file', () => {
      expect(() => loadConfig({ IBKR_DATABASE_URL_FILE: '/s' }, () => '\n')).toThrow(
        'IBKR_DATABASE_URL_FILE: the file is empty',
      );
      const missing = () => {
        throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      };
      expect(() => loadConfig({ IBKR_DATABASE_URL_FILE: '/nope' }, missing)).toThrow(
        'IBKR_DATABASE_URL_FILE: cannot read /nope (ENOENT)',
      );
    });
  });

  it('names every bad variable in one message', () => {
    expect(() => loadConfig({ IBKR_PORT: 'x', IBKR_READONLY: 'maybe' })).toThrow(
      'invalid configuration:\n  IBKR_PORT: must be an integer from 1 to 65535 (got "x")\n  IBKR_READONLY: must be one of true/false/1/0/yes/no (got "maybe")',
    );
  });

  it('names a web config file that cannot be read, and each bad field of one that can', () => {
    const files: Record<string, string> = {
      '/web.yml': 'basic_auth_users:\n  alice: plain\nrate_limit: {}\n',
    };
    const read = (path: string) => {
      if (files[path] === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
      return files[path];
    };
    expect(problemsOf({ IBKR_WEB_CONFIG_FILE: '/missing.yml' })).toEqual([
      'IBKR_WEB_CONFIG_FILE: cannot read /missing.yml (ENOENT)',
    ]);
    expect(() => loadConfig({ IBKR_WEB_CONFIG_FILE: '/web.yml' }, read)).toThrow(
      'IBKR_WEB_CONFIG_FILE: /web.yml: rate_limit: not supported by ibkr-pnl-exporter (put a rate limit in front of the exporter instead)',
    );
  });

  it('moves the REST API to its own listener, on localhost unless told otherwise', () => {
    expect(loadConfig({ IBKR_API_PORT: '8001' }).http.api).toEqual({ host: '127.0.0.1', port: 8001 });
    expect(loadConfig({ IBKR_API_HOST: '10.0.0.1', IBKR_API_PORT: '0' }).http.api).toEqual({
      host: '10.0.0.1',
      port: 0,
    });
    expect(problemsOf({ IBKR_API_HOST: '10.0.0.1' })).toEqual([
      'IBKR_API_PORT: required when IBKR_API_HOST is set',
    ]);
  });

  it('needs a token to put the read endpoints behind it', () => {
    expect(problemsOf({ IBKR_API_READ_TOKEN_REQUIRED: 'true' })).toEqual([
      'IBKR_API_READ_TOKEN_REQUIRED: needs IBKR_API_TOKEN or IBKR_API_TOKEN_FILE',
    ]);
    const config = loadConfig({ IBKR_API_READ_TOKEN_REQUIRED: 'true', IBKR_API_TOKEN: 'a'.repeat(16) });
    expect(config.api.readTokenRequired).toBe(true);
  });
});
