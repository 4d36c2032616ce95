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
import {
  CONNECTIVITY_LOST,
  CONNECTIVITY_RESTORED_DATA_KEPT,
  CONNECTIVITY_RESTORED_DATA_LOST,
  DECODING_ERROR,
  SERVER_CONNECTIVITY_BROKEN,
  isInformational,
} from '../ib/codes.js';
import type { Session, SessionEvents } from '../ib/session.js';
import type { RecordResult, Store } from '../store/store.js';

/** Fills are backfilled from a little before the newest stored one: IB's clock and ours differ. */
export const BACKFILL_MARGIN_MS = 10 * 60_000;
/** Stream timestamps are persisted at most this often; memory always has the exact time. */
const STREAM_PERSIST_INTERVAL_MS = 1000;

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

  constructor(private readonly deps: SyncDeps) {}

  attach(session: Session): void {
    this.session = session;
  }

  ready(accounts: string[]): void {
    const { health, logger, now } = this.deps;
    health.connected(now(), accounts);
    logger.info({ accounts }, 'gateway handshake complete');
    this.requestEverything();
  }

  /** Everything a fresh connection (or a 1101 "data lost") needs. */
  private requestEverything(): void {
    const session = this.session;
    if (!session) return;
    this.reported = new Set();
    session.requestPositions();
    this.backfill();
    for (const account of this.deps.health.accounts) session.requestAccountPnl(account);
    session.requestAccountSummary();
    for (const view of this.deps.portfolio.positions.values()) this.syncPnlSubscription(view.position);
  }

  private backfill(): void {
    const last = this.deps.store.lastExecutionTime();
    this.session?.requestExecutions(last === undefined ? undefined : last - BACKFILL_MARGIN_MS);
  }

  closed(reason: string, expected: boolean): void {
    const { health, logger, now } = this.deps;
    if (expected) logger.info('disconnected from the gateway');
    else if (health.gatewayUp) logger.warn({ reason }, 'gateway disconnected');
    else logger.debug({ reason }, 'gateway connection attempt failed');
    health.disconnected(now(), expected ? undefined : reason);
    this.reported = undefined;
  }

  message(): void {
    this.deps.health.messageReceived(this.deps.now());
  }

  position(incoming: PositionRecord): void {
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
      store.savePosition(position, reason, at);
      portfolio.setPosition(position, reason ? at : undefined);
      if (position.quantity === 0 && previous?.pnl) {
        // A flat position has no live PnL subscription: its last readings would freeze.
        store.savePositionPnl(position.account, position.contract.conId, undefined, undefined, at);
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
      store.deletePositions(gone);
      for (const key of gone) {
        portfolio.removePosition(key.account, key.conId);
        this.session?.cancelPositionPnl(key.account, key.conId);
      }
    }
    this.streamUpdated('positions', now());
  }

  execution(execution: ExecutionRecord): void {
    this.applyLedger(this.deps.store.recordExecution(execution));
    this.streamUpdated('executions', this.deps.now());
  }

  executionsEnd(): void {
    this.streamUpdated('executions', this.deps.now());
  }

  commission(report: CommissionRecord): void {
    this.applyLedger(this.deps.store.recordCommission(report));
    this.streamUpdated('executions', this.deps.now());
  }

  private applyLedger(result: RecordResult): void {
    const { portfolio } = this.deps;
    portfolio.applyLedger(result.ledger);
    for (const { account, executions } of result.executionCounts)
      portfolio.setExecutionCount(account, executions);
  }

  positionPnl(account: string, conId: number, reading: Omit<PositionPnl, 'updatedAt'>): void {
    const { store, portfolio, now } = this.deps;
    const at = now();
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
    store.savePositionPnl(account, conId, pnl, reason, at);
    portfolio.setPositionPnl(account, conId, pnl, reason ? at : undefined);
  }

  accountPnl(reading: Omit<AccountPnl, 'updatedAt'>): void {
    const { store, portfolio, now } = this.deps;
    const at = now();
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
    store.saveAccountPnl(pnl);
    portfolio.setAccountPnl(pnl);
  }

  accountValue(reading: Omit<AccountValue, 'updatedAt'>): void {
    const { store, portfolio, now } = this.deps;
    const at = now();
    this.streamUpdated('account_summary', at);
    const previous = portfolio.accountValue(reading.account, reading.tag, reading.currency);
    if (previous?.value === reading.value) return;
    const value = { ...reading, updatedAt: at };
    store.saveAccountValue(value);
    portfolio.setAccountValue(value);
  }

  notice(code: number, message: string, reqId: number): void {
    const { health, logger } = this.deps;
    health.error(code, message, isInformational(code));
    // stoqey reports a message with the wrong field count as a client-side 505.
    if (code === DECODING_ERROR) health.protocolError(message);
    // Errors tied to a request (reqId ≥ 0) concern that request only, never the connection.
    if (reqId >= 0) {
      logger.warn({ code, reqId, message }, 'request failed');
      return;
    }
    switch (code) {
      case CONNECTIVITY_LOST:
      case SERVER_CONNECTIVITY_BROKEN:
        health.serverLinkLost();
        logger.warn({ code, message }, 'gateway lost its connection to IB');
        return;
      case CONNECTIVITY_RESTORED_DATA_LOST:
        health.serverLinkRestored();
        logger.info({ code, message }, 'IB connection restored, data lost: resubscribing');
        this.resubscribe();
        return;
      case CONNECTIVITY_RESTORED_DATA_KEPT:
        health.serverLinkRestored();
        logger.info({ code, message }, 'IB connection restored: backfilling executions');
        this.backfill();
        return;
      default:
        if (isInformational(code)) logger.debug({ code, message }, 'gateway notice');
        else logger.warn({ code, message }, 'gateway error');
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
      this.deps.store.saveStreamUpdate(stream, at);
      this.persistedStreams.set(stream, at);
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
