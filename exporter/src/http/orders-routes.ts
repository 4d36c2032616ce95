// The orders API: POST /orders and POST /orders/:id/cancel (bearer token), GET /orders and
// GET /orders/:id. Bodies are parsed only after authentication, with a small size limit, and
// every parse failure is a 4xx JSON error that does not echo the body.
import express from 'express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Answer, OrderService } from '../orders/order-service.js';
import { fieldProblems, orderListQuerySchema } from '../orders/order-schema.js';
import { requireBearer } from './auth.js';
import { HttpError } from './http-error.js';

/** An order is a few hundred bytes; anything near this is not one. */
export const ORDER_BODY_LIMIT = '16kb';

/** body-parser's error types and what the client is told instead of the parser's message. */
const BODY_ERRORS: Record<string, [number, string]> = {
  'entity.parse.failed': [400, 'invalid JSON body'],
  'entity.too.large': [413, `body larger than ${ORDER_BODY_LIMIT}`],
  'encoding.unsupported': [415, 'unsupported content encoding'],
  'charset.unsupported': [415, 'unsupported charset: send UTF-8'],
  'request.aborted': [400, 'request aborted'],
  'request.size.invalid': [400, 'body length does not match Content-Length'],
};

function hasBody(req: Request): boolean {
  const length = req.get('content-length');
  return req.get('transfer-encoding') !== undefined || (length !== undefined && length !== '0');
}

/** application/json bodies only; parser errors become HttpErrors with our own messages. */
function jsonBody(): RequestHandler {
  const parse = express.json({ limit: ORDER_BODY_LIMIT });
  return (req: Request, res: Response, next: NextFunction) => {
    if (!hasBody(req)) {
      next(new HttpError(400, 'a JSON body is required'));
      return;
    }
    if (!req.is('application/json')) {
      next(new HttpError(415, 'Content-Type must be application/json'));
      return;
    }
    parse(req, res, (error?: unknown) => {
      if (error === undefined || error === null) {
        next();
        return;
      }
      const type = (error as { type?: unknown }).type;
      const [status, message] = BODY_ERRORS[String(type)] ?? [400, 'unreadable body'];
      next(new HttpError(status, message, undefined, { cause: error }));
    });
  };
}

function send(res: Response, answer: Answer): void {
  for (const [name, value] of Object.entries(answer.headers ?? {})) res.set(name, value);
  res.status(answer.status).json(answer.body);
}

export function ordersRouter(deps: { service: OrderService; token: string | undefined }): express.Router {
  const router = express.Router();
  const auth = requireBearer(deps.token);

  router.post('/orders', auth, jsonBody(), async (req, res) => {
    send(res, await deps.service.submit(req.body, req.get('idempotency-key')));
  });

  router.get('/orders', (req, res) => {
    const query = orderListQuerySchema.safeParse(req.query);
    if (!query.success) throw new HttpError(400, 'invalid query', fieldProblems(query.error, '(query)'));
    res.json({ orders: deps.service.list(query.data) });
  });

  router.get('/orders/:id', (req, res) => {
    res.json(deps.service.get(req.params.id));
  });

  router.post('/orders/:id/cancel', auth, async (req, res) => {
    send(res, await deps.service.cancel(String(req.params.id)));
  });

  return router;
}
