import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadScenario, parseScenario } from './scenario.js';

const scenarioFile = (name: string) => fileURLToPath(new URL(`./scenarios/${name}.json`, import.meta.url));

const minimal = {
  accounts: [{ id: 'DU1', baseCurrency: 'USD' }],
  contracts: [{ conId: 1, symbol: 'AAPL', secType: 'STK', currency: 'USD' }],
};

describe('scenario files', () => {
  it.each(['basic', 'demo', 'multi-account'])('%s.json is valid', async (name) => {
    const s = await loadScenario(scenarioFile(name));
    expect(s.accounts.length).toBeGreaterThan(0);
  });
});

describe('parseScenario', () => {
  it('fills defaults', () => {
    const s = parseScenario(minimal);
    expect(s).toMatchObject({
      serverVersion: 176,
      executionTimeZone: 'UTC',
      nextValidOrderId: 1,
      positions: [],
      executions: [],
      timeline: [],
    });
    expect(s.contracts[0]?.exchange).toBe('SMART');
  });

  it('names the path of a wrong field', () => {
    const bad = { ...minimal, positions: [{ account: 'DU1', conId: 1, quantity: '10', avgCost: 1 }] };
    expect(() => parseScenario(bad)).toThrow(/positions\[0\]\.quantity/);
  });

  it('rejects references to unknown accounts and contracts', () => {
    const bad = {
      ...minimal,
      positions: [{ account: 'DU2', conId: 1, quantity: 1, avgCost: 1 }],
      executions: [
        {
          execId: 'e1',
          account: 'DU1',
          conId: 7,
          time: '2026-11-25T14:00:00Z',
          side: 'BOT',
          shares: 1,
          price: 1,
        },
      ],
    };
    expect(() => parseScenario(bad)).toThrow(/unknown account DU2[\s\S]*positions\[0\]\.account/);
    expect(() => parseScenario(bad)).toThrow(/unknown conId 7[\s\S]*executions\[0\]\.conId/);
  });

  it('rejects duplicate execIds, positions and conIds', () => {
    const exec = {
      execId: 'e1',
      account: 'DU1',
      conId: 1,
      time: '2026-11-25T14:00:00Z',
      side: 'BOT',
      shares: 1,
      price: 1,
    };
    expect(() => parseScenario({ ...minimal, executions: [exec, exec] })).toThrow(/duplicate execId e1/);
    const pos = { account: 'DU1', conId: 1, quantity: 1, avgCost: 1 };
    expect(() => parseScenario({ ...minimal, positions: [pos, pos] })).toThrow(/duplicate position DU1\/1/);
  });

  it('rejects a bad execution time, side, server version and timeline event', () => {
    const exec = { execId: 'e1', account: 'DU1', conId: 1, time: 'today', side: 'BUY', shares: 1, price: 1 };
    expect(() => parseScenario({ ...minimal, executions: [exec] })).toThrow(
      /ISO-8601[\s\S]*executions\[0\]\.time/,
    );
    expect(() => parseScenario({ ...minimal, executions: [exec] })).toThrow(
      /"BOT"\|"SLD"[\s\S]*executions\[0\]\.side/,
    );
    expect(() => parseScenario({ ...minimal, serverVersion: 99 })).toThrow(/serverVersion/);
    expect(() => parseScenario({ ...minimal, timeline: [{ atMs: 1, type: 'explode' }] })).toThrow(
      /timeline\[0\]/,
    );
    expect(() => parseScenario({ ...minimal, executionTimeZone: 'Mars/Olympus' })).toThrow(
      /unknown time zone/,
    );
  });

  it('rejects unknown fields, so typos do not pass silently', () => {
    expect(() => parseScenario({ ...minimal, pnlTicks: { intervalMs: 100 } })).toThrow(/pnlTicks/);
  });

  it('fills the history defaults and checks its fills like executions', () => {
    const fill = {
      execId: 'h1',
      account: 'DU1',
      conId: 1,
      time: '2026-11-24T15:00:00Z',
      side: 'BOT',
      shares: 1,
      price: 1,
    };
    expect(parseScenario({ ...minimal, history: { fills: [fill] } }).history).toEqual({
      queryName: 'ibkr-pnl-exporter',
      days: 30,
      fxRatesToBase: {},
      fills: [{ ...fill, commission: 0 }],
      levels: [],
    });
    const bad =
      (history: unknown, executions: unknown[] = []) =>
      () =>
        parseScenario({ ...minimal, executions, history });
    expect(bad({ fills: [{ ...fill, account: 'DU9' }] })).toThrow(
      /unknown account DU9[\s\S]*history\.fills\[0\]\.account/,
    );
    expect(bad({ fills: [fill] }, [{ ...fill }])).toThrow(
      /duplicate execId h1[\s\S]*history\.fills\[0\]\.execId/,
    );
    expect(bad({ fills: [{ ...fill, cancelledAt: '2026-11-24T14:00:00Z' }] })).toThrow(/before the trade/);
    expect(bad({ fills: [{ ...fill, tradeId: 'T1' }] })).toThrow(/expected digits/);
    expect(bad({ days: 400 })).toThrow(/history\.days/);
    const correction = { at: '2026-11-25T15:00:00Z', price: 2 };
    expect(bad({ fills: [{ ...fill, correction: { ...correction, at: '2026-11-24T14:00:00Z' } }] })).toThrow(
      /before the trade[\s\S]*correction\.at/,
    );
    expect(bad({ fills: [{ ...fill, correction, cancelledAt: '2026-11-25T15:00:00Z' }] })).toThrow(
      /cancelled or corrected, not both/,
    );
    expect(bad({ fills: [{ ...fill, correction }] })).toThrow(/needs a revision/);
    expect(bad({ fills: [{ ...fill, execId: 'h1.01', correction }] })).not.toThrow();
  });

  it('needs an exchange rate for a trade outside the account’s base currency once it has a history', () => {
    const eur = {
      ...minimal,
      contracts: [...minimal.contracts, { conId: 2, symbol: 'SAP', secType: 'STK', currency: 'EUR' }],
      executions: [
        {
          execId: 'e1',
          account: 'DU1',
          conId: 2,
          time: '2026-11-25T09:00:00Z',
          side: 'BOT',
          shares: 1,
          price: 1,
        },
      ],
    };
    expect(() => parseScenario(eur)).not.toThrow();
    expect(() => parseScenario({ ...eur, history: {} })).toThrow(
      /no rate for EUR[\s\S]*executions\[0\]\.conId/,
    );
    expect(() => parseScenario({ ...eur, history: { fxRatesToBase: { EUR: 1.05 } } })).not.toThrow();
  });

  it('loadScenario says which file is not JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sim-'));
    const path = join(dir, 'broken.json');
    await writeFile(path, '{ nope');
    await expect(loadScenario(path)).rejects.toThrow(`scenario ${path} is not valid JSON`);
    await expect(loadScenario(join(dir, 'missing.json'))).rejects.toThrow(/cannot read scenario/);
  });
});
