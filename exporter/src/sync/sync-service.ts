// Applies the session's domain events: first to the store (durable), then to the in-memory
// portfolio and health that /metrics reads. Also decides what to (re)request from the gateway.
//
// The store may answer synchronously (SQLite) or with a promise (PostgreSQL). Events run one at a
// time in the order IB sent them: while a write is in flight, later events wait in a queue, so
// each one decides against memory that already holds everything before it. With SQLite nothing
// ever waits and every event runs inline, as before.
import type { Logger } from 'pino';
import type { Health } from '../domain/health.js';
import { samePnl } from '../domain/portfolio.js';
import type { Portfolio } from '../domain/portfolio.js';
import { snapshotReason } from '../domain/snapshot-policy.js';
import type {
  AccountPnl,
  AccountValue,
  CommissionRecord,
  ExecutionRecord,
  PositionPnl,
  PositionRecord,
  Stream,
} from '../domain/types.js';
import { positionKey } from '../domain/types.js';
import { classifyNotice, farmStatus } from '../ib/codes.js';
import type { Session, SessionEvents } from '../ib/session.js';
import type { Awaitable, FillEvent, PersistedState, RecordResult, Store } from '../store/store.js';

/**
 * Fills are backfilled from a little before the last completed backfill was requested: IB's clock
 * and ours differ, and a commission report can trail its fill.
 */
export const BACKFILL_MARGIN_MS = 10 * 60_000;
/** Stream timestamps are persisted at most this often; memory always has the exact time. */
const STREAM_PERSIST_INTERVAL_MS = 1000;

/** Thrown after a failed write was handled, to abandon the event that needed it. */
class StoreFailure extends Error {}

type Step = () => Awaitable<void>;

const isPromise = <T>(value: Awaitable<T>): value is Promise<T> =>
  typeof (value as Promise<T> | undefined)?.then === 'function';

/** Runs `next` on a value now, or once its promise resolves. */
function after<T>(value: Awaitable<T>, next: (value: T) => Awaitable<void>): Awaitable<void> {
  return isPromise(value) ? value.then(next) : next(value);
}

export interface SyncDeps {
  store: Store;
  portfolio: Portfolio;
  health: Health;
  logger: Logger;
  now: () => number;
  /**
   * Restore each account's stored state when the gateway first names it (PostgreSQL: several
   * exporters share one database, and each reads only the accounts its gateway manages). SQLite
   * restores everything before the exporter starts.
   */
  restoreOnReady?: boolean;
}

export class SyncService implements SessionEvents {
  private session?: Session;
  /** Positions reported since reqPositions; at positionEnd the others are gone. */
  private reported?: Set<string>;
  private readonly persistedStreams = new Map<Stream, number>();
  /** Answers still owed before the connection counts as caught up (state live). */
  private awaitingPositions = false;
  private awaitingBackfill?: number;
  /** When the pending backfill was requested; saved as the watermark once it completes. */
  private backfillRequestedAt?: number;
  /** Fills and commission reports of the current socket read, not yet queued for their write. */
  private group?: FillEvent[];
  /** A queued group whose write has not started: fills arriving meanwhile join it. */
  private waitingGroup?: FillEvent[];
  /** Events waiting behind a write in flight, in IB's order. */
  private readonly queue: Array<{ step: Step; generation: number }> = [];
  private busy = false;
  /** Bumped by a failed write: the events queued behind it are dropped, the gateway resends them. */
  private generation = 0;
  /** Accounts whose stored state is in memory (restoreOnReady). */
  private readonly restored = new Set<string>();

  constructor(private readonly deps: SyncDeps) {}

  attach(session: Session): void {
    this.session = session;
  }

  connecting(retry: boolean): void {
    const { health, now } = this.deps;
    if (retry) health.reconnectAttempts += 1;
    health.transition('connecting', now());
  }

