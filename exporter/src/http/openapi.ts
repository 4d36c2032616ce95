// GET /openapi.json: an OpenAPI 3.1 description of the mutating API, generated from the zod
// schemas the routes validate with (z.toJSONSchema), so the document cannot drift from them.
import express from 'express';
import { z } from 'zod';
import { idempotencyKeySchema, orderListQuerySchema, orderRequestSchema } from '../orders/order-schema.js';
import { orderViewSchema } from '../orders/order-view.js';
import { restartRequestSchema, restartStatusSchema } from '../restart/restart-schema.js';
import { historyQuerySchema, roundTripViewSchema, tripFillViewSchema } from './history-views.js';
import { syncStatusSchema } from './sync-routes.js';

/** A request body as the client may send it (defaults make fields optional). */
const input = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
/** A response body as the server sends it. */
const output = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' });

const errorSchema = z.object({
  error: z.string(),
  details: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
});

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const error = (description: string) => ({ description, ...json(ref('Error')) });

const BEARER = [{ bearer: [] }];
const AUTH_ERRORS = {
  401: error('Missing or wrong bearer token'),
  403: error('Disabled: no IBKR_API_TOKEN configured, or IBKR_READONLY=true'),
};

/** Query parameters of a zod object schema as OpenAPI parameters. */
function queryParameters(schema: z.ZodObject) {
  const doc = input(schema) as { properties?: Record<string, object>; required?: string[] };
  return Object.entries(doc.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: doc.required?.includes(name) ?? false,
    schema: property,
  }));
}

