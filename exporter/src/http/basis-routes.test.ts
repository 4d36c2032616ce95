// The basis over HTTP: the round-trip endpoints and /trades say which basis each realized number
// is on. The ledger is a real SQLite file holding a closed round trip from the API; the Flex
// answers read the same rows marked as the stores mark a statement's (flexReports, source).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Health } from '../domain/health.js';
import { Portfolio } from '../domain/portfolio.js';
import type { ContractInfo, MoneyTotals, Side } from '../domain/types.js';
import { createMetricsEndpoint } from '../metrics/collector.js';
import { disabledRestarter } from '../restart/restarter.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { RoundTripRow, Store } from '../store/store.js';
import { createApp } from './app.js';

const AAPL: ContractInfo = { conId: 265598, symbol: 'AAPL', secType: 'STK', currency: 'USD', multiplier: 1 };

type Marking = 'api' | 'flex' | 'mixed';

/** The totals as a store gives them when `marking` says where the reports came from. */
const mark = (totals: MoneyTotals, marking: Marking): MoneyTotals =>
  marking === 'api' ? totals : { ...totals, flexReports: marking === 'flex' ? totals.reports : 1 };

/** The store's read side, with its rows marked as the stores mark imported ones. */
function marked(store: SqliteStore, marking: Marking): Store {
  const trip = (row: RoundTripRow): RoundTripRow => ({
    ...row,
    totals: row.totals.map((t) => mark(t, marking)),
  });
  // In the mixed trip the closing fill (the one with realized PnL) is the imported one.
  const sourceOf = (execId: string) =>
    marking === 'flex' || (marking === 'mixed' && execId.startsWith('close')) ? ('flex' as const) : undefined;
  const withSource = <T extends { execId: string }>(row: T): T => ({
    ...row,
    source: sourceOf(row.execId),
    reportSource: sourceOf(row.execId),
  });
  return Object.assign(Object.create(store) as Store, {
    roundTripHistory: (query: Parameters<Store['roundTripHistory']>[0]) =>
      store.roundTripHistory(query).map(trip),
    roundTrip: (id: number) => {
      const row = store.roundTrip(id);
      return row && trip(row);
    },
    roundTripFills: (id: number) => store.roundTripFills(id).map(withSource),
    trades: (query: Parameters<Store['trades']>[0]) => store.trades(query).map(withSource),
  });
}

describe('the basis on the HTTP API', () => {
  let dir: string;
  let store: SqliteStore;
  let servers: Server[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'basis-http-'));
    store = new SqliteStore({ path: join(dir, 'basis.db') });
    const fill = (id: string, side: Side, price: number, minute: number, realizedPnl?: string) => {
      store.recordExecution({
        execId: `${id}.01`,
        baseExecId: id,
        revision: 1,
        account: 'DU1',
        contract: AAPL,
        side,
        shares: 10,
        price,
        time: Date.UTC(2026, 10, 25, 14, minute),
      });
      store.recordCommission({
        execId: `${id}.01`,
        baseExecId: id,
        revision: 1,
        commission: '1',
        currency: 'USD',
        realizedPnl,
      });
    };
    fill('open', 'buy', 150, 30);
    fill('close', 'sell', 151, 31, '8');
  });

  afterEach(async () => {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    servers = [];
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function serve(marking: Marking) {
    const app = createApp({
      metrics: createMetricsEndpoint(new Registry(), [], () => undefined),
      health: new Health(0, []),
      portfolio: new Portfolio(store.load()),
      store: marked(store, marking),
      restarter: disabledRestarter,
      logger: pino({ level: 'silent' }),
      baseCurrency: 'USD',
      sync: { running: true, startedAt: 0 },
    });
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    servers.push(server);
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return async (path: string) => {
      const response = await fetch(`${base}${path}`);
      expect(response.status, path).toBe(200);
      return response.json() as Promise<unknown>;
    };
  }

  it.each(['api', 'flex', 'mixed'] as const)(
    'says %s on the round trip, its ledger entry, and the source of each fill’s realized PnL',
    async (marking) => {
      const get = await serve(marking);
      const [trip] = (await get('/positions/history')) as Array<{ id: number }>;
      const expected = {
        realized_pnl: 8,
        commissions: 2,
        basis: marking,
        ledger: [{ currency: 'USD', realized_pnl: '8', commissions: '2', basis: marking }],
      };
      expect(trip).toMatchObject(expected);
      expect(await get(`/positions/${trip!.id}`)).toMatchObject(expected);
      const opening = marking === 'flex' ? 'flex' : 'api';
      const closing = marking === 'api' ? 'api' : 'flex';
      type Fill = { exec_id: string; source: unknown; pnl_source: unknown };
      const fills = (await get(`/positions/${trip!.id}/trades`)) as Fill[];
      // An opening fill: no realized PnL, so no source of one.
      expect(fills.map((f) => [f.exec_id, f.source, f.pnl_source])).toEqual([
        ['open.01', opening, null],
        ['close.01', closing, closing],
      ]);
      const trades = (await get('/trades')) as Fill[];
      expect(trades.map((t) => [t.exec_id, t.source, t.pnl_source])).toEqual([
        ['close.01', closing, closing],
        ['open.01', opening, null],
      ]);
    },
  );
});
