// The exporter with the real @stoqey/ib client against the simulator over a real socket, on a
// real SQLite file. Expected values are worked out by hand from scenarios/basic.json.
import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { scrape, useRig, valueOf } from './support/exporter.js';

const ACCOUNT = 'DU0000001';
const AAPL = { account: ACCOUNT, con_id: '265598', symbol: 'AAPL', sec_type: 'STK' };
const TSLA = { account: ACCOUNT, con_id: '76792991', symbol: 'TSLA', sec_type: 'STK' };
const CALL = { account: ACCOUNT, con_id: '712345678', symbol: 'AAPL', sec_type: 'OPT' };
const USD = { currency: 'USD' };

describe('exporter against the simulator (basic scenario)', () => {
  const rig = useRig();
  const start = (db: string) => rig.start('basic', db);

  it('asks the gateway for positions, executions, PnL and the account summary', async () => {
    const { sim } = await start('requests.db');
    expect(sim.requests.filter((r) => r.name === 'reqPositions')).toHaveLength(1);
    expect(sim.requests.filter((r) => r.name === 'reqExecutions')).toHaveLength(1);
    expect(sim.requests.filter((r) => r.name === 'reqPnL').map((r) => r.account)).toEqual([ACCOUNT]);
    const single = sim.requests.filter((r) => r.name === 'reqPnLSingle').map((r) => r.conId);
    expect(single.sort()).toEqual([265598, 712345678, 76792991]);
    const summary = sim.requests.find((r) => r.name === 'reqAccountSummary');
    expect(summary?.tags?.sort()).toEqual(
      [
        'AvailableFunds',
        'BuyingPower',
        'ExcessLiquidity',
        'GrossPositionValue',
        'InitMarginReq',
        'MaintMarginReq',
        'NetLiquidation',
        'TotalCashValue',
      ].sort(),
    );
  });

  it('stores each execution once, corrections replaced, joined with its commission report', async () => {
    const { exporter } = await start('rows.db');
    await exporter.stop();
    const db = new Database(`${rig.dir}/rows.db`, { readonly: true });
    const executions = db
      .prepare('SELECT exec_id, side, shares, price FROM executions ORDER BY time_ms')
      .all();
    expect(executions).toEqual([
      { exec_id: '0000e0d5.6554f3a1.01.01', side: 'buy', shares: 50, price: 160 },
      // .01 at 250.5 was corrected by .02 at 250: one row, the correction's values.
      { exec_id: '0000e0d5.6554f3b2.01.02', side: 'sell', shares: 20, price: 250 },
      { exec_id: '0000e0d5.6554f3c3.01.01', side: 'sell', shares: 1, price: 6 },
    ]);
    const reports = db
      .prepare('SELECT exec_id, commission, realized_pnl FROM commission_reports ORDER BY exec_id')
      .all();
    expect(reports).toEqual([
      { exec_id: '0000e0d5.6554f3a1.01.01', commission: '1', realized_pnl: null },
      { exec_id: '0000e0d5.6554f3b2.01.02', commission: '1', realized_pnl: null },
      // Its report came before the execution; the join still happened.
      { exec_id: '0000e0d5.6554f3c3.01.01', commission: '0.65', realized_pnl: '79.35' },
    ]);
    const positions = db.prepare('SELECT con_id, quantity, avg_cost FROM positions ORDER BY con_id').all();
    expect(positions).toEqual([
      { con_id: 265598, quantity: 100, avg_cost: 150.01 },
      { con_id: 76792991, quantity: -20, avg_cost: 249.95 },
      { con_id: 712345678, quantity: 1, avg_cost: 520 },
    ]);
    const snapshots = db
      .prepare("SELECT count(*) AS n FROM position_snapshots WHERE reason = 'quantity'")
      .get();
    expect(snapshots).toEqual({ n: 3 });
    db.close();
  });

  it('exports per-position values as the gateway gave them', async () => {
    const { exporter } = await start('positions.db');
    const m = await scrape(exporter);
    expect(valueOf(m, 'ibkr_position_quantity', AAPL)).toBe(100);
    expect(valueOf(m, 'ibkr_position_quantity', TSLA)).toBe(-20);
    expect(valueOf(m, 'ibkr_position_quantity', CALL)).toBe(1);
    expect(valueOf(m, 'ibkr_position_average_cost', CALL)).toBe(520); // per contract, ×100 included
    expect(valueOf(m, 'ibkr_position_market_value', TSLA)).toBe(-4800);
    expect(valueOf(m, 'ibkr_position_unrealized_pnl', AAPL)).toBe(499);
    expect(valueOf(m, 'ibkr_position_daily_pnl', AAPL)).toBe(-101);
    // The call's daily PnL is Double.MAX in the scenario: no sample, neither 0 nor 1.8e308.
    expect(valueOf(m, 'ibkr_position_daily_pnl', CALL)).toBeUndefined();
    expect(m.every((s) => Number.isFinite(s.value) && Math.abs(s.value) < 1e300)).toBe(true);
  });

  it('exports realized PnL and commissions from the commission reports', async () => {
    const { exporter } = await start('ledger.db');
    const m = await scrape(exporter);
    // Opening fills carry no realized PnL; the call's closing fill realized 79.35 net of 0.65.
    expect(valueOf(m, 'ibkr_position_realized_pnl', { ...AAPL, ...USD })).toBe(0);
    expect(valueOf(m, 'ibkr_position_realized_pnl', { ...CALL, ...USD })).toBe(79.35);
    expect(valueOf(m, 'ibkr_position_commissions', { ...TSLA, ...USD })).toBe(1); // corrected fill counted once
    expect(valueOf(m, 'ibkr_position_commissions', { ...CALL, ...USD })).toBe(0.65);
    expect(valueOf(m, 'ibkr_position_total_pnl', { ...AAPL, ...USD })).toBe(499); // 0 + 499
    expect(valueOf(m, 'ibkr_position_total_pnl', { ...CALL, ...USD })).toBe(169.35); // 79.35 + 90
    expect(valueOf(m, 'ibkr_account_ledger_realized_pnl', { account: ACCOUNT, ...USD })).toBe(79.35);
    expect(valueOf(m, 'ibkr_commissions_paid_total', { account: ACCOUNT, ...USD })).toBe(2.65); // 1 + 1 + 0.65
    expect(valueOf(m, 'ibkr_executions_total', { account: ACCOUNT })).toBe(3);
  });

  it('exports account PnL, the account summary and health', async () => {
    const { exporter } = await start('account.db');
    const m = await scrape(exporter);
    const account = { account: ACCOUNT, ...USD };
    expect(valueOf(m, 'ibkr_account_daily_pnl', account)).toBe(250.35);
    expect(valueOf(m, 'ibkr_account_unrealized_pnl', account)).toBe(788);
    expect(valueOf(m, 'ibkr_account_realized_pnl', account)).toBe(79.35);
    expect(valueOf(m, 'ibkr_account_net_liquidation', account)).toBe(100000);
    expect(valueOf(m, 'ibkr_account_excess_liquidity', account)).toBe(89000);
    expect(valueOf(m, 'ibkr_account_gross_position_value', account)).toBe(20910);
    expect(valueOf(m, 'ibkr_gateway_up')).toBe(1);
    expect(valueOf(m, 'ibkr_gateway_server_connected')).toBe(1);
    expect(valueOf(m, 'ibkr_gateway_connects_total')).toBe(1);
    expect(valueOf(m, 'ibkr_gateway_errors_total', { code: '2104' })).toBe(1);
    for (const stream of ['positions', 'executions', 'pnl', 'pnl_single', 'account_summary']) {
      expect(valueOf(m, 'ibkr_sync_last_update_timestamp_seconds', { stream })).toBeGreaterThan(
        Date.now() / 1000 - 60,
      );
    }
  });

  it('takes a live fill into the ledger, the position and the metrics', async () => {
    const { sim, exporter } = await start('live.db');
    sim.addExecution({
      execId: '0000e0d5.6554f3d4.01.01',
      account: ACCOUNT,
      conId: 265598,
      side: 'SLD',
      shares: 100,
      price: 170,
      commission: { commission: 1.5, currency: 'USD', realizedPnl: 1997.5 },
    });
    await vi.waitFor(() => expect(exporter.portfolio.executionCounts.get(ACCOUNT)).toBe(4), {
      timeout: 5000,
    });
    await vi.waitFor(() => expect(exporter.portfolio.position(ACCOUNT, 265598)?.position.quantity).toBe(0), {
      timeout: 5000,
    });
    const m = await scrape(exporter);
    expect(valueOf(m, 'ibkr_position_realized_pnl', { ...AAPL, ...USD })).toBe(1997.5);
    expect(valueOf(m, 'ibkr_account_ledger_realized_pnl', { account: ACCOUNT, ...USD })).toBe(2076.85); // 79.35 + 1997.5
    expect(valueOf(m, 'ibkr_commissions_paid_total', { account: ACCOUNT, ...USD })).toBe(4.15); // 2.65 + 1.5
    // Flat, but still reported by IB today: the series stays at 0, its live PnL is gone.
    expect(valueOf(m, 'ibkr_position_quantity', AAPL)).toBe(0);
    expect(valueOf(m, 'ibkr_position_unrealized_pnl', AAPL)).toBeUndefined();
    await sim.waitForRequest('cancelPnLSingle');
  });

  it('drops a value the gateway turns to Double.MAX instead of exporting 0', async () => {
    const { sim, exporter } = await start('unset.db');
    sim.updatePnl({ account: ACCOUNT, conId: 265598, unrealized: null, daily: 12 });
    await vi.waitFor(() => expect(exporter.portfolio.position(ACCOUNT, 265598)?.pnl?.dailyPnl).toBe(12), {
      timeout: 5000,
    });
    const m = await scrape(exporter);
    expect(valueOf(m, 'ibkr_position_unrealized_pnl', AAPL)).toBeUndefined();
    expect(valueOf(m, 'ibkr_position_total_pnl', { ...AAPL, ...USD })).toBeUndefined();
    expect(valueOf(m, 'ibkr_position_daily_pnl', AAPL)).toBe(12);
  });

  it('snapshots a position on every quantity change and at most once a minute while its PnL moves', async () => {
    let clock = Date.UTC(2026, 10, 25, 15);
    const { sim, exporter } = await rig.start('basic', 'snapshots.db', { now: () => clock });
    const snapshots = () => {
      const db = new Database(`${rig.dir}/snapshots.db`, { readonly: true });
      const rows = db
        .prepare(
          'SELECT reason, quantity, daily_pnl FROM position_snapshots WHERE con_id = 265598 ORDER BY id',
        )
        .all();
      db.close();
      return rows;
    };
    const daily = (value: number) => async () => {
      sim.updatePnl({ account: ACCOUNT, conId: 265598, daily: value });
      await vi.waitFor(
        () => expect(exporter.portfolio.position(ACCOUNT, 265598)?.pnl?.dailyPnl).toBe(value),
        {
          timeout: 5000,
        },
      );
    };
    clock += 30_000;
    await daily(1)(); // 30 s after the quantity snapshot: no new row
    clock += 29_999;
    await daily(2)(); // still under a minute
    expect(snapshots()).toEqual([{ reason: 'quantity', quantity: 100, daily_pnl: null }]);
    clock += 1;
    await daily(3)(); // a minute has passed and PnL moved
    clock += 120_000;
    sim.updatePnl({ account: ACCOUNT, conId: 265598, daily: 3 }); // unchanged PnL writes nothing, however late
    await vi.waitFor(() => expect(exporter.health.streams.get('pnl_single')).toBe(clock), { timeout: 5000 });
    expect(snapshots()).toEqual([
      { reason: 'quantity', quantity: 100, daily_pnl: null },
      { reason: 'pnl', quantity: 100, daily_pnl: 3 },
    ]);
  });

  it('marks the IB server link down on 1100 and, on 1102, backfills executions without dropping the socket', async () => {
    const { sim, exporter } = await start('blip.db');
    sim.sendError(1100, 'Connectivity between IB and Trader Workstation has been lost.');
    await vi.waitFor(() => expect(exporter.health.serverConnected).toBe(false), { timeout: 5000 });
    let m = await scrape(exporter);
    expect(valueOf(m, 'ibkr_gateway_server_connected')).toBe(0);
    expect(valueOf(m, 'ibkr_gateway_up')).toBe(1);
    sim.sendError(
      1102,
      'Connectivity between IB and Trader Workstation has been restored - data maintained.',
    );
    await sim.waitForRequest(
      'reqExecutions',
      () => sim.requests.filter((r) => r.name === 'reqExecutions').length === 2,
    );
    m = await scrape(exporter);
    expect(valueOf(m, 'ibkr_gateway_server_connected')).toBe(1);
    expect(valueOf(m, 'ibkr_gateway_errors_total', { code: '1100' })).toBe(1);
    expect(exporter.health.connects).toBe(1);
  });

  it('requests everything again after 1101 (restored, data lost)', async () => {
    const { sim, exporter } = await start('lost.db');
    sim.sendError(1100, 'Connectivity between IB and Trader Workstation has been lost.');
    sim.sendError(1101, 'Connectivity between IB and Trader Workstation has been restored - data lost.');
    const count = (name: string) => sim.requests.filter((r) => r.name === name).length;
    await vi.waitFor(
      () => {
        expect(count('reqPnLSingle')).toBe(6);
        expect(count('reqPositions')).toBe(2);
        expect(count('reqPnL')).toBe(2);
        expect(count('reqAccountSummary')).toBe(2);
        expect(count('reqExecutions')).toBe(2);
      },
      { timeout: 5000 },
    );
    // A gateway may keep them across the outage: each is cancelled before it is requested again.
    expect(count('cancelPnLSingle')).toBe(3);
    expect(count('cancelPnL')).toBe(1);
    expect(count('cancelAccountSummary')).toBe(1);
    expect(exporter.health.serverConnected).toBe(true);
  });
});

