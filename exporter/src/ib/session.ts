// The sync connection: turns IB callbacks into normalised domain events and keeps track of the
// subscriptions it made. The socket's life (connect, a handshake deadline, keepalive probes that
// detect a hung gateway, reconnects with jittered backoff, paced requests only ever sent on a
// live, handshaken connection) is connection.ts's.
import { EventName } from '@stoqey/ib';
import type { CommissionReport, Contract, Execution, IBApi } from '@stoqey/ib';
import type {
  AccountPnl,
  AccountValue,
  CommissionRecord,
  ExecutionRecord,
  PositionPnl,
  PositionRecord,
} from '../domain/types.js';
import { ACCOUNT_SUMMARY_TAGS, positionKey } from '../domain/types.js';
import {
  ibDouble,
  ibFilterTime,
  toCommissionRecord,
  toContractInfo,
  toExecutionRecord,
  connectionTimeZone,
} from './normalize.js';
import { IbConnection } from './connection.js';
import type { Listen } from './connection.js';

export interface SessionEvents {
  /** A TCP connection attempt starts; `retry` for every attempt after the first. */
  connecting(retry: boolean): void;
  /** The API handshake completed (nextValidId and managedAccounts both arrived). */
  ready(accounts: string[]): void;
  /** A keepalive probe was answered after `rttMs`. */
  heartbeat(rttMs: number): void;
  /** The connection was given up: no handshake in time, or two keepalive probes unanswered. */
  timedOut(kind: 'handshake' | 'heartbeat'): void;
  /** The socket closed, or a connection attempt failed; `expected` when stop() closed it. */
  closed(reason: string, expected: boolean): void;
  /** Any message arrived from the gateway. Called for every message: keep it cheap. */
  message(): void;
  position(position: PositionRecord): void;
  positionEnd(): void;
  execution(execution: ExecutionRecord): void;
  /** The end of a reqExecutions answer; `reqId` is what requestExecutions returned. */
  executionsEnd(reqId: number): void;
  commission(report: CommissionRecord): void;
  positionPnl(account: string, conId: number, pnl: Omit<PositionPnl, 'updatedAt'>): void;
  accountPnl(pnl: Omit<AccountPnl, 'updatedAt'>): void;
  accountValue(value: Omit<AccountValue, 'updatedAt'>): void;
  /** An IB error or notice: reqId -1 for connection-level notices. */
  notice(code: number, message: string, reqId: number): void;
  /** A message that could not be turned into a domain record; it was dropped. */
  rejected(reason: string): void;
  /** The version handshake: the API server version and the zone of the gateway's connection time. */
  gateway?(info: { serverVersion: number; timeZone?: string }): void;
}

export interface Session {
  start(): void;
  stop(): Promise<void>;
  readonly ready: boolean;
  /** Closes the connection (if any) and reconnects after the backoff delay. */
  reconnect(reason: string): void;
  requestPositions(): void;
  /** Backfill: every execution at or after `sinceMs` (all of today's when undefined); its reqId. */
  requestExecutions(sinceMs: number | undefined): number | undefined;
  requestAccountPnl(account: string): void;
  requestAccountSummary(): void;
  subscribePositionPnl(account: string, conId: number): void;
  cancelPositionPnl(account: string, conId: number): void;
  /**
   * Before re-requesting after IB's 1101 ("data lost"): cancels every subscription that went out
   * and forgets them all. A gateway may keep them alive across the outage, and IB answers a third
   * open account summary with error 322.
   */
  cancelSubscriptions(): void;
}

export interface SessionOptions {
  host: string;
  port: number;
  clientId: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  keepaliveMs: number;
  /** The gateway must finish the API handshake this long after the attempt starts. */
  handshakeTimeoutMs: number;
  /** Zone for IB times that carry none: the gateway's local zone. */
  timeZone?: string;
  /** Randomness of the reconnect jitter; tests may pin it. */
  random?: () => number;
}

