// The simulator writes Flex statements with its own XML writer and FIFO book; the exporter reads
// them with its own parser and planner. Neither shares code with the other, so agreeing on the
// hand-worked values of exporter/test/scenarios/flex-history.json checks both.
import { describe, expect, it } from 'vitest';
import { parseFlexStatement } from '../src/flex/parse-statement.js';
import { planFlexImport } from '../src/flex/plan-import.js';
import { scenarioStatement } from '../src/sim/flex/statement-from-scenario.js';
import { loadScenario, parseScenario } from '../src/sim/scenario.js';

const SCENARIO = new URL('./scenarios/flex-history.json', import.meta.url).pathname;

describe('a simulated Flex statement read by the exporter', () => {
  it('plans the flex-history statement into the hand-worked fills and one cancellation', async () => {
    const scenario = await loadScenario(SCENARIO);
    const xml = scenarioStatement(scenario)({ queryId: '1', at: Date.parse('2026-11-25T22:00:00Z') });
    const batch = planFlexImport(parseFlexStatement(xml));
    expect(batch.accounts).toEqual(['DU7000001']);
    expect(batch.cancellations.map((c) => [c.account, c.tradeId])).toEqual([['DU7000001', '700000007']]);
    expect(
      batch.fills.map((f) => [
        f.execution.execId,
        new Date(f.execution.time).toISOString(),
        f.execution.contract.symbol,
        f.execution.side,
        f.execution.shares,
        f.report.commission,
        f.report.realizedPnl,
      ]),
    ).toEqual([
      ['0000f1a2.7100a001.01.01', '2026-11-23T15:00:00.000Z', 'AAPL', 'buy', 100, '1', undefined],
      ['0000f1a2.7100a002.01.01', '2026-11-23T16:00:00.000Z', 'AAPL', 'buy', 50, '1', undefined],
      ['0000f1a2.7100a003.01.01', '2026-11-23T17:00:00.000Z', 'MSFT', 'buy', 40, '1', undefined],
      ['0000f1a2.7100a004.01.01', '2026-11-23T18:00:00.000Z', 'MSFT', 'sell', 40, '1', '198'],
      ['0000f1a2.7100a005.01.01', '2026-11-24T15:30:00.000Z', 'AAPL', 'sell', 120, '1.2', '557.4'],
      ['0000f1a2.7100a006.01.01', '2026-11-24T17:00:00.000Z', 'AAPL', 'buy', 2, '1.3', undefined],
      ['0000f1a2.7100b001.01.01', '2026-11-25T15:00:00.000Z', 'AAPL', 'sell', 30, '1', '238.4'],
      ['0000f1a2.7100b002.01.01', '2026-11-25T16:00:00.000Z', 'AAPL', 'buy', 1, '0.65', undefined],
    ]);
    const option = batch.fills.find((f) => f.execution.contract.secType === 'OPT')?.execution.contract;
    expect(option).toMatchObject({
      localSymbol: 'AAPL  261218C00200000',
      multiplier: 100,
      strike: 200,
      right: 'C',
    });
  });

  it('reads a corrected trade as one fill under the next revision and a cancellation of the original', async () => {
    const base = await loadScenario(SCENARIO);
    const corrected = {
      execId: '0000f1a2.7100a008.01.01',
      tradeId: '700000008',
      account: 'DU7000001',
      conId: 272093,
      time: '2026-11-24T19:00:00Z',
      side: 'BOT',
      shares: 5,
      price: 401,
      commission: 1,
      correction: { at: '2026-11-25T13:00:00Z', price: 401.5 },
    };
    const scenario = parseScenario({
      ...base,
      history: { ...base.history, fills: [...(base.history?.fills ?? []), corrected] },
    });
    const xml = scenarioStatement(scenario)({ queryId: '1', at: Date.parse('2026-11-25T22:00:00Z') });
    const batch = planFlexImport(parseFlexStatement(xml));
    expect(batch.cancellations.map((c) => c.tradeId).sort()).toEqual(['700000007', '700000008']);
    const msft = batch.fills.filter(
      (f) => f.execution.contract.symbol === 'MSFT' && f.execution.side === 'buy',
    );
    expect(msft.map((f) => [f.execution.execId, f.execution.shares, f.execution.price])).toEqual([
      ['0000f1a2.7100a003.01.01', 40, 400],
      ['0000f1a2.7100a008.01.02', 5, 401.5],
    ]);
  });

  it('skips the ORDER and CLOSED_LOT rows of the demo’s statement: the same fills with and without them', async () => {
    const demo = await loadScenario(new URL('../src/sim/scenarios/demo.json', import.meta.url).pathname);
    expect(demo.history?.levels).toEqual(['ORDER', 'CLOSED_LOT']);
    const plan = (levels: Array<'ORDER' | 'CLOSED_LOT'>) => {
      const scenario = parseScenario({ ...demo, history: { ...demo.history, levels } });
      return planFlexImport(
        parseFlexStatement(
          scenarioStatement(scenario)({ queryId: '1', at: Date.parse('2026-11-25T22:00:00Z') }),
        ),
      );
    };
    const fills = (batch: ReturnType<typeof plan>) => batch.fills.map((f) => [f.execution, f.report]);
    const plain = plan([]);
    expect(plain.fills).toHaveLength(20);
    expect(fills(plan(['ORDER', 'CLOSED_LOT']))).toEqual(fills(plain));
  });
});
