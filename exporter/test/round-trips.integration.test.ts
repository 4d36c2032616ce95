// Round trips end to end: the simulator (real @stoqey/ib over TCP) on a scenario whose numbers are
// worked out by hand below, the exporter on a real SQLite file, and its HTTP answers.
import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import type { Exporter } from '../src/exporter.js';
import { loadScenario } from '../src/sim/scenario.js';
import { GatewaySimulator } from '../src/sim/server.js';
import { scrape, startTestExporter, testConfig, useRig, valueOf } from './support/exporter.js';

const ACCOUNT = 'DU0000009';
const SCENARIO = new URL('./scenarios/round-trips.json', import.meta.url).pathname;
const at = (time: string) => `2026-11-25T${time}:00.000Z`;
const USD = { currency: 'USD' };
const label = (conId: number) => ({ account: ACCOUNT, con_id: String(conId), ...USD });
const AAPL = 265598;
const TSLA = 76792991;
const MSFT = 272093;
const SPY = 756733;

interface Trip {
  id: number;
  symbol: string;
  open_time: string | null;
  close_time: string | null;
  opened_before_ledger: boolean;
  realized_pnl: number | null;
  commissions: number | null;
  fills: number;
  quantity: number;
  status: string;
}

describe('round trips over the simulator', () => {
  const rig = useRig();

  async function start(db: string): Promise<{ sim: GatewaySimulator; exporter: Exporter }> {
    const sim = rig.track(await GatewaySimulator.start({ scenario: await loadScenario(SCENARIO), port: 0 }));
    const exporter = rig.track(await startTestExporter(testConfig(sim.port, `${rig.dir}/${db}`)));
    // Live: positions and the backfill are in, so positions held before the ledger are known.
    await vi.waitFor(
      () => {
        expect(exporter.health.state).toBe('live');
        expect(exporter.portfolio.executionCounts.get(ACCOUNT)).toBe(8);
      },
      { timeout: 10_000, interval: 20 },
    );
    return { sim, exporter };
  }

  const get = async (exporter: Exporter, path: string) => {
    const response = await fetch(`${exporter.url}${path}`);
    return {
      status: response.status,
      link: response.headers.get('link'),
      body: (await response.json()) as Record<string, unknown>,
    };
  };
  /** A list answer: a bare array, as the IBKR PnL Tracker gave it. */
  const list = async <T = Record<string, unknown>>(exporter: Exporter, path: string) => {
    const { body } = await get(exporter, path);
    expect(Array.isArray(body), path).toBe(true);
    return body as unknown as T[];
  };
  const history = async (exporter: Exporter, query = '') =>
    list<Trip>(exporter, `/positions/history${query}`);

  it('lists the closed round trips newest first with their times, fills and money', async () => {
    const { exporter } = await start('history.db');
    // MSFT: bought 10 + 5, sold 15 at 16:00 (its report came first): 3 fills, 1 + 1 + 1 commission.
    // TSLA: bought 30 at 14:40, sold 50 at 15:30: 30 close the long (57.75 net), 20 open a short.
    // SPY: the 15:00 sell arrived before the 14:00 buy; in time order they open and close a trip.
    expect(
      (await history(exporter)).map((t) => [
        t.symbol,
        t.open_time,
        t.close_time,
        t.fills,
        t.realized_pnl,
        t.commissions,
      ]),
    ).toEqual([
      ['MSFT', at('14:50'), at('16:00'), 3, 67, 3],
      ['TSLA', at('14:40'), at('15:30'), 2, 57.75, 2.25],
      ['SPY', at('14:00'), at('15:00'), 2, 9, 2],
    ]);
    expect((await history(exporter, '?symbol=TSLA')).map((t) => t.symbol)).toEqual(['TSLA']);
    expect(
      (await history(exporter, `?since=${encodeURIComponent(at('15:15'))}`)).map((t) => t.symbol),
    ).toEqual(['MSFT', 'TSLA']);
    expect(await history(exporter, '?account=DU999')).toEqual([]);
    const page = await get(exporter, `/positions/history?account=${ACCOUNT}&limit=2&offset=1`);
    expect((page.body as unknown as Trip[]).map((t) => t.symbol)).toEqual(['TSLA', 'SPY']);
    expect(page.link).toBeNull();
    // The next page is a Link header, its URL keeping the filters.
    const first = await get(exporter, `/positions/history?account=${ACCOUNT}&limit=1`);
    expect(first.link).toBe(`</positions/history?account=${ACCOUNT}&limit=1&offset=1>; rel="next"`);
    const next = /<([^>]+)>/.exec(first.link!)![1]!;
    expect((await history(exporter, next.slice('/positions/history'.length))).map((t) => t.symbol)).toEqual([
      'TSLA',
    ]);
  });

  it('answers a bad filter with 422 naming it and a bad id with 404', async () => {
    const { exporter } = await start('errors.db');
    for (const [query, field] of [
      ['limit=0', 'limit'],
      ['since=yesterday', 'since'],
      ['offset=-1', 'offset'],
      ['colour=red', 'colour'],
    ]) {
      const { status, body } = await get(exporter, `/positions/history?${query}`);
      expect(status).toBe(422);
      expect(body.error).toContain(field);
      expect(body.details).toEqual([expect.objectContaining({ field })]);
    }
    for (const id of ['abc', '0', '99999', '1.5']) {
      for (const path of [`/positions/${id}/trades`, `/positions/${id}`]) {
        const { status, body } = await get(exporter, path);
        expect(status, path).toBe(404);
        expect(body.error).toContain('no round trip');
      }
    }
  });

  it('gives positions their round trip and each round trip its fills, a flip split in two', async () => {
    const { exporter } = await start('positions.db');
    const positions = await list(exporter, '/positions');
    const bySymbol = new Map(positions.map((p) => [p.symbol, p]));
    // AAPL: IB holds 100, the ledger has one buy of 50: held before the ledger began.
    expect(bySymbol.get('AAPL')).toMatchObject({
      open_time: null,
      opened_before_ledger: true,
      quantity: 100,
    });
    expect(bySymbol.get('TSLA')).toMatchObject({ open_time: at('15:30'), opened_before_ledger: false });
    const tslaId = String(bySymbol.get('TSLA')!.id);
    expect((await get(exporter, `/positions/${tslaId}`)).body).toMatchObject({
      status: 'open',
      quantity: -20,
      realized_pnl: 0,
      commissions: 0,
    });
    // The flipping sell's commission and realized PnL belong to the trip it closed.
    expect(await list(exporter, `/positions/${tslaId}/trades`)).toEqual([
      {
        exec_id: '0000aa00.00000003.01.01',
        trade_time: at('15:30'),
        side: 'sell',
        qty: 20,
        fill_qty: 50,
        price: 252,
        commission: 0,
        commission_currency: 'USD',
        realized_pnl: null,
        source: 'api',
        pnl_source: null,
      },
    ]);
    const closed = (await history(exporter, '?symbol=TSLA'))[0]!;
    const trades = await list(exporter, `/positions/${closed.id}/trades`);
    expect(trades.map((t) => [t.side, t.qty, t.price, t.commission, t.realized_pnl])).toEqual([
      ['buy', 30, 250, 1, null],
      ['sell', 30, 252, 1.25, 57.75],
    ]);
  });

  it('exports the current round trip per position and keeps all-time totals per account and day', async () => {
    const { sim, exporter } = await start('metrics.db');
    let m = await scrape(exporter);
    expect(valueOf(m, 'ibkr_position_realized_pnl', label(AAPL))).toBe(0);
    expect(valueOf(m, 'ibkr_position_realized_pnl', label(TSLA))).toBe(0); // the new short's
    expect(valueOf(m, 'ibkr_position_commissions', label(TSLA))).toBe(0);
    expect(valueOf(m, 'ibkr_position_realized_pnl', label(MSFT))).toBe(67); // closed today, still reported
    expect(valueOf(m, 'ibkr_position_commissions', label(SPY))).toBe(2);
    // 57.75 + 67 + 9; commissions 1 + (1 + 1.25) + 3 + 2.
    expect(valueOf(m, 'ibkr_account_ledger_realized_pnl', { account: ACCOUNT, ...USD })).toBe(133.75);
    expect(valueOf(m, 'ibkr_commissions_paid_total', { account: ACCOUNT, ...USD })).toBe(8.25);

    // A live sell of the 100 AAPL closes the trip that began before the ledger.
    sim.addExecution({
      execId: '0000aa00.00000009.01.01',
      account: ACCOUNT,
      conId: AAPL,
      side: 'SLD',
      shares: 100,
      price: 170,
      commission: { commission: 1.5, currency: 'USD', realizedPnl: 1998.5 },
    });
    await vi.waitFor(async () => expect((await history(exporter))[0]?.symbol).toBe('AAPL'), {
      timeout: 5000,
    });
    const aapl = (await history(exporter))[0]!;
    expect(aapl).toMatchObject({ open_time: null, opened_before_ledger: true, fills: 2, quantity: 0 });
    expect([aapl.realized_pnl, aapl.commissions]).toEqual([1998.5, 2.5]);
    // The exact decimal text stays beside the numbers.
    expect(aapl).toMatchObject({ ledger: [{ currency: 'USD', realized_pnl: '1998.5', commissions: '2.5' }] });
    m = await scrape(exporter);
    expect(valueOf(m, 'ibkr_position_realized_pnl', label(AAPL))).toBe(1998.5);

    await exporter.stop();
    const db = new Database(`${rig.dir}/metrics.db`, { readonly: true });
    expect(
      db.prepare('SELECT day, realized_pnl, commissions, reports FROM daily_realized ORDER BY day').all(),
    ).toEqual([
      { day: '2026-11-25', realized_pnl: '133.75', commissions: '8.25', reports: 8 },
      { day: new Date().toISOString().slice(0, 10), realized_pnl: '1998.5', commissions: '1.5', reports: 1 },
    ]);
    db.close();
  });
});
