// Which endpoints a listener serves, and which need the bearer token, decided before the app's
// routes see the request. With a separate API listener (IBKR_API_PORT) the main one serves only
// what Prometheus and the kubelet need; with IBKR_API_READ_TOKEN_REQUIRED the endpoints that
// return account data need the bearer token too.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BEARER_CHALLENGE, bearerCheck } from './auth.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** What the main listener serves when the REST API has a listener of its own. */
export const METRICS_SURFACE: ReadonlySet<string> = new Set(['/', '/metrics', '/healthz', '/readyz']);

/** Read endpoints that return positions, balances, trades or orders of the account. */
// Every path under these: /positions/history and /positions/:id/trades included.
const ACCOUNT_DATA = /^\/(positions|trades|pnl|orders)(\/|$)/;

function json(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}

export function surface(app: Handler, options: { only?: ReadonlySet<string>; readToken?: string }): Handler {
  const check = options.readToken === undefined ? undefined : bearerCheck(options.readToken);
  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (options.only && !options.only.has(path)) {
      return json(res, 404, {
        error: `no route for ${req.method} ${path} on this port: the REST API listens on IBKR_API_PORT`,
      });
    }
    if (check && (req.method === 'GET' || req.method === 'HEAD') && ACCOUNT_DATA.test(path)) {
      if (check(req.headers) !== 'ok') {
        res.setHeader('WWW-Authenticate', BEARER_CHALLENGE);
        return json(res, 401, { error: 'missing or invalid bearer token' });
      }
    }
    app(req, res);
  };
}
