import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RoundTrip } from '../domain/round-trips.js';
import type { ContractInfo } from '../domain/types.js';
import { loadMigrations, migrate } from './migrate.js';
import { SqliteStore } from './sqlite-store.js';

const AAPL: ContractInfo = { conId: 265598, symbol: 'AAPL', secType: 'STK', currency: 'USD', multiplier: 1 };
const T = (minute: number) => Date.UTC(2026, 10, 25, 14, minute);

/** What a test compares: shape and money of a trip, without the ids it was given. */
const summary = (trip: RoundTrip | undefined) =>
  trip && {
    open: trip.openTime,
    close: trip.closeTime,
    before: trip.openedBeforeLedger,
    quantity: trip.quantity,
    fills: trip.fills,
    totals: trip.totals,
  };

describe('round trips in the SQLite ledger', () => {
  let dir: string;
  let store: SqliteStore;
  const path = () => join(dir, 'ledger.db');

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'history-test-'));
    store = new SqliteStore({ path: path() });
  });

  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const current = () => store.load().roundTrips.find((t) => t.conId === AAPL.conId)?.trip;
  it('derives round trips and daily totals once for a ledger that is older than them', () => {
    store.close();
    rmSync(path());
    // A ledger at schema 3 with a closed round trip, and a position IB reported at 100 with a fill of 50.
    const old = new Database(path());
    migrate(
      old,
      loadMigrations().filter((m) => m.version <= 3),
    );
    old.exec(`INSERT INTO contracts (con_id, symbol, sec_type, currency, multiplier) VALUES (1, 'JPM', 'STK', 'USD', 1),
        (265598, 'AAPL', 'STK', 'USD', 1);
      INSERT INTO executions (base_exec_id, exec_id, revision, account, con_id, side, shares, price, time_ms) VALUES
        ('j1', 'j1.01', 1, 'DU1', 1, 'buy', 100, 210, ${T(0)}), ('j2', 'j2.01', 1, 'DU1', 1, 'sell', 100, 212.5, ${T(50)}),
        ('a1', 'a1.01', 1, 'DU1', 265598, 'buy', 50, 160, ${T(5)});
      INSERT INTO commission_reports (base_exec_id, exec_id, revision, commission, currency, realized_pnl) VALUES
        ('j1', 'j1.01', 1, '1', 'USD', NULL), ('j2', 'j2.01', 1, '1', 'USD', '248');
      INSERT INTO positions (account, con_id, quantity, updated_at) VALUES ('DU1', 265598, 100, ${T(60)});`);
    old.close();
    store = new SqliteStore({ path: path() });
    const [closed] = store.roundTripHistory({ limit: 10, offset: 0 });
    expect(closed).toMatchObject({ openTime: T(0), closeTime: T(50), contract: { symbol: 'JPM' } });
    expect(closed!.totals).toEqual([{ currency: 'USD', realizedPnl: '248', commissions: '2', reports: 2 }]);
    expect(summary(current())).toMatchObject({ before: true, open: undefined, quantity: '100', fills: 1 });
    // Done once: a second start finds them as they are and keeps their ids.
    store.close();
    store = new SqliteStore({ path: path() });
    expect(store.roundTripHistory({ limit: 10, offset: 0 })[0]!.id).toBe(closed!.id);
    const db = new Database(path(), { readonly: true });
    expect(db.prepare('SELECT day, realized_pnl, commissions FROM daily_realized').all()).toEqual([
      { day: '2026-11-25', realized_pnl: '248', commissions: '2' },
    ]);
    db.close();
  });
});
