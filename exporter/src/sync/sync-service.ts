// Applies the session's domain events: first to the store (durable), then to the in-memory
// portfolio and health that /metrics reads. Also decides what to (re)request from the gateway.
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
import type { RecordResult, Store } from '../store/store.js';

/**
 * Fills are backfilled from a little before the last completed backfill was requested: IB's clock
 * and ours differ, and a commission report can trail its fill.
 */
export const BACKFILL_MARGIN_MS = 10 * 60_000;
/** Stream timestamps are persisted at most this often; memory always has the exact time. */
const STREAM_PERSIST_INTERVAL_MS = 1000;

/** Thrown after a failed SQLite write was handled, to abandon the event that needed it. */
class StoreFailure extends Error {}

export interface SyncDeps {
  store: Store;
  portfolio: Portfolio;
  health: Health;
  logger: Logger;
  now: () => number;
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
  /** Results of the open group commit, applied to memory once it is committed. */
  private batch?: Array<() => void>;

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
    this.flush();
    const { health, logger, now } = this.deps;
    health.connected(now(), accounts);
    health.transition('handshaken', now());
    logger.info({ accounts }, 'gateway handshake complete');
    this.requestEverything();
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
  private requestEverything(): void {
    const session = this.session;
    if (!session) return;
    this.reported = new Set();
    this.awaitingPositions = true;
    session.requestPositions();
    this.backfill();
    for (const account of this.deps.health.accounts) session.requestAccountPnl(account);
    session.requestAccountSummary();
    for (const view of this.deps.portfolio.positions.values()) this.syncPnlSubscription(view.position);
  }

  private backfill(): void {
    const { store, now } = this.deps;
    const watermark = store.backfillWatermark();
    this.backfillRequestedAt = now();
    this.awaitingBackfill = this.session?.requestExecutions(
      watermark === undefined ? undefined : watermark - BACKFILL_MARGIN_MS,
    );
  }

  /** Live once the positions snapshot and the execution backfill of this connection are in. */
  private maybeCaughtUp(): void {
    if (this.awaitingPositions || this.awaitingBackfill !== undefined) return;
    const { health, logger, now } = this.deps;
    if (health.transition('caught_up', now())) logger.info('gateway sync is live');
  }

  closed(reason: string, expected: boolean): void {
    this.flush();
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
    this.flush();
    this.guard(() => this.applyPosition(incoming));
  }

  private applyPosition(incoming: PositionRecord): void {
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
    if (!unchanged) {
      const reason = snapshotReason(
        previous && { quantity: previous.position.quantity, lastSnapshotAt: previous.lastSnapshotAt },
        { quantity: position.quantity, pnlChanged: false },
        at,
      );
      this.stored(() => store.savePosition(position, reason, at));
      portfolio.setPosition(position, reason ? at : undefined);
      if (position.quantity === 0 && previous?.pnl) {
        // A flat position has no live PnL subscription: its last readings would freeze.
        this.stored(() =>
          store.savePositionPnl(position.account, position.contract.conId, undefined, undefined, at),
        );
        portfolio.setPositionPnl(position.account, position.contract.conId, undefined);
      }
    }
    this.syncPnlSubscription(position);
    this.streamUpdated('positions', at);
  }

  private syncPnlSubscription(position: PositionRecord): void {
    const { account, contract, quantity } = position;
    if (quantity !== 0) this.session?.subscribePositionPnl(account, contract.conId);
    else this.session?.cancelPositionPnl(account, contract.conId);
  }

  positionEnd(): void {
    this.flush();
    this.guard(() => this.applyPositionEnd());
    this.awaitingPositions = false;
    this.maybeCaughtUp();
  }

