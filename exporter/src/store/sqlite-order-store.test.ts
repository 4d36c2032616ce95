import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExecutionRecord } from '../domain/types.js';
import { DuplicateKeyError } from './order-store.js';
import type { NewOrder, OrderStore } from './order-store.js';
import { SqliteStore } from './sqlite-store.js';

const order = (id: string, key?: string): NewOrder => ({
  id,
  idempotencyKey: key,
  bodyHash: 'h1',
  request: '{}',
  account: 'DU1',
  conId: 265598,
  symbol: 'AAPL',
  secType: 'STK',
  side: 'BUY',
  orderType: 'LMT',
  quantity: '10',
  limitPrice: '150.25',
  clientId: 2,
  ibOrderId: 7,
  status: 'PendingSubmit',
  createdAt: 1000,
});

const fill = (execId: string, shares: number): ExecutionRecord => ({
  execId,
  baseExecId: execId.slice(0, execId.lastIndexOf('.')),
  revision: Number(execId.slice(execId.lastIndexOf('.') + 1)),
  account: 'DU1',
  contract: { conId: 265598, symbol: 'AAPL', secType: 'STK', currency: 'USD', multiplier: 1 },
  side: 'buy',
  shares,
  price: 150,
  time: 2000,
});

describe('SqliteOrderStore', () => {
  let dir: string;
  let sqlite: SqliteStore;
  let store: OrderStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'order-store-'));
    sqlite = new SqliteStore({ path: join(dir, 'orders.db') });
    store = sqlite.orders();
  });
  afterEach(() => {
    sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps idempotency keys unique and unkeyed orders apart, across a reopen', () => {
    store.insert(order('a', 'key-1'));
    store.insert(order('b'));
    store.insert(order('c'));
    expect(() => store.insert(order('d', 'key-1'))).toThrow(DuplicateKeyError);
    sqlite.close();
    sqlite = new SqliteStore({ path: join(dir, 'orders.db') });
    store = sqlite.orders();
    expect(store.byKey('key-1')).toMatchObject({ id: 'a', bodyHash: 'h1', limitPrice: '150.25' });
    expect(
      store
        .list({ limit: 10 })
        .map((o) => o.id)
        .sort(),
    ).toEqual(['a', 'b', 'c']);
  });

  it('records a status change once, however often IB repeats it, and counts open orders by account', () => {
    store.insert(order('a'));
    const submitted = { source: 'orderStatus', status: 'Submitted', filled: 0, remaining: 10 } as const;
    expect(store.applyChange('a', submitted, 1100)?.status).toBe('Submitted');
    expect(store.applyChange('a', submitted, 1200)).toBeUndefined();
    expect(store.openByAccount()).toEqual(new Map([['DU1', 1]]));
    store.applyChange(
      'a',
      { source: 'orderStatus', status: 'Filled', filled: 10, remaining: 0, permId: 99 },
      1300,
    );
    expect(store.history('a').map((h) => h.status)).toEqual(['PendingSubmit', 'Submitted', 'Filled']);
    expect(store.byPermId(99)?.id).toBe('a');
    expect(store.openByAccount()).toEqual(new Map());
    expect(store.list({ limit: 10, open: true })).toEqual([]);
    expect(store.list({ limit: 10, status: 'Filled' }).map((o) => o.id)).toEqual(['a']);
  });

  it('stores a fill once per execId, takes a correction, and joins its commission in either order', () => {
    store.insert(order('a'));
    store.recordCommission({
      execId: 'x.01',
      baseExecId: 'x',
      revision: 1,
      commission: '1.25',
      currency: 'USD',
    });
    expect(store.recordFill('a', fill('x.01', 5))).toBe(true);
    expect(store.recordFill('a', fill('x.01', 5))).toBe(false);
    expect(store.recordFill('a', fill('x.02', 4))).toBe(true);
    store.recordFill('a', fill('y.01', 6));
    store.recordCommission({
      execId: 'y.01',
      baseExecId: 'y',
      revision: 1,
      commission: '1',
      realizedPnl: '-3.5',
    });
    expect(store.fills('a')).toEqual([
      expect.objectContaining({ execId: 'x.02', shares: 4, commission: '1.25', commissionCurrency: 'USD' }),
      expect.objectContaining({ execId: 'y.01', shares: 6, commission: '1', realizedPnl: '-3.5' }),
    ]);
  });
});