export function openApiDocument(version: string): Record<string, unknown> {
  const orderId = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  const tripId = { name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } };
  return {
    openapi: '3.1.0',
    info: {
      title: 'ibkr-pnl-exporter',
      version,
      description:
        'Orders, gateway restarts, round trips and sync control. Mutating endpoints need `Authorization: Bearer <IBKR_API_TOKEN>`. ' +
        'Money is a JSON number converted from the exact ledger decimal when the answer is written (the exact text is in `ledger`); unknown values are null, never 0. ' +
        "Every realized PnL says its basis (`basis` on a round trip and its ledger entries, `pnl_source` on a fill): api = IB's average cost (commission reports), flex = FIFO by tax lot (a Flex statement's fifoPnlRealized), mixed = a sum of both, never converted. " +
        'The other read-only endpoints (/metrics, /health, /positions, /trades, /pnl/summary, /sync/health, WS /ws/updates) are described in docs/http-api.md.',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        OrderRequest: input(orderRequestSchema),
        Order: output(orderViewSchema),
        RestartRequest: input(restartRequestSchema),
        RestartStatus: output(restartStatusSchema),
        RoundTrip: output(roundTripViewSchema),
        RoundTripFill: output(tripFillViewSchema),
        SyncStatus: output(syncStatusSchema),
        Error: output(errorSchema),
      },
    },
    paths: {
      '/orders': {
        post: {
          summary: 'Place an order',
          description:
            'Validated, checked against IBKR_MAX_ORDER_QUANTITY / IBKR_MAX_ORDER_NOTIONAL, resolved with ' +
            'reqContractDetails, then sent on the order connection (IBKR_ORDER_CLIENT_ID). A rejection sends nothing.',
          security: BEARER,
          parameters: [
            { name: 'Idempotency-Key', in: 'header', required: false, schema: input(idempotencyKeySchema) },
          ],
          requestBody: { required: true, ...json(ref('OrderRequest')) },
          responses: {
            201: { description: 'Acknowledged by the gateway', ...json(ref('Order')) },
            200: {
              description: 'A retry with the same idempotency key and body: the original order',
              ...json(ref('Order')),
            },
            202: { description: 'Sent; the gateway has not acknowledged it yet', ...json(ref('Order')) },
            400: error('Unreadable JSON'),
            ...AUTH_ERRORS,
            409: error('Idempotency key already used with a different body'),
            413: error('Body too large'),
            415: error('Not application/json'),
            422: error(
              'Invalid order (the Idempotency-Key header and idempotency_key differing included), above the limits, unknown or ambiguous contract, a trading session the gateway cannot route, or rejected by the gateway',
            ),
            503: error('Gateway not live'),
          },
        },
        get: {
          summary: 'List orders, newest first',
          parameters: queryParameters(orderListQuerySchema),
          responses: {
            200: {
              description: 'Orders',
              ...json({ type: 'object', properties: { orders: { type: 'array', items: ref('Order') } } }),
            },
            400: error('Invalid query'),
          },
        },
      },
      '/orders/{id}': {
        get: {
          summary: 'One order with its status history and fills',
          parameters: [orderId],
          responses: {
            200: { description: 'The order', ...json(ref('Order')) },
            404: error('No such order'),
          },
        },
      },
      '/orders/{id}/cancel': {
        post: {
          summary: 'Cancel an open order',
          security: BEARER,
          parameters: [orderId],
          responses: {
            200: { description: 'Cancelled', ...json(ref('Order')) },
            202: { description: 'Cancel sent, not yet confirmed', ...json(ref('Order')) },
            ...AUTH_ERRORS,
            404: error('No such order'),
            409: error('The order is no longer open, or the gateway refused the cancel'),
            503: error('Gateway not live'),
          },
        },
      },
      '/positions/history': {
        get: {
          summary: 'Closed round trips, newest first',
          description:
            'A round trip is a position from flat to flat; see docs/round-trips.md. A bare array, as the IBKR PnL Tracker answered; ' +
            'when there is a next page, a Link header (rel="next") gives its URL.',
          parameters: queryParameters(historyQuerySchema),
          responses: {
            200: {
              description: 'One page of closed round trips',
              headers: {
                Link: {
                  description: '`</positions/history?…&offset=N>; rel="next"` when there is a next page',
                  schema: { type: 'string' },
                },
              },
              ...json({ type: 'array', items: ref('RoundTrip') }),
            },
            422: error('Invalid or unknown filter; details name it'),
          },
        },
      },
      '/positions/{id}': {
        get: {
          summary: 'One round trip, open or closed (the id of a /positions item or a /positions/history one)',
          parameters: [tripId],
          responses: {
            200: { description: 'The round trip', ...json(ref('RoundTrip')) },
            404: error('No such round trip'),
          },
        },
      },
      '/positions/{id}/trades': {
        get: {
          summary: 'The fills of a round trip, open or closed, oldest first',
          parameters: [tripId],
          responses: {
            200: {
              description: 'The fills, a bare array as the IBKR PnL Tracker answered',
              ...json({ type: 'array', items: ref('RoundTripFill') }),
            },
            404: error('No such round trip'),
          },
        },
      },
      '/sync/stop': {
        post: {
          summary: 'Stop syncing: close the gateway connection, keep serving the stored state',
          description: 'Answers once the connection is closed. A body, if any, is ignored.',
          security: BEARER,
          responses: { 200: { description: 'Sync status', ...json(ref('SyncStatus')) }, ...AUTH_ERRORS },
        },
      },
      '/sync/start': {
        post: {
          summary: 'Resume syncing: reconnect and backfill what was missed',
          description:
            'Answers at once; connected turns true after the handshake. A body, if any, is ignored.',
          security: BEARER,
          responses: { 200: { description: 'Sync status', ...json(ref('SyncStatus')) }, ...AUTH_ERRORS },
        },
      },
      '/sync/status': {
        get: {
          summary: "Sync status (the IBKR PnL Tracker's fields)",
          responses: { 200: { description: 'Sync status', ...json(ref('SyncStatus')) } },
        },
      },
      '/gateway/restart': {
        post: {
          summary: 'Restart the IB Gateway',
          description: 'Answers at once; follow the progress with GET /gateway/restart.',
          security: BEARER,
          requestBody: { required: false, ...json(ref('RestartRequest')) },
          responses: {
            202: { description: 'Restart started', ...json(ref('RestartStatus')) },
            400: error('Unreadable JSON'),
            ...AUTH_ERRORS,
            409: error('A restart is in progress or in its cooldown, or the deployment is paused'),
            413: error('Body too large'),
            415: error('Not application/json'),
            422: error('Invalid body'),
            500: error('The deployment does not exist'),
            502: error('Kubernetes or IBC refused (RBAC)'),
            504: error('Kubernetes or IBC did not answer in time'),
          },
        },
        get: {
          summary: 'State of the last restart',
          responses: { 200: { description: 'Restart status', ...json(ref('RestartStatus')) } },
        },
      },
    },
  };
}

export function openApiRouter(version: string): express.Router {
  const router = express.Router();
  let document: Record<string, unknown> | undefined;
  router.get('/openapi.json', (_req, res) => {
    document ??= openApiDocument(version);
    res.json(document);
  });
  return router;
}