export class IbSession implements Session {
  private readonly connection: IbConnection;
  private reqId = 1000;
  private readonly pnlByReqId = new Map<number, { account: string; conId: number }>();
  private readonly pnlReqIdByKey = new Map<string, number>();
  private readonly accountByPnlReqId = new Map<number, string>();
  private summaryReqId?: number;
  private positionsSubscribed = false;
  /** Subscriptions whose request went out on this connection: only these can be cancelled. */
  private readonly sent = new Set<number>();

  constructor(
    private readonly options: SessionOptions,
    private readonly events: SessionEvents,
  ) {
    this.connection = new IbConnection(
      { ...options, name: 'gateway' },
      {
        listen: (on) => this.listen(on),
        connecting: (retry) => events.connecting(retry),
        ready: (accounts) => events.ready(accounts),
        heartbeat: (rttMs) => events.heartbeat(rttMs),
        timedOut: (kind) => events.timedOut(kind),
        // Subscriptions belong to the connection that made them.
        detached: () => this.forgetSubscriptions(),
        closed: (reason, expected) => events.closed(reason, expected),
        problem: (message) => events.rejected(message),
      },
    );
  }

  get ready(): boolean {
    return this.connection.ready;
  }

  start(): void {
    this.connection.start();
  }

  stop(): Promise<void> {
    // Cancel what we subscribed to, so the gateway does not keep streaming to a dead client id.
    return this.connection.stop('exporter stopping', () => this.cancelSubscriptions());
  }

  cancelSubscriptions(): void {
    const sent = (reqId: number) => this.sent.has(reqId);
    for (const reqId of [...this.pnlByReqId.keys()].filter(sent)) this.send((a) => a.cancelPnLSingle(reqId));
    for (const reqId of [...this.accountByPnlReqId.keys()].filter(sent)) this.send((a) => a.cancelPnL(reqId));
    const summary = this.summaryReqId;
    if (summary !== undefined && sent(summary)) this.send((a) => a.cancelAccountSummary(summary));
    if (this.positionsSubscribed) this.send((a) => a.cancelPositions());
    // Requests still queued check these maps when their turn comes, and so are dropped.
    this.forgetSubscriptions();
  }

  reconnect(reason: string): void {
    this.connection.reconnect(reason);
  }

  /** The connection's subscriptions are gone with it: forget them without cancelling. */
  private forgetSubscriptions(): void {
    this.sent.clear();
    this.pnlByReqId.clear();
    this.pnlReqIdByKey.clear();
    this.accountByPnlReqId.clear();
    this.summaryReqId = undefined;
    this.positionsSubscribed = false;
  }

  private send(request: (api: IBApi) => unknown): void {
    this.connection.send(request);
  }

  /** Sends a subscription when its turn comes if `wanted()` still holds, and remembers it went out. */
  private subscribe(reqId: number, wanted: () => boolean, request: (api: IBApi) => void): void {
    this.send((api) => {
      if (!wanted()) return false;
      this.sent.add(reqId);
      request(api);
      return true;
    });
  }

