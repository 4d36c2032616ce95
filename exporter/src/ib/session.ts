// The only module that talks to @stoqey/ib. It turns IB callbacks into normalised domain events
// and owns the socket's life: connect, handshake, a basic reconnect with backoff, and requests
// that are only ever sent on a live, handshaken connection.
import { EventName, IBApi } from '@stoqey/ib';
import type { CommissionReport, Contract, Execution } from '@stoqey/ib';
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
} from './normalize.js';
import { guardSocket } from './socket-guard.js';

export interface SessionEvents {
  /** The API handshake completed (nextValidId and managedAccounts both arrived). */
  ready(accounts: string[]): void;
  /** The socket closed, or a connection attempt failed; `expected` when stop() closed it. */
  closed(reason: string, expected: boolean): void;
  /** Any message arrived from the gateway. Called for every message: keep it cheap. */
  message(): void;
  position(position: PositionRecord): void;
  positionEnd(): void;
  execution(execution: ExecutionRecord): void;
  executionsEnd(): void;
  commission(report: CommissionRecord): void;
  positionPnl(account: string, conId: number, pnl: Omit<PositionPnl, 'updatedAt'>): void;
  accountPnl(pnl: Omit<AccountPnl, 'updatedAt'>): void;
  accountValue(value: Omit<AccountValue, 'updatedAt'>): void;
  /** An IB error or notice: reqId -1 for connection-level notices. */
  notice(code: number, message: string, reqId: number): void;
  /** A message that could not be turned into a domain record; it was dropped. */
  rejected(reason: string): void;
}

export interface Session {
  start(): void;
  stop(): Promise<void>;
  readonly ready: boolean;
  requestPositions(): void;
  /** Backfill: every execution at or after `sinceMs` (all of today's when undefined). */
  requestExecutions(sinceMs: number | undefined): void;
  requestAccountPnl(account: string): void;
  requestAccountSummary(): void;
  subscribePositionPnl(account: string, conId: number): void;
  cancelPositionPnl(account: string, conId: number): void;
  /** After IB's 1101 the gateway has dropped every subscription: forget them without cancelling. */
  forgetSubscriptions(): void;
}

export interface SessionOptions {
  host: string;
  port: number;
  clientId: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  keepaliveMs: number;
  /** Zone for IB times that carry none: the gateway's local zone. */
  timeZone?: string;
}

export class IbSession implements Session {
  private api?: IBApi;
  private running = false;
  private handshake: { accounts?: string[]; nextId?: number } = {};
  private isReady = false;
  private reqId = 1000;
  private reconnectDelayMs: number;
  private reconnectTimer?: NodeJS.Timeout;
  private keepaliveTimer?: NodeJS.Timeout;
  private readonly pnlByReqId = new Map<number, { account: string; conId: number }>();
  private readonly pnlReqIdByKey = new Map<string, number>();
  private readonly accountByPnlReqId = new Map<number, string>();
  private summaryReqId?: number;
  private positionsSubscribed = false;

  constructor(
    private readonly options: SessionOptions,
    private readonly events: SessionEvents,
  ) {
    this.reconnectDelayMs = options.reconnectMinMs;
  }

  get ready(): boolean {
    return this.isReady;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.connect();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.keepaliveTimer);
    const api = this.api;
    if (!api) return;
    if (this.isReady) {
      // Cancel what we subscribed to, so the gateway does not keep streaming to a dead client id.
      for (const reqId of this.pnlByReqId.keys()) api.cancelPnLSingle(reqId);
      for (const reqId of this.accountByPnlReqId.keys()) api.cancelPnL(reqId);
      if (this.summaryReqId !== undefined) api.cancelAccountSummary(this.summaryReqId);
      if (this.positionsSubscribed) api.cancelPositions();
    }
    const closed = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      api.once(EventName.disconnected, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    api.disconnect();
    await closed;
    this.teardown();
  }

  private connect(): void {
    this.teardown();
    const api = new IBApi({ host: this.options.host, port: this.options.port });
    this.api = api;
    this.handshake = {};
    this.listen(api);
    if (!guardSocket(api, (reason) => this.events.rejected(reason))) {
      this.events.rejected('socket guard not installed: @stoqey/ib internals changed');
    }
    api.connect(this.options.clientId);
  }

  forgetSubscriptions(): void {
    this.pnlByReqId.clear();
    this.pnlReqIdByKey.clear();
    this.accountByPnlReqId.clear();
    this.summaryReqId = undefined;
    this.positionsSubscribed = false;
  }

  /** Drops the old client: a fresh IBApi per connection means no stale request is ever replayed. */
  private teardown(): void {
    this.isReady = false;
    this.forgetSubscriptions();
    clearInterval(this.keepaliveTimer);
    if (this.api) {
      this.api.removeAllListeners();
      // stoqey emits 'error' for late socket errors; an EventEmitter without a listener would throw.
      this.api.on(EventName.error, () => undefined);
      this.api = undefined;
    }
  }

