// Which endpoints a listener serves, and which need the bearer token, decided before the app's
// routes see the request, and before the WebSocket hub sees an upgrade. With a separate API
// listener (IBKR_API_PORT) the main one serves only what Prometheus and the kubelet need, and the
// live feed; with IBKR_API_READ_TOKEN_REQUIRED the endpoints that return account data need the
// bearer token too, the feed included.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BEARER_CHALLENGE, bearerCheck } from './auth.js';
import { gated, gatedUpgrade } from './refusal.js';
import type { Gate, UpgradeHandler } from './refusal.js';
import { UPDATES_PATH } from './ws-updates.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** What the main listener serves when the REST API has a listener of its own. */
export const METRICS_SURFACE: ReadonlySet<string> = new Set([
  '/',
  '/metrics',
  '/healthz',
  '/readyz',
  UPDATES_PATH,
]);

/** Read endpoints that return positions, balances, trades or orders of the account. */
// Every path under these: /positions/history, /positions/:id/trades and /ws/updates included.
const ACCOUNT_DATA = /^\/(positions|trades|pnl|orders|ws)(\/|$)/;

export interface SurfaceOptions {
  only?: ReadonlySet<string>;
  readToken?: string;
}

function surfaceGate(options: SurfaceOptions): Gate {
  const check = options.readToken === undefined ? undefined : bearerCheck(options.readToken);
  return (req) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (options.only && !options.only.has(path)) {
      return {
        status: 404,
        error: `no route for ${req.method} ${path} on this port: the REST API listens on IBKR_API_PORT`,
      };
    }
    if (check && (req.method === 'GET' || req.method === 'HEAD') && ACCOUNT_DATA.test(path)) {
      if (check(req.headers) !== 'ok') {
        return {
          status: 401,
          error: 'missing or invalid bearer token',
          headers: { 'WWW-Authenticate': BEARER_CHALLENGE },
        };
      }
    }
    return undefined;
  };
}

export function surface(app: Handler, options: SurfaceOptions): Handler {
  return gated(surfaceGate(options), app);
}

/** The same decision for a WebSocket upgrade, before `next` (the updates hub) sees it. */
export function surfaceUpgrade(next: UpgradeHandler, options: SurfaceOptions): UpgradeHandler {
  return gatedUpgrade(surfaceGate(options), next);
}
