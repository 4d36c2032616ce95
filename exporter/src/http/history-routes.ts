// GET /positions/history, /positions/:id/trades and /positions/:id: the ledger's round trips
// (docs/round-trips.md). Lists are bare arrays, as the IBKR PnL Tracker answered them.
import express from 'express';
import type { Store } from '../store/store.js';
import { HttpError } from './http-error.js';
import { historyQuerySchema, roundTripView, tripFillView } from './history-views.js';

export function historyRouter(store: Store): express.Router {
  const router = express.Router();

  router.get('/positions/history', async (req, res) => {
    const query = historyQuerySchema.safeParse(req.query);
    if (!query.success) {
      const details = query.error.issues.map((i) => ({
        field: i.path.join('.') || (i.code === 'unrecognized_keys' ? i.keys.join(', ') : '(query)'),
        message: i.message,
      }));
      throw new HttpError(422, `invalid filter: ${details.map((d) => d.field).join(', ')}`, details);
    }
    const { account, symbol, since, limit, offset } = query.data;
    // One more than asked says whether there is a next page.
    const rows = await store.roundTripHistory({ account, symbol, sinceMs: since, limit: limit + 1, offset });
    if (rows.length > limit) {
      const next = new URLSearchParams(req.query as Record<string, string>);
      next.set('offset', String(offset + limit));
      next.set('limit', String(limit));
      res.set('Link', `</positions/history?${next.toString()}>; rel="next"`);
    }
    res.json(rows.slice(0, limit).map(roundTripView));
  });

  /** The round trip an id names (a /positions item's id, or a /positions/history one), or 404. */
  async function tripOf(raw: string) {
    const id = /^[1-9]\d{0,15}$/.test(raw) ? Number(raw) : undefined;
    const trip = id === undefined ? undefined : await store.roundTrip(id);
    if (id === undefined || !trip) throw new HttpError(404, `no round trip ${JSON.stringify(raw)}`);
    return trip;
  }

  router.get('/positions/:id/trades', async (req, res) => {
    const trip = await tripOf(req.params.id);
    res.json((await store.roundTripFills(trip.id)).map(tripFillView));
  });

  router.get('/positions/:id', async (req, res) => {
    res.json(roundTripView(await tripOf(req.params.id)));
  });

  return router;
}
