// The IBKR PnL Tracker's liveness and sync-control endpoints: GET /health, GET /sync/status, and
// POST /sync/stop and /sync/start behind the bearer token (the tracker had none: a deliberate
// change). Stopping closes the gateway connection and keeps serving what is stored.
import express from 'express';
import { z } from 'zod';
import type { Health } from '../domain/health.js';
import type { SyncControl } from '../sync/sync-control.js';
import { requireBearer } from './auth.js';
import { syncStatusView } from './views.js';

const time = z.iso.datetime().nullable();

/** The answer of GET /sync/status, POST /sync/stop and /sync/start, for /openapi.json. */
export const syncStatusSchema = z.object({
  running: z.boolean().describe('Syncing: started (IBKR_AUTO_SYNC or POST /sync/start) and not stopped'),
  connected: z.boolean().describe('API handshake with the gateway done'),
  started_at: time.describe('When the current or last sync run started; null if it never ran'),
  last_connected_at: time,
  last_disconnected_at: time,
  last_update: time.describe('Newest message on any stream'),
  error: z.string().nullable().describe('Last session problem'),
});

export function syncRouter(deps: {
  control: SyncControl;
  health: Health;
  token: string | undefined;
  now: () => number;
}): express.Router {
  const router = express.Router();
  const auth = requireBearer(deps.token);
  const status = (): z.input<typeof syncStatusSchema> => syncStatusView(deps.health, deps.control);

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok', time: new Date(deps.now()).toISOString() });
  });

  router.get('/sync/status', (_req, res) => {
    res.json(status());
  });

  // A body, if any, is not read: the tracker sent none.
  router.post('/sync/stop', auth, async (_req, res) => {
    await deps.control.stop();
    res.json(status());
  });

  router.post('/sync/start', auth, async (_req, res) => {
    await deps.control.start();
    res.json(status());
  });

  return router;
}