  private listen(on: Listen): void {
    on(EventName.received, () => this.events.message());
    on(EventName.server, (serverVersion: number, connectionTime: string) => {
      this.events.gateway?.({ serverVersion, timeZone: connectionTimeZone(connectionTime) });
    });
    on(EventName.info, (message: string, code: number) => this.events.notice(code, message, -1));
    on(EventName.error, (error: Error, code: number, reqId: number) => {
      this.events.notice(code ?? -1, error?.message ?? String(error), reqId ?? -1);
    });
    on(EventName.position, (account: string, contract: Contract, pos: number, avgCost?: number) => {
      const info = toContractInfo(contract);
      const quantity = ibDouble(pos);
      if (!info || quantity === undefined || !account) {
        this.events.rejected(
          `position without conId, symbol, account or quantity (${String(contract?.conId)})`,
        );
        return;
      }
      this.events.position({ account, contract: info, quantity, avgCost: ibDouble(avgCost), updatedAt: 0 });
    });
    on(EventName.positionEnd, () => this.events.positionEnd());
    on(EventName.execDetails, (_reqId: number, contract: Contract, execution: Execution) => {
      const record = toExecutionRecord(undefined, contract, execution, this.options.timeZone);
      if (record.ok) this.events.execution(record.value);
      else this.events.rejected(record.reason);
    });
    on(EventName.execDetailsEnd, (reqId: number) => this.events.executionsEnd(reqId));
    on(EventName.commissionReport, (report: CommissionReport) => {
      const record = toCommissionRecord(report);
      if (record.ok) this.events.commission(record.value);
      else this.events.rejected(record.reason);
    });
    on(
      EventName.pnlSingle,
      (
        reqId: number,
        _pos: number,
        daily: number,
        unrealized?: number,
        realized?: number,
        value?: number,
      ) => {
        // Updates can arrive for a reqId we just cancelled: without a mapping there is no position.
        const target = this.pnlByReqId.get(reqId);
        if (!target) return;
        this.events.positionPnl(target.account, target.conId, {
          dailyPnl: ibDouble(daily),
          unrealizedPnl: ibDouble(unrealized),
          realizedPnl: ibDouble(realized),
          marketValue: ibDouble(value),
        });
      },
    );
    on(EventName.pnl, (reqId: number, daily: number, unrealized?: number, realized?: number) => {
      const account = this.accountByPnlReqId.get(reqId);
      if (!account) return;
      this.events.accountPnl({
        account,
        dailyPnl: ibDouble(daily),
        unrealizedPnl: ibDouble(unrealized),
        realizedPnl: ibDouble(realized),
      });
    });
    on(
      EventName.accountSummary,
      (reqId: number, account: string, tag: string, value: string, currency: string) => {
        if (reqId !== this.summaryReqId || !account || !tag) return;
        const number = ibDouble(Number.parseFloat(value));
        if (number === undefined) return;
        this.events.accountValue({ account, tag, currency: currency || 'BASE', value: number });
      },
    );
  }

  requestPositions(): void {
    if (!this.ready) return;
    this.send((api) => {
      this.positionsSubscribed = true;
      api.reqPositions();
    });
  }

  requestExecutions(sinceMs: number | undefined): number | undefined {
    if (!this.ready) return undefined;
    const reqId = this.reqId++;
    const filter = sinceMs === undefined ? {} : { time: ibFilterTime(sinceMs) };
    this.send((api) => api.reqExecutions(reqId, filter));
    return reqId;
  }

  requestAccountPnl(account: string): void {
    if (!this.ready || [...this.accountByPnlReqId.values()].includes(account)) return;
    const reqId = this.reqId++;
    this.accountByPnlReqId.set(reqId, account);
    // Queued subscriptions check they are still wanted: a 1101 may have forgotten them meanwhile.
    this.subscribe(
      reqId,
      () => this.accountByPnlReqId.has(reqId),
      (api) => api.reqPnL(reqId, account, ''),
    );
  }

  requestAccountSummary(): void {
    if (!this.ready || this.summaryReqId !== undefined) return;
    const reqId = this.reqId++;
    this.summaryReqId = reqId;
    this.subscribe(
      reqId,
      () => this.summaryReqId === reqId,
      (api) => api.reqAccountSummary(reqId, 'All', ACCOUNT_SUMMARY_TAGS.join(',')),
    );
  }

  subscribePositionPnl(account: string, conId: number): void {
    const key = positionKey(account, conId);
    if (!this.ready || this.pnlReqIdByKey.has(key)) return;
    const reqId = this.reqId++;
    this.pnlByReqId.set(reqId, { account, conId });
    this.pnlReqIdByKey.set(key, reqId);
    this.subscribe(
      reqId,
      () => this.pnlByReqId.has(reqId),
      (api) => api.reqPnLSingle(reqId, account, '', conId),
    );
  }

  cancelPositionPnl(account: string, conId: number): void {
    const key = positionKey(account, conId);
    const reqId = this.pnlReqIdByKey.get(key);
    if (reqId === undefined) return;
    this.pnlReqIdByKey.delete(key);
    this.pnlByReqId.delete(reqId);
    // Not sent yet: its queued request sees it is no longer wanted, and there is nothing to cancel.
    if (this.sent.delete(reqId)) this.send((api) => api.cancelPnLSingle(reqId));
  }
}
