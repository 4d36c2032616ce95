// A broken or hostile gateway stream must never crash the exporter, put garbage on /metrics or
// touch the ledger: bad messages are counted and dropped, an unusable stream is reconnected.
import { execFileSync } from 'node:child_process';
import { describe, expect, it, vi } from 'vitest';
import * as msg from '../src/sim/messages.js';
import { BASIC, maskMetrics, scrape, useRig, valueOf, waitSynced } from './support/exporter.js';

describe('hostile gateway input', () => {
  const rig = useRig();

  it('survives a request error whose advancedOrderRejectJson is not JSON', async () => {
    const { sim, exporter } = await rig.start('basic', 'reject-json.db');
    // stoqey JSON.parses this field and rethrows the SyntaxError out of its socket handler.
    sim.sendRaw(['4', '2', '7', '201', 'Order rejected', '{not json']);
    await vi.waitFor(() => expect(exporter.health.protocolErrors).toBeGreaterThan(0), { timeout: 5000 });
    await vi.waitFor(() => expect(exporter.health.gatewayUp).toBe(true), { timeout: 5000 });
    const m = await scrape(exporter);
    expect(valueOf(m, 'ibkr_gateway_protocol_errors_total')).toBeGreaterThan(0);
    expect(valueOf(m, 'ibkr_executions_total', { account: 'DU0000001' })).toBe(3);
  });

  it('counts an unknown message id and a message with missing fields, and keeps syncing', async () => {
    const { sim, exporter } = await rig.start('basic', 'malformed.db');
    sim.sendRaw(['9999', '1', 'what is this']);
    sim.sendRaw(['61', '3', 'DU0000001', '265598']); // a position cut short
    await vi.waitFor(() => expect(exporter.health.protocolErrors).toBeGreaterThanOrEqual(2), {
      timeout: 5000,
    });
    sim.updatePnl({ account: 'DU0000001', conId: 265598, daily: 42 });
    await vi.waitFor(() => expect(exporter.portfolio.position('DU0000001', 265598)?.pnl?.dailyPnl).toBe(42), {
      timeout: 5000,
    });
    expect(exporter.portfolio.position('DU0000001', 265598)?.position.quantity).toBe(100);
  });

  it('exports no NaN, Infinity or Double.MAX that arrive in PnL fields', async () => {
    const { sim, exporter } = await rig.start('basic', 'nan.db');
    const reqId = (await sim.waitForRequest('reqPnLSingle', (r) => r.conId === 76792991)).reqId!;
    sim.sendRaw(['95', String(reqId), '-20', 'NaN', 'Infinity', '1.7976931348623157E308', '-Infinity']);
    await vi.waitFor(
      () => expect(exporter.portfolio.position('DU0000001', 76792991)?.pnl?.dailyPnl).toBeUndefined(),
      { timeout: 5000 },
    );
    const m = await scrape(exporter);
    expect(m.every((s) => Number.isFinite(s.value) && Math.abs(s.value) < 1e300)).toBe(true);
    expect(
      m.filter(
        (s) =>
          s.labels.con_id === '76792991' &&
          s.name.endsWith('_pnl') &&
          s.name !== 'ibkr_position_realized_pnl',
      ),
    ).toEqual([]);
  });

  it('reconnects when the stream is garbage', async () => {
    const { sim, exporter } = await rig.start('basic', 'garbage.db');
    sim.sendRaw(Buffer.from([0x7f, 0xff, 0xff, 0xff, 0x41, 0x42, 0x43]));
    await vi.waitFor(() => expect(exporter.health.connects).toBe(2), { timeout: 10_000 });
    await waitSynced(exporter, BASIC);
    expect(valueOf(await scrape(exporter), 'ibkr_executions_total', { account: 'DU0000001' })).toBe(3);
  });

  it('exports unicode symbols and contracts it never saw with valid labels, and ignores unknown reqIds', async () => {
    const { sim, exporter } = await rig.start('basic', 'unicode.db');
    const symbol = 'トヨタ "7203"\\ ✓';
    sim.sendRaw(
      msg.position(
        'DU0000001',
        { conId: 987654321, symbol, secType: 'STK', exchange: 'TSEJ', currency: 'JPY', localSymbol: '7203' },
        300,
        2950.5,
      ),
    );
    // PnL for a subscription nobody made, and a farm notice whose name is not one.
    sim.sendRaw(['95', '777777', '5', '1', '2', '3', '4']);
    sim.sendError(2104, 'Market data farm connection is OK:{evil="1"}');
    await vi.waitFor(() => expect(exporter.portfolio.position('DU0000001', 987654321)).toBeDefined(), {
      timeout: 5000,
    });
    const text = await (await fetch(`${exporter.url}/metrics`)).text();
    const m = await scrape(exporter);
    expect(valueOf(m, 'ibkr_position_quantity', { con_id: '987654321', symbol, currency: 'JPY' })).toBe(300);
    expect(m.some((s) => s.labels.farm?.includes('evil'))).toBe(false);
    // promtool is the arbiter of the exposition format (escaping of quotes and backslashes);
    // the masked text leaves out prom-client's own nodejs_* families, which it lints.
    execFileSync('promtool', ['check', 'metrics'], { input: maskMetrics(text) });
    expect(valueOf(m, 'ibkr_gateway_up')).toBe(1);
  });
});