  private applyPositionEnd(): void {
    const { store, portfolio, health, now } = this.deps;
    const reported = this.reported;
    this.reported = undefined;
    if (!reported) return;
    const accounts = new Set(health.accounts);
    const gone = [...portfolio.positions.values()]
      .map((view) => view.position)
      .filter((p) => accounts.has(p.account) && !reported.has(positionKey(p.account, p.contract.conId)))
      .map((p) => ({ account: p.account, conId: p.contract.conId }));
    if (gone.length > 0) {
      this.stored(() => store.deletePositions(gone));
      for (const key of gone) {
        portfolio.removePosition(key.account, key.conId);
        this.session?.cancelPositionPnl(key.account, key.conId);
      }
    }
    this.streamUpdated('positions', now());
  }

  execution(execution: ExecutionRecord): void {
    this.guard(() => {
      this.batched(
        () => this.deps.store.recordExecution(execution),
        (result) => this.applyLedger(result),
      );
      this.streamUpdated('executions', this.deps.now());
    });
  }

  executionsEnd(reqId: number): void {
    this.flush();
    this.guard(() => this.streamUpdated('executions', this.deps.now()));
    if (reqId !== this.awaitingBackfill) return;
    this.awaitingBackfill = undefined;
    // Everything the backfill delivered is committed (flush above); only now may it count.
    const requestedAt = this.backfillRequestedAt;
    if (requestedAt !== undefined) {
      this.guard(() => this.stored(() => this.deps.store.saveBackfillWatermark(requestedAt)));
    }
    this.maybeCaughtUp();
  }

  commission(report: CommissionRecord): void {
    this.guard(() => {
      this.batched(
        () => this.deps.store.recordCommission(report),
        (result) => this.applyLedger(result),
      );
      this.streamUpdated('executions', this.deps.now());
    });
  }

  /**
   * Fills and commission reports are written at once but committed as a group: the first one of a
   * socket read opens the group, and it is committed in a microtask, after everything stoqey
   * decoded from that read and before any timer or HTTP request runs. Memory (and so /metrics)
   * sees a fill only after its group is committed. Any other event commits the group first, so
   * it never reads memory that lags behind the database.
   */
  private batched<T>(write: () => T, apply: (result: T) => void): void {
    if (!this.batch) {
      this.stored(() => this.deps.store.begin());
      this.batch = [];
      queueMicrotask(() => this.flush());
    }
    const result = this.stored(write);
    this.batch?.push(() => apply(result));
  }

  /** Commits the open group, then applies it to memory. */
  private flush(): void {
    const batch = this.batch;
    if (!batch) return;
    this.batch = undefined;
    try {
      this.deps.store.commit();
    } catch (error) {
      this.storeFailed(error);
      return;
    }
    for (const apply of batch) apply();
  }

  private applyLedger(result: RecordResult): void {
    const { portfolio } = this.deps;
    portfolio.applyLedger(result.ledger);
    for (const { account, executions } of result.executionCounts)
      portfolio.setExecutionCount(account, executions);
  }

  positionPnl(account: string, conId: number, reading: Omit<PositionPnl, 'updatedAt'>): void {
    this.flush();
    this.guard(() => this.applyPositionPnl(account, conId, reading));
  }

  private applyPositionPnl(account: string, conId: number, reading: Omit<PositionPnl, 'updatedAt'>): void {
    const { store, portfolio, now } = this.deps;
    const at = now();
    this.dataFlows(reading.dailyPnl ?? reading.unrealizedPnl);
    this.streamUpdated('pnl_single', at);
    const view = portfolio.position(account, conId);
    if (!view || view.position.quantity === 0) return;
    const pnl: PositionPnl = { ...reading, updatedAt: at };
    if (samePnl(view.pnl, pnl)) return;
    const reason = snapshotReason(
      { quantity: view.position.quantity, lastSnapshotAt: view.lastSnapshotAt },
      { quantity: view.position.quantity, pnlChanged: true },
      at,
    );
    this.stored(() => store.savePositionPnl(account, conId, pnl, reason, at));
    portfolio.setPositionPnl(account, conId, pnl, reason ? at : undefined);
  }

  accountPnl(reading: Omit<AccountPnl, 'updatedAt'>): void {
    this.flush();
    this.guard(() => this.applyAccountPnl(reading));
  }

