// The schedule with a fake importer that records what it is given; the fetch side is the real
// client against the simulator's Flex Web Service.
import { afterEach, describe, expect, it } from 'vitest';
import { captureLogs } from '../../test/support/log-capture.js';
import { FlexInputError } from '../domain/flex.js';
import { startFlexService } from '../sim/flex/server.js';
import type { FlexService, FlexServiceOptions } from '../sim/flex/server.js';
import { FlexSchedule } from './schedule.js';
import type { FlexImportResult } from './import-statement.js';
import type { FlexScheduleOptions } from './schedule.js';
import { FlexScheduleStatus } from './schedule-status.js';
import { fetchFlexStatement } from './web-service-client.js';

const TOKEN = '656530010732398240553724';
const QUERY = '771568';
const STATEMENT =
  '<FlexQueryResponse queryName="history" type="AF"><FlexStatements count="1"/></FlexQueryResponse>';
const DAILY = '30 6 * * *';

const changes = (add: number, skip: number): FlexImportResult => ({
  summary: { dryRun: false, accounts: [{ account: 'DU1234567', add, merge: 0, skip, cancel: 0 }] },
  ledger: [],
  executionCounts: [{ account: 'DU1234567', executions: add }],
  roundTrips: [],
});

interface Rig {
  flex: FlexService;
  schedule: FlexSchedule;
  status: FlexScheduleStatus;
  imported: string[];
  applied: FlexImportResult[];
  logs: string[];
}

const rigs: Rig[] = [];
afterEach(async () => {
  for (const rig of rigs.splice(0)) {
    await rig.schedule.stop();
    await rig.flex.close();
  }
});

async function rig(
  options: {
    flex?: Partial<FlexServiceOptions>;
    schedule?: Partial<FlexScheduleOptions>;
    lastSuccessAt?: number;
  } = {},
): Promise<Rig> {
  const flex = await startFlexService({
    token: TOKEN,
    queryId: QUERY,
    statementXml: () => STATEMENT,
    ...options.flex,
  });
  const status = new FlexScheduleStatus();
  status.lastSuccessAt = options.lastSuccessAt;
  const imported: string[] = [];
  const applied: FlexImportResult[] = [];
  const { logger, lines: logs } = captureLogs('debug');
  const schedule = new FlexSchedule({
    pattern: DAILY,
    fetch: (signal) =>
      fetchFlexStatement({
        baseUrl: flex.url,
        token: TOKEN,
        queryId: QUERY,
        userAgent: 'ibkr-pnl-exporter/test',
        signal,
        retry: { initialMs: 1, maxMs: 4, rateLimitedMs: 4, deadlineMs: 20_000, requestTimeoutMs: 10_000 },
      }),
    importer: async (xml) => {
      imported.push(xml);
      return changes(2, 1);
    },
    ready: async () => {},
    onImported: (c) => applied.push(c),
    status,
    logger,
    ...options.schedule,
  });
  const made = { flex, schedule, status, imported, applied, logs };
  rigs.push(made);
  return made;
}

async function until(condition: () => boolean, deadlineMs = 10_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('FlexSchedule', () => {
  it('imports once soon after start when no import has succeeded yet', async () => {
    const { schedule, status, imported, applied } = await rig();
    const before = Date.now();
    schedule.start();
    await until(() => applied.length === 1);
    expect(imported).toEqual([STATEMENT]);
    expect(applied).toEqual([changes(2, 1)]);
    expect(status.lastSuccessAt).toBeGreaterThanOrEqual(before);
    expect(Object.fromEntries(status.fills)).toEqual({ add: 2, merge: 0, skip: 1, cancel: 0 });
    expect(status.lastDurationSeconds).toBeGreaterThanOrEqual(0);
  });

  it('does not run at start when the last success is younger than one schedule period', async () => {
    const { schedule, flex, imported } = await rig({ lastSuccessAt: Date.now() - 3_600_000 });
    schedule.start();
    await schedule.idle();
    expect(flex.requests).toEqual([]);
    expect(imported).toEqual([]);
  });

  it('runs again when the last success is older than one schedule period', async () => {
    const { schedule, applied } = await rig({ lastSuccessAt: Date.now() - 25 * 3_600_000 });
    schedule.start();
    await until(() => applied.length === 1);
  });

  it('fires on its cron expression', async () => {
    // Every second (croner's 6-field form; the configuration takes 5 fields).
    const { schedule, applied } = await rig({
      lastSuccessAt: Date.now(),
      schedule: { pattern: '* * * * * *' },
    });
    schedule.start();
    await until(() => applied.length >= 2);
  });

  it('runs one import at a time', async () => {
    const { schedule, flex, imported } = await rig({ flex: { mode: 'slow', inProgressPolls: 3 } });
    const first = schedule.runNow('schedule');
    const second = schedule.runNow('schedule');
    await Promise.all([first, second]);
    expect(imported).toHaveLength(1);
    expect(flex.requests.filter((r) => r.path === '/SendRequest')).toHaveLength(1);
  });

  it('waits for the managed accounts before fetching', async () => {
    let release!: () => void;
    let released = false;
    const fetchedAfterRelease: boolean[] = [];
    const accounts = new Promise<void>((resolve) => (release = resolve));
    const { schedule, applied } = await rig({
      schedule: {
        ready: () => accounts,
        fetch: async () => {
          fetchedAfterRelease.push(released);
          return STATEMENT;
        },
      },
    });
    const run = schedule.runNow('start');
    released = true;
    release();
    await run;
    expect(fetchedAfterRelease).toEqual([true]);
    expect(applied).toHaveLength(1);
  });

  it('meters and logs a fatal answer by reason, without the token', async () => {
    const { schedule, status, applied, logs } = await rig({ flex: { mode: 'expired-token' } });
    await schedule.runNow('start');
    expect(applied).toEqual([]);
    expect(status.lastSuccessAt).toBeUndefined();
    expect(status.failures.get('token_expired')).toBe(1);
    const failed = logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === 'flex import failed');
    expect(failed).toMatchObject({ level: 50, reason: 'token_expired', code: 1012, trigger: 'start' });
    expect(logs.join('')).not.toContain(TOKEN);
  });

  it.each([
    [new FlexInputError('line 7: trade 12345 has no ibExecID', 7), 'statement_invalid'],
    [new Error('database is locked'), 'import_failed'],
  ] as const)('meters an importer that throws %s as %s', async (error, reason) => {
    const { schedule, status } = await rig({
      schedule: {
        importer: async () => {
          throw error;
        },
      },
    });
    await schedule.runNow('schedule');
    expect(status.failures.get(reason)).toBe(1);
    expect(status.lastSuccessAt).toBeUndefined();
  });

  it('aborts the request in flight on stop and counts no failure', async () => {
    const { schedule, flex, status, logs } = await rig({
      flex: { mode: 'slow', inProgressPolls: 1_000_000 },
    });
    schedule.start();
    await until(() => flex.requests.length >= 3);
    await schedule.stop();
    const polls = flex.requests.length;
    expect([...status.failures.values()].every((n) => n === 0)).toBe(true);
    expect(logs.some((l) => l.includes('flex fetch aborted'))).toBe(true);
    await schedule.runNow('schedule');
    expect(flex.requests.length).toBe(polls);
  });
});