  ready(accounts: string[]): void {
    this.ordered(() => {
      const { health, logger, now } = this.deps;
      health.connected(now(), accounts);
      health.transition('handshaken', now());
      logger.info({ accounts }, 'gateway handshake complete');
      // After a failed write, ask nothing of the gateway until the database answers again: the
      // probe failing reconnects behind the session's growing backoff instead of re-syncing into
      // a database that is down.
      const probe = health.storeUp ? undefined : this.stored(() => this.deps.store.ping());
      return after(probe, () => {
        this.storeRecovered();
        return after(this.restore(accounts), () => this.requestEverything());
      });
    }, true);
  }

  /** Reads the stored state of accounts not yet in memory (restoreOnReady). */
  private restore(accounts: string[]): Awaitable<void> {
    if (!this.deps.restoreOnReady) return;
    const missing = accounts.filter((account) => !this.restored.has(account));
    if (missing.length === 0) return;
    return after(
      this.stored(() => this.deps.store.load(missing)),
      (state: PersistedState) => {
        this.deps.portfolio.seed(state);
        for (const account of missing) this.restored.add(account);
      },
    );
  }

  private storeRecovered(): void {
    const { health, logger } = this.deps;
    if (health.storeUp) return;
    health.storeUp = true;
    health.storeError = undefined;
    health.storeSchemaVersion = this.deps.store.schemaVersion();
    logger.info({ database: this.deps.store.location }, 'database reachable again: re-syncing');
  }

  gateway(info: { serverVersion: number; timeZone?: string }): void {
    this.deps.health.gateway = info;
  }

  heartbeat(rttMs: number): void {
    this.deps.health.heartbeat(this.deps.now(), rttMs);
  }

  timedOut(kind: 'handshake' | 'heartbeat'): void {
    const { health, logger } = this.deps;
    if (kind === 'handshake') health.handshakeTimeouts += 1;
    else health.heartbeatTimeouts += 1;
    logger.warn({ kind }, 'gateway did not answer in time: reconnecting');
  }

  /** Everything a fresh connection (or a 1101 "data lost") needs. */
  private requestEverything(): Awaitable<void> {
    const session = this.session;
    if (!session) return;
    this.reported = new Set();
    this.awaitingPositions = true;
    session.requestPositions();
    const backfill = this.backfill();
    for (const account of this.deps.health.accounts) session.requestAccountPnl(account);
    session.requestAccountSummary();
    for (const view of this.deps.portfolio.positions.values()) this.syncPnlSubscription(view.position);
    return backfill;
  }

  private backfill(): Awaitable<void> {
    const { store, health, now } = this.deps;
    const requestedAt = now();
    // Set before the read: the backfill is owed from now, whatever the read takes.
    this.awaitingBackfill = -1;
    return after(
      this.stored(() => store.backfillWatermark(health.accounts)),
      (watermark) => {
        this.backfillRequestedAt = requestedAt;
        this.awaitingBackfill = this.session?.requestExecutions(
          watermark === undefined ? undefined : watermark - BACKFILL_MARGIN_MS,
        );
      },
    );
  }

  /** Live once the positions snapshot and the execution backfill of this connection are in. */
  private maybeCaughtUp(): Awaitable<void> {
    if (this.awaitingPositions || this.awaitingBackfill !== undefined) return;
    const { health, logger, now } = this.deps;
    if (!health.transition('caught_up', now())) return;
    logger.info('gateway sync is live');
    return this.reconcileRoundTrips();
  }

  /**
   * Now that IB's positions and the fills are both in, a position seen for the first time learns
   * what it held before the ledger began (IB's quantity minus the stored fills).
   */
  private reconcileRoundTrips(): Awaitable<void> {
    const { store, portfolio } = this.deps;
    const positions = [...portfolio.positions.values()].map(({ position }) => ({
      account: position.account,
      conId: position.contract.conId,
      quantity: position.quantity,
    }));
    return this.write(
      () => store.reconcileRoundTrips(positions),
      (trips) => portfolio.applyRoundTrips(trips),
    );
  }

  closed(reason: string, expected: boolean): void {
    this.ordered(() => this.applyClosed(reason, expected), true);
  }