  private applyAccountPnl(reading: Omit<AccountPnl, 'updatedAt'>): void {
    const { store, portfolio, now } = this.deps;
    const at = now();
    this.dataFlows(reading.dailyPnl ?? reading.unrealizedPnl);
    this.streamUpdated('pnl', at);
    const previous = portfolio.accountPnl.get(reading.account);
    if (
      previous &&
      previous.dailyPnl === reading.dailyPnl &&
      previous.unrealizedPnl === reading.unrealizedPnl &&
      previous.realizedPnl === reading.realizedPnl
    ) {
      return;
    }
    const pnl = { ...reading, updatedAt: at };
    this.stored(() => store.saveAccountPnl(pnl));
    portfolio.setAccountPnl(pnl);
  }

  accountValue(reading: Omit<AccountValue, 'updatedAt'>): void {
    this.flush();
    this.guard(() => this.applyAccountValue(reading));
  }

  private applyAccountValue(reading: Omit<AccountValue, 'updatedAt'>): void {
    const { store, portfolio, now } = this.deps;
    const at = now();
    this.streamUpdated('account_summary', at);
    const previous = portfolio.accountValue(reading.account, reading.tag, reading.currency);
    if (previous?.value === reading.value) return;
    const value = { ...reading, updatedAt: at };
    this.stored(() => store.saveAccountValue(value));
    portfolio.setAccountValue(value);
  }

  /** A real PnL number after IB's 10197 means the competing session is over. */
  private dataFlows(value: number | undefined): void {
    const { health, logger } = this.deps;
    if (value === undefined || !health.competingSession) return;
    health.competingSession = false;
    logger.info('PnL data flows again: the competing session is over');
  }

  notice(code: number, message: string, reqId: number): void {
    this.flush();
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
        this.resubscribe();
        return;
      case 'restored_data_kept':
        health.serverLinkRestored();
        health.transition('server_restored', now());
        logger.info({ code, message }, 'IB connection restored: backfilling executions');
        this.backfill();
        this.maybeCaughtUp();
        return;
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

  private resubscribe(): void {
    this.session?.forgetSubscriptions();
    this.requestEverything();
  }

  rejected(reason: string): void {
    this.deps.health.protocolError(reason);
    this.deps.logger.warn({ reason }, 'dropped a gateway message');
  }

  private streamUpdated(stream: Stream, at: number): void {
    this.deps.health.streamUpdated(stream, at);
    const persisted = this.persistedStreams.get(stream);
    if (persisted === undefined || at - persisted >= STREAM_PERSIST_INTERVAL_MS) {
      this.stored(() => this.deps.store.saveStreamUpdate(stream, at));
      this.persistedStreams.set(stream, at);
    }
  }

  /**
   * Runs a SQLite write. If it fails (disk full, I/O error) the event is abandoned before it
   * reaches memory, and the connection is re-established: the gateway then sends positions and
   * the execution backfill again, so nothing it can resend is lost.
   */
  private stored<T>(write: () => T): T {
    try {
      return write();
    } catch (error) {
      this.storeFailed(error);
      throw new StoreFailure('database write failed', { cause: error });
    }
  }

  /** A failed write or commit: the open group is rolled back whole and nothing of it applied. */
  private storeFailed(error: unknown): void {
    const { health, logger, store } = this.deps;
    this.batch = undefined;
    try {
      store.rollback();
    } catch {
      // The database may be gone altogether; the reconnect below is what recovers.
    }
    health.storeErrors += 1;
    health.lastError = `database write failed: ${error instanceof Error ? error.message : String(error)}`;
    logger.error({ err: error }, 'database write failed: re-syncing from the gateway');
    this.session?.reconnect('database write failed');
  }

  /** Ends an event abandoned by a failed write; anything else is the session's to report. */
  private guard(apply: () => void): void {
    try {
      apply();
    } catch (error) {
      if (!(error instanceof StoreFailure)) throw error;
    }
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