  private scheduleReconnect(): void {
    if (!this.running) return;
    clearTimeout(this.reconnectTimer);
    const delay = this.reconnectDelayMs;
    this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, this.options.reconnectMaxMs);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  /** Registers a listener that can never throw into stoqey's decoder loop. */
  private on(api: IBApi, event: EventName, handler: (...args: never[]) => void): void {
    // IBApi's typed overloads cannot take a computed event name; the emitter itself can.
    (api as unknown as NodeJS.EventEmitter).on(event, (...args: unknown[]) => {
      if (this.api !== api) return;
      try {
        (handler as (...a: unknown[]) => void)(...args);
      } catch (error) {
        this.events.rejected(
          `${event} handler failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    });
  }

  private listen(api: IBApi): void {
    this.on(api, EventName.received, () => this.events.message());
    this.on(api, EventName.managedAccounts, (list: string) => {
      // "DU1," would give an empty account otherwise (stoqey pitfall §7.5).
      this.handshake.accounts = String(list ?? '')
        .split(',')
        .map((a) => a.trim())
        .filter((a) => a.length > 0);
      this.maybeReady();
    });
    this.on(api, EventName.nextValidId, (orderId: number) => {
      this.handshake.nextId = orderId;
      this.maybeReady();
    });
    this.on(api, EventName.disconnected, () => {
      const wasReady = this.isReady;
      this.teardown();
      if (!this.running) {
        this.events.closed('exporter stopping', true);
        return;
      }
      this.events.closed(wasReady ? 'gateway connection closed' : 'gateway connection failed', false);
      this.scheduleReconnect();
    });
    this.on(api, EventName.info, (message: string, code: number) => this.events.notice(code, message, -1));
    this.on(api, EventName.error, (error: Error, code: number, reqId: number) => {
      this.events.notice(code ?? -1, error?.message ?? String(error), reqId ?? -1);
    });
    this.on(api, EventName.currentTime, () => undefined);
    this.on(api, EventName.position, (account: string, contract: Contract, pos: number, avgCost?: number) => {
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
    this.on(api, EventName.positionEnd, () => this.events.positionEnd());
    this.on(api, EventName.execDetails, (_reqId: number, contract: Contract, execution: Execution) => {
      const record = toExecutionRecord(undefined, contract, execution, this.options.timeZone);
      if (record.ok) this.events.execution(record.value);
      else this.events.rejected(record.reason);
    });
    this.on(api, EventName.execDetailsEnd, () => this.events.executionsEnd());
    this.on(api, EventName.commissionReport, (report: CommissionReport) => {
      const record = toCommissionRecord(report);
      if (record.ok) this.events.commission(record.value);
      else this.events.rejected(record.reason);
    });
    this.on(
      api,
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
    this.on(api, EventName.pnl, (reqId: number, daily: number, unrealized?: number, realized?: number) => {
      const account = this.accountByPnlReqId.get(reqId);
      if (!account) return;
      this.events.accountPnl({
        account,
        dailyPnl: ibDouble(daily),
        unrealizedPnl: ibDouble(unrealized),
        realizedPnl: ibDouble(realized),
      });
    });
    this.on(
      api,
      EventName.accountSummary,
      (reqId: number, account: string, tag: string, value: string, currency: string) => {
        if (reqId !== this.summaryReqId || !account || !tag) return;
        const number = ibDouble(Number.parseFloat(value));
        if (number === undefined) return;
        this.events.accountValue({ account, tag, currency: currency || 'BASE', value: number });
      },
    );
  }

  private maybeReady(): void {
    if (this.isReady || !this.handshake.accounts || this.handshake.nextId === undefined) return;
    this.isReady = true;
    this.reconnectDelayMs = this.options.reconnectMinMs;
    this.keepaliveTimer = setInterval(() => this.api?.reqCurrentTime(), this.options.keepaliveMs);
    this.keepaliveTimer.unref();
    this.events.ready(this.handshake.accounts);
  }

  /** The live client, or nothing: requests made while down would be queued and replayed later. */
  private live(): IBApi | undefined {
    return this.isReady ? this.api : undefined;
  }

  requestPositions(): void {
    const api = this.live();
    if (!api) return;
    this.positionsSubscribed = true;
    api.reqPositions();
  }

  requestExecutions(sinceMs: number | undefined): void {
    this.live()?.reqExecutions(this.reqId++, sinceMs === undefined ? {} : { time: ibFilterTime(sinceMs) });
  }

  requestAccountPnl(account: string): void {
    const api = this.live();
    if (!api || [...this.accountByPnlReqId.values()].includes(account)) return;
    const reqId = this.reqId++;
    this.accountByPnlReqId.set(reqId, account);
    api.reqPnL(reqId, account, '');
  }

  requestAccountSummary(): void {
    const api = this.live();
    if (!api || this.summaryReqId !== undefined) return;
    this.summaryReqId = this.reqId++;
    api.reqAccountSummary(this.summaryReqId, 'All', ACCOUNT_SUMMARY_TAGS.join(','));
  }

  subscribePositionPnl(account: string, conId: number): void {
    const api = this.live();
    const key = positionKey(account, conId);
    if (!api || this.pnlReqIdByKey.has(key)) return;
    const reqId = this.reqId++;
    this.pnlByReqId.set(reqId, { account, conId });
    this.pnlReqIdByKey.set(key, reqId);
    api.reqPnLSingle(reqId, account, '', conId);
  }

  cancelPositionPnl(account: string, conId: number): void {
    const key = positionKey(account, conId);
    const reqId = this.pnlReqIdByKey.get(key);
    if (reqId === undefined) return;
    this.pnlReqIdByKey.delete(key);
    this.pnlByReqId.delete(reqId);
    this.live()?.cancelPnLSingle(reqId);
  }
}
