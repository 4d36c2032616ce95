// The order store contract: the same suite on SQLite and on PostgreSQL (see store-contract.test.ts
// for how the backends run), and what only a database shared by several exporters has to keep:
// each sees its own gateway's orders, and one idempotency key places one order between them.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ExecutionRecord } from '../domain/types.js';
import { openPostgresStore, postgresBackend, sqliteBackend } from '../../test/support/backends.js';
import type { Backend, Ledger } from '../../test/support/backends.js';
import { describePostgres } from '../../test/support/postgres.js';
import { DuplicateKeyError } from './order-store.js';
import type { NewOrder, OrderStore } from './order-store.js';
import type { PostgresStore } from './postgres-store.js';
import type { Store } from './store.js';

const order = (id: string, key?: string, overrides: Partial<NewOrder> = {}): NewOrder => ({
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
  ...overrides,
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

const ids = (rows: Array<{ id: string }>) => rows.map((o) => o.id).sort();

function contract(backend: Backend): void {
  let ledger: Ledger;
  let ledgerStore: Store;
  let store: OrderStore;

  beforeAll(() => backend.setup());
  afterAll(() => backend.teardown());
  beforeEach(async () => {
    ledger = await backend.ledger();
    ledgerStore = await ledger.open();
    store = ledgerStore.orders();
  });
  afterEach(() => ledger.cleanup());

  it('keeps idempotency keys unique and unkeyed orders apart, across a reopen', async () => {
    await store.insert(order('a', 'key-1'));
    await store.insert(order('b'));
    await store.insert(order('c'));
    await expect(Promise.resolve().then(() => store.insert(order('d', 'key-1')))).rejects.toThrow(
      DuplicateKeyError,
    );
    await ledgerStore.close();
    ledgerStore = await ledger.open();
    store = ledgerStore.orders();
    expect(await store.byKey('key-1')).toMatchObject({ id: 'a', bodyHash: 'h1', limitPrice: '150.25' });
    expect(ids(await store.list({ limit: 10 }))).toEqual(['a', 'b', 'c']);
    expect(await store.byKey('key-2')).toBeUndefined();
  });

  it('records a status change once, however often IB repeats it, and counts open orders by account', async () => {
    await store.insert(order('a'));
    const submitted = { source: 'orderStatus', status: 'Submitted', filled: 0, remaining: 10 } as const;
    expect((await store.applyChange('a', submitted, 1100))?.status).toBe('Submitted');
    expect(await store.applyChange('a', submitted, 1200)).toBeUndefined();
    expect(await store.openByAccount()).toEqual(new Map([['DU1', 1]]));
    await store.applyChange(
      'a',
      { source: 'orderStatus', status: 'Filled', filled: 10, remaining: 0, permId: 99 },
      1300,
    );
    expect((await store.history('a')).map((h) => h.status)).toEqual(['PendingSubmit', 'Submitted', 'Filled']);
    expect((await store.byPermId(99))?.id).toBe('a');
    expect(await store.openByAccount()).toEqual(new Map());
    expect(await store.list({ limit: 10, open: true })).toEqual([]);
    expect((await store.list({ limit: 10, status: 'Filled' })).map((o) => o.id)).toEqual(['a']);
    expect(await store.get('a')).toMatchObject({
      status: 'Filled',
      filled: 10,
      remaining: 0,
      updatedAt: 1300,
    });
    expect(await store.applyChange('nope', submitted, 1400)).toBeUndefined();
  });

  it('lists newest first and matches a reused IB order id to the newest order', async () => {
    await store.insert(order('old', undefined, { createdAt: 1000 }));
    await store.insert(order('new', undefined, { createdAt: 2000 }));
    await store.insert(order('other', undefined, { createdAt: 1500, ibOrderId: 8 }));
    expect((await store.list({ limit: 2 })).map((o) => o.id)).toEqual(['new', 'other']);
    expect((await store.byIbOrderId(2, 7))?.id).toBe('new');
    expect(await store.byIbOrderId(3, 7)).toBeUndefined();
  });

  it('stores a fill once per execId, takes a correction, and joins its commission in either order', async () => {
    await store.insert(order('a'));
    await store.recordCommission({
      execId: 'x.01',
      baseExecId: 'x',
      revision: 1,
      commission: '1.25',
      currency: 'USD',
    });
    expect(await store.recordFill('a', fill('x.01', 5))).toBe(true);
    expect(await store.recordFill('a', fill('x.01', 5))).toBe(false);
    expect(await store.recordFill('a', fill('x.02', 4))).toBe(true);
    expect(await store.recordFill('a', fill('x.01', 5))).toBe(false);
    await store.recordFill('a', fill('y.01', 6));
    await store.recordCommission({
      execId: 'y.01',
      baseExecId: 'y',
      revision: 1,
      commission: '1',
      realizedPnl: '-3.5',
    });
    expect(await store.fills('a')).toEqual([
      expect.objectContaining({ execId: 'x.02', shares: 4, commission: '1.25', commissionCurrency: 'USD' }),
      expect.objectContaining({ execId: 'y.01', shares: 6, commission: '1', realizedPnl: '-3.5' }),
    ]);
  });
}

describe('the order store contract on SQLite', () => contract(sqliteBackend()));
describePostgres('the order store contract on PostgreSQL', () => contract(postgresBackend()));

describePostgres('orders of several exporters on one PostgreSQL database', () => {
  const backend = postgresBackend();
  let ledger: Ledger;
  const stores: PostgresStore[] = [];
  /** An exporter whose gateway manages `accounts` (undefined: not synced, sees everything). */
  const exporter = async (accounts?: string[]): Promise<OrderStore> => {
    const store = openPostgresStore(ledger.location, () => accounts);
    await store.open();
    stores.push(store);
    return store.orders();
  };

  beforeAll(() => backend.setup());
  afterAll(() => backend.teardown());
  beforeEach(async () => {
    ledger = await backend.ledger();
  });
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    await ledger.cleanup();
  });

  it("shows each gateway its accounts' orders, and matches IB order ids only on the gateway that placed them", async () => {
    const one = await exporter(['DU1']);
    const two = await exporter(['DU2']);
    // Both gateways hand out the same IB order id on the same client id.
    await one.insert(order('a', 'key-a'));
    await two.insert(order('b', 'key-b', { account: 'DU2' }));
    expect((await one.byIbOrderId(2, 7))?.id).toBe('a');
    expect((await two.byIbOrderId(2, 7))?.id).toBe('b');
    expect(ids(await one.list({ limit: 10 }))).toEqual(['a']);
    expect(await one.get('b')).toBeUndefined();
    expect(await one.byKey('key-b')).toBeUndefined();
    expect(await two.openByAccount()).toEqual(new Map([['DU2', 1]]));

    // A gateway that manages both accounts (an advisor login) sees both orders, but its own IB
    // order id 7 is neither of them.
    const advisor = await exporter(['DU2', 'DU1']);
    expect(ids(await advisor.list({ limit: 10 }))).toEqual(['a', 'b']);
    expect(await advisor.byIbOrderId(2, 7)).toBeUndefined();
    // The same gateway's next exporter (a rolling update) takes its orders over.
    const next = await exporter(['DU1']);
    expect((await next.byIbOrderId(2, 7))?.id).toBe('a');
    // Not synced to any gateway: every stored order.
    expect(ids(await (await exporter()).list({ limit: 10 }))).toEqual(['a', 'b']);
  });

  it('lets one of two exporters racing on one idempotency key store the order', async () => {
    const [one, two] = [await exporter(['DU1']), await exporter(['DU1'])];
    const results = await Promise.allSettled([
      one.insert(order('a', 'same-key')),
      two.insert(order('b', 'same-key', { ibOrderId: 8 })),
    ]);
    const rejected = results.filter((r) => r.status === 'rejected');
    expect(rejected).toHaveLength(1);
    expect((rejected[0] as PromiseRejectedResult).reason).toBeInstanceOf(DuplicateKeyError);
    const stored = await ledger.sql(`SELECT id FROM orders WHERE idempotency_key = 'same-key'`);
    expect(stored).toHaveLength(1);
    expect((await two.byKey('same-key'))?.id).toBe(stored[0]!.id);
  });
});