  private applyClosed(reason: string, expected: boolean): void {
    const { health, logger, now } = this.deps;
    if (expected) logger.info('disconnected from the gateway');
    else if (health.gatewayUp) logger.warn({ reason }, 'gateway disconnected');
    else logger.debug({ reason }, 'gateway connection attempt failed');
    health.disconnected(now(), expected ? undefined : reason);
    health.transition('closed', now());
    this.reported = undefined;
    this.awaitingPositions = false;
    this.awaitingBackfill = undefined;
  }

  message(): void {
    this.deps.health.messageReceived(this.deps.now());
  }

  position(incoming: PositionRecord): void {
    this.ordered(() => this.applyPosition(incoming));
  }

  private applyPosition(incoming: PositionRecord): Awaitable<void> {
    const { store, portfolio, now } = this.deps;
    const at = now();
    const position = { ...incoming, updatedAt: at };
    this.reported?.add(positionKey(position.account, position.contract.conId));
    const previous = portfolio.position(position.account, position.contract.conId);
    const unchanged =
      previous !== undefined &&
      previous.position.quantity === position.quantity &&
      previous.position.avgCost === position.avgCost &&
      sameContract(previous.position, position);
    const done = () => {
      this.syncPnlSubscription(position);
      return this.streamUpdated('positions', at);
    };
    if (unchanged) return done();
    const reason = snapshotReason(
      previous && { quantity: previous.position.quantity, lastSnapshotAt: previous.lastSnapshotAt },
      { quantity: position.quantity, pnlChanged: false },
      at,
    );
    return this.write(
      () => store.savePosition(position, reason, at),
      () => {
        portfolio.setPosition(position, reason ? at : undefined);
        if (position.quantity !== 0 || !previous?.pnl) return done();
        // A flat position has no live PnL subscription: its last readings would freeze.
        return this.write(
          () => store.savePositionPnl(position.account, position.contract.conId, undefined, undefined, at),
          () => {
            portfolio.setPositionPnl(position.account, position.contract.conId, undefined);
            return done();
          },
        );
      },
    );
  }

  private syncPnlSubscription(position: PositionRecord): void {
    const { account, contract, quantity } = position;
    if (quantity !== 0) this.session?.subscribePositionPnl(account, contract.conId);
    else this.session?.cancelPositionPnl(account, contract.conId);
  }

  positionEnd(): void {
    this.ordered(() =>
      after(this.applyPositionEnd(), () => {
        this.awaitingPositions = false;
        return this.maybeCaughtUp();
      }),
    );
  }

  private applyPositionEnd(): Awaitable<void> {
    const { store, portfolio, health, now } = this.deps;
    const reported = this.reported;
    this.reported = undefined;
    if (!reported) return;
    const accounts = new Set(health.accounts);
    const gone = [...portfolio.positions.values()]
      .map((view) => view.position)
      .filter((p) => accounts.has(p.account) && !reported.has(positionKey(p.account, p.contract.conId)))
      .map((p) => ({ account: p.account, conId: p.contract.conId }));
    if (gone.length === 0) return this.streamUpdated('positions', now());
    return this.write(
      () => store.deletePositions(gone),
      () => {
        for (const key of gone) {
          portfolio.removePosition(key.account, key.conId);
          this.session?.cancelPositionPnl(key.account, key.conId);
        }
        return this.streamUpdated('positions', now());
      },
    );
  }

  execution(execution: ExecutionRecord): void {
    this.fill({ kind: 'execution', execution });
  }

  commission(report: CommissionRecord): void {
    this.fill({ kind: 'commission', report });
  }

  executionsEnd(reqId: number): void {
    this.ordered(() =>
      after(this.streamUpdated('executions', this.deps.now()), () => {
        if (reqId !== this.awaitingBackfill) return;
        // Everything the backfill delivered is committed (the queue is in order); only now may it count.
        const requestedAt = this.backfillRequestedAt;
        const accounts = this.deps.health.accounts;
        const saved =
          requestedAt === undefined
            ? undefined
            : this.stored(() => this.deps.store.saveBackfillWatermark(accounts, requestedAt));
        return after(saved, () => {
          this.awaitingBackfill = undefined;
          return this.maybeCaughtUp();
        });
      }),
    );
  }