describe('exporter against the simulator (two accounts, USD and EUR)', () => {
  const rig = useRig();

  it('labels each account with its own base currency and keeps ledgers apart', async () => {
    const { exporter } = await rig.start('multi-account', 'multi.db', {
      synced: { positions: 2, pnl: 2, executions: 3, accountValues: 16, accounts: 2 },
    });
    const m = await scrape(exporter);
    expect(valueOf(m, 'ibkr_account_daily_pnl', { account: 'DU1111111', currency: 'USD' })).toBe(50);
    expect(valueOf(m, 'ibkr_account_daily_pnl', { account: 'DU2222222', currency: 'EUR' })).toBe(-30);
    // Unset in the scenario: no sample rather than 0.
    expect(valueOf(m, 'ibkr_account_realized_pnl', { account: 'DU1111111' })).toBeUndefined();
    const sap = { account: 'DU2222222', symbol: 'SAP' };
    expect(valueOf(m, 'ibkr_position_quantity', { ...sap, currency: 'EUR' })).toBe(30);
    expect(valueOf(m, 'ibkr_position_average_cost', { ...sap, currency: 'EUR' })).toBe(233.5);
    expect(valueOf(m, 'ibkr_position_realized_pnl', { ...sap, currency: 'EUR' })).toBe(12.5);
    expect(valueOf(m, 'ibkr_account_ledger_realized_pnl', { account: 'DU2222222', currency: 'EUR' })).toBe(
      12.5,
    );
    expect(valueOf(m, 'ibkr_account_ledger_realized_pnl', { account: 'DU1111111' })).toBeDefined();
    expect(
      m
        .filter((s) => s.name === 'ibkr_position_quantity')
        .map((s) => s.labels.account)
        .sort(),
    ).toEqual(['DU1111111', 'DU2222222']);
  });
});
