// Bearer-token guard for mutating endpoints. The token is compared as SHA-256 digests with
// timingSafeEqual, so neither its content nor its length leaks through response timing, and it is
// never echoed in a response or a log line.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { HttpError } from './http-error.js';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** Express middleware: 403 when no token is configured, 401 when the request's token is missing or wrong. */
export function requireBearer(token: string | undefined) {
  const expected = token === undefined ? undefined : digest(token);
  return (req: Request, res: Response, next: NextFunction): void => {
    if (expected === undefined) {
      throw new HttpError(403, 'disabled: set IBKR_API_TOKEN');
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    if (!match?.[1] || !timingSafeEqual(digest(match[1]), expected)) {
      res.set('WWW-Authenticate', 'Bearer realm="ibkr-pnl-exporter"');
      throw new HttpError(401, 'missing or invalid bearer token');
    }
    next();
  };
}