  /**
   * Fills and commission reports are committed as a group: the first one of a socket read opens
   * the group, and it is queued in a microtask, after everything stoqey decoded from that read and
   * before any timer or HTTP request runs. While a write is in flight (PostgreSQL), later fills
   * join the queued group until its turn comes. Memory (and so /metrics) sees a fill only after
   * its group is committed. Any other event closes the group first, so it comes after it.
   */
  private fill(event: FillEvent): void {
    if (this.group) {
      this.group.push(event);
      return;
    }
    if (this.waitingGroup) {
      this.waitingGroup.push(event);
      return;
    }
    const group: FillEvent[] = [event];
    this.group = group;
    queueMicrotask(() => {
      if (this.group === group) this.closeGroup();
    });
  }

  /** Queues the open group's write, behind what is in flight. */
  private closeGroup(): void {
    const group = this.group;
    if (!group) return;
    this.group = undefined;
    const step = () => {
      if (this.waitingGroup === group) this.waitingGroup = undefined;
      return this.writeGroup(group);
    };
    this.ordered(step);
    // Still queued: fills that arrive before its turn may join it.
    if (this.queue.at(-1)?.step === step) this.waitingGroup = group;
  }

  private writeGroup(group: FillEvent[]): Awaitable<void> {
    return this.write(
      () => this.deps.store.recordFills(group),
      (results) => {
        for (const result of results) this.applyLedger(result);
        return this.streamUpdated('executions', this.deps.now());
      },
    );
  }

  private applyLedger(result: RecordResult): void {
    const { portfolio } = this.deps;
    portfolio.applyLedger(result.ledger);
    if (result.roundTrips) portfolio.applyRoundTrips(result.roundTrips);
    for (const { account, executions } of result.executionCounts)
      portfolio.setExecutionCount(account, executions);
  }

  positionPnl(account: string, conId: number, reading: Omit<PositionPnl, 'updatedAt'>): void {
    this.ordered(() => this.applyPositionPnl(account, conId, reading));
  }

  private applyPositionPnl(
    account: string,
    conId: number,
    reading: Omit<PositionPnl, 'updatedAt'>,
  ): Awaitable<void> {
    const { store, portfolio, now } = this.deps;
    const at = now();
    this.dataFlows(reading.dailyPnl ?? reading.unrealizedPnl);
    return after(this.streamUpdated('pnl_single', at), () => {
      const view = portfolio.position(account, conId);
      if (!view || view.position.quantity === 0) return;
      const pnl: PositionPnl = { ...reading, updatedAt: at };
      if (samePnl(view.pnl, pnl)) return;
      const reason = snapshotReason(
        { quantity: view.position.quantity, lastSnapshotAt: view.lastSnapshotAt },
        { quantity: view.position.quantity, pnlChanged: true },
        at,
      );
      return this.write(
        () => store.savePositionPnl(account, conId, pnl, reason, at),
        () => portfolio.setPositionPnl(account, conId, pnl, reason ? at : undefined),
      );
    });
  }

  accountPnl(reading: Omit<AccountPnl, 'updatedAt'>): void {
    this.ordered(() => this.applyAccountPnl(reading));
  }

  private applyAccountPnl(reading: Omit<AccountPnl, 'updatedAt'>): Awaitable<void> {
    const { store, portfolio, now } = this.deps;
    const at = now();
    this.dataFlows(reading.dailyPnl ?? reading.unrealizedPnl);
    const streamed = this.streamUpdated('pnl', at);
    const previous = portfolio.accountPnl.get(reading.account);
    if (
      previous &&
      previous.dailyPnl === reading.dailyPnl &&
      previous.unrealizedPnl === reading.unrealizedPnl &&
      previous.realizedPnl === reading.realizedPnl
    ) {
      return streamed;
    }
    const pnl = { ...reading, updatedAt: at };
    return after(streamed, () =>
      this.write(
        () => store.saveAccountPnl(pnl),
        () => portfolio.setAccountPnl(pnl),
      ),
    );
  }

