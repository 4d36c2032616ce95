// The orders API: POST /orders and POST /orders/:id/cancel (bearer token), GET /orders and
// GET /orders/:id. Bodies are parsed only after authentication, with a small size limit, and
// every parse failure is a 4xx JSON error that does not echo the body. The service's rejections
// become statuses here, in one table.
import express from 'express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { OrderError } from '../orders/order-error.js';
import type { OrderErrorReason } from '../orders/order-error.js';
import type { OrderService } from '../orders/order-service.js';
import { fieldProblems, orderListQuerySchema } from '../orders/order-schema.js';
import { requireBearer } from './auth.js';
import { HttpError } from './http-error.js';

const STATUS_OF: Record<OrderErrorReason, number> = {
  disabled: 403,
  invalid: 422,
  limits: 422,
  unknown_contract: 422,
  ambiguous_contract: 422,
  key_conflict: 409,
  not_live: 503,
  store_unavailable: 503,
  // The order exists (Inactive) and is in the body: the request was well-formed, IB refused it.
  gateway_rejected: 422,
  not_found: 404,
  finished: 409,
  wrong_client: 409,
  cancel_refused: 409,
};

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

/**
 * Runs a route, turning the service's OrderError into its status: with the order in the body
 * when the rejection concerns a stored order, otherwise through the app's JSON error middleware.
 */
function route(handler: (req: Request, res: Response) => Promise<void> | void): RequestHandler {
  return async (req, res) => {
    try {
      await handler(req, res);
    } catch (error) {
      if (!(error instanceof OrderError)) throw error;
      const status = STATUS_OF[error.reason];
      if (error.order !== undefined) {
        res.status(status).json({ error: error.message, order: error.order });
        return;
      }
      throw new HttpError(status, error.message, error.details, { cause: error });
    }
  };
}

export function ordersRouter(deps: { service: OrderService; token: string | undefined }): express.Router {
  const router = express.Router();
  const auth = requireBearer(deps.token);

  router.post(
    '/orders',
    auth,
    jsonBody(),
    route(async (req, res) => {
      const outcome = await deps.service.submit(req.body, req.get('idempotency-key'));
      if (outcome.kind === 'replayed') {
        res.set('Idempotent-Replayed', 'true').status(200).json(outcome.order);
        return;
      }
      // 202: sent, but the gateway had not acknowledged it when the wait ended.
      res.status(outcome.acknowledged ? 201 : 202).json(outcome.order);
    }),
  );

  router.get(
    '/orders',
    route(async (req, res) => {
      const query = orderListQuerySchema.safeParse(req.query);
      if (!query.success) throw new HttpError(400, 'invalid query', fieldProblems(query.error, '(query)'));
      res.json({ orders: await deps.service.list(query.data) });
    }),
  );

  router.get(
    '/orders/:id',
    route(async (req, res) => {
      res.json(await deps.service.get(String(req.params.id)));
    }),
  );

  router.post(
    '/orders/:id/cancel',
    auth,
    route(async (req, res) => {
      const outcome = await deps.service.cancel(String(req.params.id));
      res.status(outcome.kind === 'cancelled' ? 200 : 202).json(outcome.order);
    }),
  );

  return router;
}
