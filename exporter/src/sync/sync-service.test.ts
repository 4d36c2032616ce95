// The backfill watermark rule with a real SQLite store and a recording fake session: a backfill
// starts from the last *completed* backfill, never from the newest stored fill.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Health } from '../domain/health.js';
import { Portfolio } from '../domain/portfolio.js';
import type { CommissionRecord, ExecutionRecord } from '../domain/types.js';
import type { Session } from '../ib/session.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { BACKFILL_MARGIN_MS, SyncService } from './sync-service.js';

const HOUR = 3_600_000;
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A session that records what was asked of it; reqIds count up from 1. */
function recordingSession() {
  const backfills: Array<number | undefined> = [];
  const session: Session = {
    ready: true,
    start: () => undefined,
    stop: async () => undefined,
    reconnect: () => undefined,
    requestPositions: () => undefined,
    requestExecutions: (since) => backfills.push(since),
    requestAccountPnl: () => undefined,
    requestAccountSummary: () => undefined,
    subscribePositionPnl: () => undefined,
    cancelPositionPnl: () => undefined,
    cancelSubscriptions: () => undefined,
  };
  return { session, backfills };
}

function exporterAt(path: string, clock: { now: number }) {
  const store = new SqliteStore({ path });
  const { session, backfills } = recordingSession();
  const sync = new SyncService({
    store,
    portfolio: new Portfolio(),
    health: new Health(clock.now),
    logger: pino({ level: 'silent' }),
    now: () => clock.now,
  });
  sync.attach(session);
  return { store, sync, backfills };
}

const fill = (execId: string, timeMs: number): ExecutionRecord => ({
  execId,
  baseExecId: execId.replace(/\.\d+$/, ''),
  revision: 1,
  account: 'DU1',
  contract: { conId: 1, symbol: 'AAPL', secType: 'STK', currency: 'USD', multiplier: 1 },
  side: 'buy',
  shares: 1,
  price: 100,
  time: timeMs,
});
const report = (execId: string): CommissionRecord => ({
  execId,
  baseExecId: execId.replace(/\.\d+$/, ''),
  revision: 1,
  commission: '1',
  currency: 'USD',
});

describe('SyncService backfill watermark', () => {
  it('asks for the whole day again after a crash that stored live fills but not the backfill', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sync-watermark-'));
    dirs.push(dir);
    const path = join(dir, 'ledger.db');
    const clock = { now: Date.UTC(2026, 10, 25, 15) };

    const first = exporterAt(path, clock);
    first.sync.ready(['DU1']);
    expect(first.backfills).toEqual([undefined]);
    // A live fill arrives and is committed before the backfill answer; then the process dies.
    first.sync.execution(fill('live.01', clock.now));
    first.sync.commission(report('live.01'));
    await Promise.resolve();
    expect(first.store.backfillWatermark()).toBeUndefined();
    first.store.close();

    clock.now += HOUR;
    const second = exporterAt(path, clock);
    second.sync.ready(['DU1']);
    // Not "the newest stored fill minus a margin": the morning's fills were never delivered.
    expect(second.backfills).toEqual([undefined]);
    const requestedAt = clock.now;
    second.sync.execution(fill('morning.01', clock.now - 6 * HOUR));
    clock.now += 1000;
    second.sync.executionsEnd(1);
    expect(second.store.backfillWatermark()).toBe(requestedAt);
    second.store.close();

    clock.now += HOUR;
    const third = exporterAt(path, clock);
    third.sync.ready(['DU1']);
    expect(third.backfills).toEqual([requestedAt - BACKFILL_MARGIN_MS]);
    third.store.close();
  });

  it('ignores the end of a backfill it is no longer waiting for', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sync-watermark-'));
    dirs.push(dir);
    const clock = { now: Date.UTC(2026, 10, 25, 15) };
    const { store, sync } = exporterAt(join(dir, 'ledger.db'), clock);
    sync.ready(['DU1']);
    sync.executionsEnd(99);
    expect(store.backfillWatermark()).toBeUndefined();
    store.close();
  });
});

describe('SyncService.inOrder', () => {
  /** A SQLite store whose fill writes wait for `open()`: the PostgreSQL case, a write in flight. */
  function gatedExporter(path: string) {
    const store = new SqliteStore({ path });
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const gated = new Proxy(store, {
      get(target, key, receiver) {
        if (key === 'recordFills')
          return (events: Parameters<SqliteStore['recordFills']>[0]) =>
            gate.then(() => target.recordFills(events));
        const value: unknown = Reflect.get(target, key, receiver);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const portfolio = new Portfolio();
    const sync = new SyncService({
      store: gated,
      portfolio,
      health: new Health(Date.now()),
      logger: pino({ level: 'silent' }),
      now: Date.now,
    });
    sync.attach(recordingSession().session);
    return { store, sync, portfolio, open };
  }

  it('runs a task after the writes queued before it and applies its result in that turn', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sync-in-order-'));
    dirs.push(dir);
    const { store, sync, portfolio, open } = gatedExporter(join(dir, 'ledger.db'));
    sync.ready(['DU1']);
    sync.execution(fill('live.01', Date.now()));
    sync.commission(report('live.01'));
    await Promise.resolve(); // the group is queued and its write waits at the gate

    const seen: string[] = [];
    const task = sync.inOrder(
      () => {
        // The live fill is committed and in memory before the task runs.
        seen.push(`task after ${portfolio.executionCounts.get('DU1') ?? 0} fill(s)`);
        return 'imported';
      },
      (result) => seen.push(`applied ${result}`),
    );
    expect(seen).toEqual([]);
    open();
    await expect(task).resolves.toBe('imported');
    expect(seen).toEqual(['task after 1 fill(s)', 'applied imported']);
    store.close();
  });

  it('rejects with the task error, applies nothing and keeps the queue going', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sync-in-order-'));
    dirs.push(dir);
    const { store, sync, portfolio, open } = gatedExporter(join(dir, 'ledger.db'));
    open();
    sync.ready(['DU1']);
    const applied: unknown[] = [];
    await expect(
      sync.inOrder(
        () => Promise.reject(new Error('not a Flex statement')),
        (r) => applied.push(r),
      ),
    ).rejects.toThrow('not a Flex statement');
    expect(applied).toEqual([]);
    sync.execution(fill('after.01', Date.now()));
    sync.commission(report('after.01'));
    await expect.poll(() => portfolio.executionCounts.get('DU1'), { timeout: 2000 }).toBe(1);
    store.close();
  });
});
