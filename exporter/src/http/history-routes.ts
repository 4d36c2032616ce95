// GET /positions/history and /positions/:id/trades: the ledger's round trips (README "Round trips").
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
    res.json({
      history: rows.slice(0, limit).map(roundTripView),
      next_offset: rows.length > limit ? offset + limit : null,
    });
  });

  router.get('/positions/:id/trades', async (req, res) => {
    const raw = req.params.id;
    const id = /^[1-9]\d{0,15}$/.test(raw) ? Number(raw) : undefined;
    const trip = id === undefined ? undefined : await store.roundTrip(id);
    if (id === undefined || !trip) throw new HttpError(404, `no round trip ${JSON.stringify(raw)}`);
    const fills = await store.roundTripFills(id);
    res.json({ round_trip: roundTripView(trip), trades: fills.map(tripFillView) });
  });

  return router;
}
