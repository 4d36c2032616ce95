// The test scenario exporter/test/scenarios/flex-history.json served over HTTP, its values
// worked out by hand (see the scenario's description), and the Gateway simulator's executions
// matched to the statement's rows by execId.
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { checkWellFormed, elementAttributes, tradeRows } from '../../../test/support/xml-check.js';
import { loadScenario } from '../scenario.js';
import { GatewaySimulator } from '../server.js';
import { startFlexService, type FlexService } from './server.js';
import { scenarioStatement } from './statement-from-scenario.js';

const SCENARIO = fileURLToPath(new URL('../../../test/scenarios/flex-history.json', import.meta.url));
const TOKEN = '111122223333444455556666';
const QUERY = '424242';

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function statementOver(flex: FlexService): Promise<string> {
  const headers = { 'User-Agent': 'flex-history-test/1.0' };
  const sent = await (await fetch(`${flex.url}/SendRequest?t=${TOKEN}&q=${QUERY}&v=3`, { headers })).text();
  const reference = /<ReferenceCode>(\d+)<\/ReferenceCode>/.exec(sent)?.[1];
  const res = await fetch(`${flex.url}/GetStatement?t=${TOKEN}&q=${reference}&v=3`, { headers });
  expect(res.headers.get('content-type')).toMatch(/^text\/xml/);
  return res.text();
}

async function serve(
  statementXml: Parameters<typeof startFlexService>[0]['statementXml'],
): Promise<FlexService> {
  const flex = await startFlexService({ token: TOKEN, queryId: QUERY, statementXml });
  stops.push(() => flex.close());
  return flex;
}

const columns = (rows: Array<Record<string, string>>, ...names: string[]) =>
  rows.map((r) => names.map((n) => r[n]));

describe('the flex-history scenario over the Flex Web Service', () => {
  it('serves two days of history and today’s fills with the hand-worked values', async () => {
    const scenario = await loadScenario(SCENARIO);
    const xml = await statementOver(await serve(scenarioStatement(scenario)));
    checkWellFormed(xml);
    expect(elementAttributes(xml, 'FlexQueryResponse')).toEqual([{ queryName: 'flex-history', type: 'AF' }]);
    expect(elementAttributes(xml, 'FlexStatement')[0]).toMatchObject({
      accountId: 'DU7000001',
      fromDate: '20261123',
      toDate: '20261125',
      period: 'Last3CalendarDays',
    });
    const rows = tradeRows(xml);
    expect(
      columns(
        rows,
        'ibExecID',
        'tradeID',
        'symbol',
        'quantity',
        'ibCommission',
        'fifoPnlRealized',
        'openCloseIndicator',
        'notes',
      ),
    ).toEqual([
      ['0000f1a2.7100a001.01.01', '700000001', 'AAPL', '100', '-1', '0', 'O', ''],
      ['0000f1a2.7100a002.01.01', '700000002', 'AAPL', '50', '-1', '0', 'O', ''],
      ['0000f1a2.7100a005.01.01', '700000005', 'AAPL', '-120', '-1.2', '557.4', 'C', ''],
      ['0000f1a2.7100b001.01.01', expect.stringMatching(/^\d{9}$/), 'AAPL', '-30', '-1', '238.4', 'C', ''],
      ['0000f1a2.7100a003.01.01', '700000003', 'MSFT', '40', '-1', '0', 'O', ''],
      ['0000f1a2.7100a004.01.01', '700000004', 'MSFT', '-40', '-1', '198', 'C', ''],
      ['0000f1a2.7100a007.01.01', '700000007', 'SAP', '10', '-2', '0', 'O', ''],
      ['0000f1a2.7100a007.01.01', expect.stringMatching(/^\d{9}$/), 'SAP', '-10', '2', '0', 'O', 'Ca'],
      ['0000f1a2.7100a006.01.01', '700000006', 'AAPL  261218C00200000', '2', '-1.3', '0', 'O', ''],
      [
        '0000f1a2.7100b002.01.01',
        expect.stringMatching(/^\d{9}$/),
        'AAPL  261218C00200000',
        '1',
        '-0.65',
        '0',
        'O',
        '',
      ],
    ]);

    expect(rows.find((r) => r.notes === 'Ca')?.origTradeID).toBe('700000007');
    expect(
      columns(
        rows.filter((r) => r.symbol === 'SAP'),
        'currency',
        'fxRateToBase',
        'ibCommissionCurrency',
      ),
    ).toEqual([
      ['EUR', '1.05', 'EUR'],
      ['EUR', '1.05', 'EUR'],
    ]);
  });

  it('reports the Gateway’s executions, live ones included, under the execIds the Gateway sends', async () => {
    const scenario = await loadScenario(SCENARIO);
    const sim = await GatewaySimulator.start({ scenario, port: 0 });
    stops.push(() => sim.stop());
    const flex = await serve(scenarioStatement(scenario, () => sim.state.executions));
    sim.addExecution({
      execId: '0000f1a2.7100b003.01.01',
      account: 'DU7000001',
      conId: 272093,
      // Within the scenario's day: the statement ends on history.asOf, whatever the clock says.
      time: '2026-11-25T17:00:00Z',
      side: 'BOT',
      shares: 10,
      price: 410,
      commission: { commission: 1, currency: 'USD', realizedPnl: null },
    });
    const rows = tradeRows(await statementOver(flex));
    const todays = rows.filter((r) => r.ibExecID?.startsWith('0000f1a2.7100b'));
    expect(todays.map((r) => r.ibExecID).sort()).toEqual(sim.state.executions.map((e) => e.execId).sort());
    expect(todays.find((r) => r.symbol === 'MSFT')).toMatchObject({
      symbol: 'MSFT',
      quantity: '10',
      openCloseIndicator: 'O',
      netCash: '-4101',
    });
  });
});

describe('the demo scenario’s history', () => {
  it('explains every position the Gateway reports, and has a closed round trip', async () => {
    const scenario = await loadScenario(fileURLToPath(new URL('../scenarios/demo.json', import.meta.url)));
    const xml = scenarioStatement(scenario)({ queryId: QUERY, at: Date.parse('2026-11-25T22:00:00Z') });
    checkWellFormed(xml);
    const rows = tradeRows(xml);
    const net = new Map<string, number>();
    for (const r of rows.filter((row) => row.levelOfDetail === 'EXECUTION'))
      net.set(r.conid ?? '', (net.get(r.conid ?? '') ?? 0) + Number(r.quantity));
    for (const p of scenario.positions)
      expect([p.conId, net.get(String(p.conId)) ?? 0]).toEqual([p.conId, p.quantity]);
    expect(new Set(rows.map((r) => r.levelOfDetail))).toEqual(new Set(['ORDER', 'EXECUTION', 'CLOSED_LOT']));
    const tsla = rows.filter(
      (r) => r.symbol === 'TSLA' && r.tradeDate !== '20261125' && r.levelOfDetail === 'EXECUTION',
    );
    expect(columns(tsla, 'quantity', 'fifoPnlRealized')).toEqual([
      ['30', '0'],
      ['-30', '193'],
    ]);
  });
});
