// Bearer-token guard for mutating endpoints (and, with IBKR_API_READ_TOKEN_REQUIRED, the
// account-data reads). The token is compared as SHA-256 digests with timingSafeEqual, so neither
// its content nor its length leaks through response timing, and it is never echoed in a response
// or a log line.
//
// It comes in `Authorization: Bearer <token>`, or in `X-API-Token: <token>` when Authorization
// already carries the web configuration's basic-auth credentials (a request has one
// Authorization header, and both checks apply).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { HttpError } from './http-error.js';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

export const BEARER_CHALLENGE = 'Bearer realm="ibkr-pnl-exporter"';

/** A check of a request's headers against the token: 'ok', or why not. */
export function bearerCheck(token: string | undefined) {
  const expected = token === undefined ? undefined : digest(token);
  return (headers: IncomingHttpHeaders): 'ok' | 'disabled' | 'unauthorized' => {
    if (expected === undefined) return 'disabled';
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '')?.[1];
    const header = headers['x-api-token'];
    const given = bearer ?? (typeof header === 'string' ? header.trim() : undefined);
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
