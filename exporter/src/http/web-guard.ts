// What IBKR_WEB_CONFIG_FILE asks of every request before any route sees it, in
// exporter-toolkit's order (web/handler.go): the configured headers, then basic authentication.
// The same gate guards WebSocket upgrades, which never reach the request handler.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import bcrypt from 'bcryptjs';
import type { WebConfig } from '../config/web-config.js';
import { gated, gatedUpgrade } from './refusal.js';
import type { Gate, UpgradeHandler } from './refusal.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

// exporter-toolkit's bcrypt of "fakepassword": an unknown user costs as much as a known one, so
// response times do not tell which users exist.
const FAKE_HASH = '$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi';
// bcrypt at cost 10 takes ~100 ms of pure-JS CPU; Prometheus sends the same credentials every
// scrape, so outcomes are cached like exporter-toolkit does, keyed by a digest of user, hash and
// password (the password itself is never kept).
const CACHE_LIMIT = 100;

function credentials(req: IncomingMessage): { user: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(req.headers.authorization ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The web configuration's headers and basic authentication, as a gate. */
function webGate(web: WebConfig): Gate {
  const unauthorized = {
    status: 401,
    error: 'unauthorized',
    headers: { ...web.headers, 'WWW-Authenticate': 'Basic' },
  };
  const cache = new Map<string, boolean>();
  const check = async (user: string, password: string): Promise<boolean> => {
    const hash = web.users.get(user);
    const key = createHash('sha256')
      .update(JSON.stringify([user, hash ?? FAKE_HASH, password]))
      .digest('hex');
    const cached = cache.get(key);
    if (cached !== undefined) return cached;
    const ok = (await bcrypt.compare(password, hash ?? FAKE_HASH)) && hash !== undefined;
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
    cache.set(key, ok);
    return ok;
  };
  return (req) => {
    if (web.users.size === 0) return undefined;
    const given = credentials(req);
    if (given === undefined) return unauthorized;
    return check(given.user, given.password).then(
      (ok) => (ok ? undefined : unauthorized),
      () => unauthorized,
    );
  };
}

/** Wraps `next` with the web configuration's headers and basic authentication. */
export function webGuard(web: WebConfig | undefined, next: Handler): Handler {
  if (web === undefined) return next;
  const gate = webGate(web);
  const headers = Object.entries(web.headers);
  return gated(gate, (req, res) => {
    for (const [name, value] of headers) res.setHeader(name, value);
    next(req, res);
  });
}

/** The same basic authentication in front of a WebSocket upgrade. */
export function webUpgradeGuard(web: WebConfig | undefined, next: UpgradeHandler): UpgradeHandler {
  return web === undefined ? next : gatedUpgrade(webGate(web), next);
}