  accountValue(reading: Omit<AccountValue, 'updatedAt'>): void {
    this.ordered(() => this.applyAccountValue(reading));
  }

  private applyAccountValue(reading: Omit<AccountValue, 'updatedAt'>): Awaitable<void> {
    const { store, portfolio, now } = this.deps;
    const at = now();
    const streamed = this.streamUpdated('account_summary', at);
    const previous = portfolio.accountValue(reading.account, reading.tag, reading.currency);
    if (previous?.value === reading.value) return streamed;
    const value = { ...reading, updatedAt: at };
    return after(streamed, () =>
      this.write(
        () => store.saveAccountValue(value),
        () => portfolio.setAccountValue(value),
      ),
    );
  }

  /** A real PnL number after IB's 10197 means the competing session is over. */
  private dataFlows(value: number | undefined): void {
    const { health, logger } = this.deps;
    if (value === undefined || !health.competingSession) return;
    health.competingSession = false;
    logger.info('PnL data flows again: the competing session is over');
  }

  notice(code: number, message: string, reqId: number): void {
    this.ordered(() => this.applyNotice(code, message, reqId), true);
  }

  private applyNotice(code: number, message: string, reqId: number): Awaitable<void> {
    const { health, logger, now } = this.deps;
    const action = classifyNotice(code, reqId);
    health.error(code, message, action === 'error' || action === 'competing_session');
    switch (action) {
      case 'request_error':
        logger.warn({ code, reqId, message }, 'request failed');
        return;
      case 'server_lost':
        health.serverLinkLost();
        health.transition('server_lost', now());
        logger.warn({ code, message }, 'gateway lost its connection to IB');
        return;
      case 'restored_data_lost':
        health.serverLinkRestored();
        health.transition('server_restored', now());
        logger.info({ code, message }, 'IB connection restored, data lost: resubscribing');
        return this.resubscribe();
      case 'restored_data_kept':
        health.serverLinkRestored();
        health.transition('server_restored', now());
        logger.info({ code, message }, 'IB connection restored: backfilling executions');
        return after(this.backfill(), () => this.maybeCaughtUp());
      case 'farm': {
        const farm = farmStatus(code, message);
        if (farm) health.farm(farm.farm, farm.connected);
        else health.protocolError(`farm notice ${code} without a farm name`);
        logger.debug({ code, message }, 'data farm notice');
        return;
      }
      case 'competing_session':
        health.competingSession = true;
        logger.warn({ code, message }, 'competing session: the IB user is logged in elsewhere');
        return;
      case 'client_id_in_use':
        // IB closes the socket itself; usually our previous session is not released yet.
        logger.warn({ code, message }, 'client id in use: retrying the same id after the backoff delay');
        this.session?.reconnect(`${code}: ${message}`);
        return;
      case 'reconnect':
        this.session?.reconnect(`${code}: ${message}`);
        return;
      case 'decoding_error':
        // stoqey reports a message with the wrong field count as a client-side 505.
        health.protocolError(message);
        logger.warn({ code, message }, 'undecodable gateway message dropped');
        return;
      case 'informational':
        logger.debug({ code, message }, 'gateway notice');
        return;
      case 'error':
        logger.warn({ code, message }, 'gateway error');
    }
  }

  private resubscribe(): Awaitable<void> {
    this.session?.cancelSubscriptions();
    return this.requestEverything();
  }

  rejected(reason: string): void {
    this.deps.health.protocolError(reason);
    this.deps.logger.warn({ reason }, 'dropped a gateway message');
  }

  private streamUpdated(stream: Stream, at: number): Awaitable<void> {
    this.deps.health.streamUpdated(stream, at);
    const persisted = this.persistedStreams.get(stream);
    if (persisted !== undefined && at - persisted < STREAM_PERSIST_INTERVAL_MS) return;
    this.persistedStreams.set(stream, at);
    return this.stored(() => this.deps.store.saveStreamUpdate(stream, at));
  }

