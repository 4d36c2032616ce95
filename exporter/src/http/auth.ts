// Bearer-token guard for mutating endpoints (and, with IBKR_API_READ_TOKEN_REQUIRED, the
// account-data reads). The token is compared as SHA-256 digests with timingSafeEqual, so neither
// its content nor its length leaks through response timing, and it is never echoed in a response
// or a log line.
//
// It comes in `Authorization: Bearer <token>`, or in `X-API-Token: <token>` when Authorization
// already carries the web configuration's basic-auth credentials (a request has one
// Authorization header, and both checks apply).
//
// A browser's WebSocket cannot set either header, so an upgrade may carry the token as a
// Sec-WebSocket-Protocol value, spelled as the Kubernetes API server takes it from browsers:
// `base64url.bearer.authorization.k8s.io.<the token, base64url>`. Never in the URL: query strings
// end up in proxy logs and browser history.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { HttpError } from './http-error.js';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

export const BEARER_CHALLENGE = 'Bearer realm="ibkr-pnl-exporter"';

/** Prefix of a Sec-WebSocket-Protocol value that carries the bearer token. */
export const BEARER_PROTOCOL_PREFIX = 'base64url.bearer.authorization.k8s.io.';

/** The token of a WebSocket upgrade's bearer subprotocol, if it offers one. */
function protocolToken(headers: IncomingHttpHeaders): string | undefined {
  if (headers.upgrade?.toLowerCase() !== 'websocket') return undefined;
  const offered = (headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  const value = offered.find((p) => p.startsWith(BEARER_PROTOCOL_PREFIX));
  if (value === undefined) return undefined;
  const encoded = value.slice(BEARER_PROTOCOL_PREFIX.length);
  return /^[A-Za-z0-9_-]+$/.test(encoded) ? Buffer.from(encoded, 'base64url').toString('utf8') : undefined;
}

/** A check of a request's headers against the token: 'ok', or why not. */
export function bearerCheck(token: string | undefined) {
  const expected = token === undefined ? undefined : digest(token);
  return (headers: IncomingHttpHeaders): 'ok' | 'disabled' | 'unauthorized' => {
    if (expected === undefined) return 'disabled';
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '')?.[1];
    const header = headers['x-api-token'];
    const given =
      bearer ?? (typeof header === 'string' ? header.trim() : undefined) ?? protocolToken(headers);
    return given && timingSafeEqual(digest(given), expected) ? 'ok' : 'unauthorized';
  };
}

/** Express middleware: 403 when no token is configured, 401 when the request's token is missing or wrong. */
export function requireBearer(token: string | undefined) {
  const check = bearerCheck(token);
  return (req: Request, res: Response, next: NextFunction): void => {
    const result = check(req.headers);
    if (result === 'disabled') throw new HttpError(403, 'disabled: set IBKR_API_TOKEN');
    if (result === 'unauthorized') {
      res.set('WWW-Authenticate', BEARER_CHALLENGE);
      throw new HttpError(401, 'missing or invalid bearer token');
    }
    next();
  };
}