  /**
   * Runs a write that is not the gateway's (a Flex import) in its place among the gateway's events:
   * after everything queued before it, before anything that arrives later, and applies its result
   * in that same turn. On PostgreSQL an import and a live fill of one position then reach the
   * Portfolio in the order they were committed, never the older totals last. A failed import is
   * the caller's to report: it is not a store failure and forces no re-sync.
   */
  inOrder<T>(io: () => Awaitable<T>, apply: (result: T) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.ordered(() => {
        const done = (result: T): void => {
          apply(result);
          resolve(result);
        };
        let result: Awaitable<T>;
        try {
          result = io();
        } catch (error) {
          reject(error);
          return;
        }
        if (!isPromise(result)) return done(result);
        return result.then(done, reject);
      }, true);
    });
  }

  /**
   * Runs an event now if nothing is ahead of it, else once everything ahead has been written and
   * applied. A data event queued behind a failed write is dropped (the gateway resends it after
   * the re-sync); connection events (`always`) still run, so the state stays true.
   */
  private ordered(step: Step, always = false): void {
    this.closeGroup();
    const generation = always ? -1 : this.generation;
    if (this.busy || this.queue.length > 0) this.queue.push({ step, generation });
    else this.run(step);
  }

  private run(step: Step): void {
    let result: Awaitable<void>;
    try {
      result = step();
    } catch (error) {
      if (error instanceof StoreFailure) return;
      throw error;
    }
    if (!isPromise(result)) return;
    this.busy = true;
    result
      .catch((error: unknown) => {
        if (!(error instanceof StoreFailure)) {
          this.deps.logger.error({ err: error }, 'applying a gateway event failed');
        }
      })
      .finally(() => {
        this.busy = false;
        this.drain();
      });
  }

  private drain(): void {
    while (!this.busy && this.queue.length > 0) {
      const next = this.queue.shift()!;
      if (next.generation === -1 || next.generation === this.generation) this.run(next.step);
    }
  }

  /** A write, then what it makes true in memory: only once it is committed. */
  private write<T>(io: () => Awaitable<T>, apply: (result: T) => Awaitable<void>): Awaitable<void> {
    return after(this.stored(io), apply);
  }

  /**
   * Runs a write. If it fails (disk full, I/O error, PostgreSQL unreachable) the event is abandoned
   * before it reaches memory, and the connection is re-established: the gateway then sends
   * positions and the execution backfill again, so nothing it can resend is lost.
   */
  private stored<T>(io: () => Awaitable<T>): Awaitable<T> {
    let result: Awaitable<T>;
    try {
      result = io();
    } catch (error) {
      this.storeFailed(error);
      throw new StoreFailure('database write failed', { cause: error });
    }
    if (!isPromise(result)) return result;
    return result.catch((error: unknown) => {
      this.storeFailed(error);
      throw new StoreFailure('database write failed', { cause: error });
    });
  }

  /**
   * A failed write or commit: the store rolled its group back whole and nothing of it was
   * applied; what was queued behind it is dropped, and the gateway re-syncs.
   */
  private storeFailed(error: unknown): void {
    const { health, logger, store } = this.deps;
    this.generation += 1;
    this.group = undefined;
    this.waitingGroup = undefined;
    const message = error instanceof Error ? error.message : String(error);
    health.storeErrors += 1;
    health.storeUp = false;
    health.storeError = message;
    health.lastError = `database write failed: ${message}`;
    logger.error(
      { err: error, database: store.location },
      'database write failed: re-syncing from the gateway',
    );
    this.session?.reconnect('database write failed');
  }
}

function sameContract(a: PositionRecord, b: PositionRecord): boolean {
  const x = a.contract;
  const y = b.contract;
  return (
    x.symbol === y.symbol &&
    x.secType === y.secType &&
    x.currency === y.currency &&
    x.multiplier === y.multiplier &&
    x.localSymbol === y.localSymbol
  );
}
