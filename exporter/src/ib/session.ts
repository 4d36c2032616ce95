// The only module that talks to @stoqey/ib. It turns IB callbacks into normalised domain events
// and owns the socket's life: connect, a handshake deadline, keepalive probes that detect a hung
// gateway, reconnects with jittered backoff, and paced requests that are only ever sent on a
// live, handshaken connection (stoqey would otherwise replay them on the next one).
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
import { Backoff } from './backoff.js';
import { Heartbeat, graceMs } from './heartbeat.js';
import { Pacer } from './pacer.js';
import { guardSocket } from './socket-guard.js';

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
  /** The gateway must finish the API handshake this long after the attempt starts. */
  handshakeTimeoutMs: number;
  /** Zone for IB times that carry none: the gateway's local zone. */
  timeZone?: string;
  /** Randomness of the reconnect jitter; tests may pin it. */
  random?: () => number;
}

/** How long stop() lets queued cancellations go out before it closes the socket anyway. */
const STOP_DRAIN_MS = 2000;

export class IbSession implements Session {
  private api?: IBApi;
  private running = false;
  private handshake: { accounts?: string[]; nextId?: number } = {};
  private isReady = false;
  private reqId = 1000;
  private readonly backoff: Backoff;
  private attempts = 0;
  private pacer = new Pacer();
  private readonly heartbeat = new Heartbeat();
  /** Whether this connection has answered a keepalive; then the backoff starts over. */
  private stable = false;
  /** Requests handed to stoqey and not yet written to the socket (its limiter may hold some). */
  private inFlight = 0;
  private flushed: Array<() => void> = [];
  private reconnectTimer?: NodeJS.Timeout;
  private handshakeTimer?: NodeJS.Timeout;
  private keepaliveTimer?: NodeJS.Timeout;
  private graceTimer?: NodeJS.Timeout;
  private readonly pnlByReqId = new Map<number, { account: string; conId: number }>();
  private readonly pnlReqIdByKey = new Map<string, number>();
  private readonly accountByPnlReqId = new Map<number, string>();
  private summaryReqId?: number;
  private positionsSubscribed = false;

  constructor(
    private readonly options: SessionOptions,
    private readonly events: SessionEvents,
  ) {
    this.backoff = new Backoff(options.reconnectMinMs, options.reconnectMaxMs, options.random);
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
    this.stopTimers();
    const api = this.api;
    if (!api) return;
    if (this.isReady) {
      // Cancel what we subscribed to, so the gateway does not keep streaming to a dead client id.
      // Cancels are paced like everything else; what has not gone out after STOP_DRAIN_MS is
      // dropped by the gateway with the socket anyway.
      for (const reqId of this.pnlByReqId.keys()) this.send((a) => a.cancelPnLSingle(reqId));
      for (const reqId of this.accountByPnlReqId.keys()) this.send((a) => a.cancelPnL(reqId));
      const summary = this.summaryReqId;
      if (summary !== undefined) this.send((a) => a.cancelAccountSummary(summary));
      if (this.positionsSubscribed) this.send((a) => a.cancelPositions());
      let deadline: NodeJS.Timeout | undefined;
      await Promise.race([
        this.pacer.whenDrained().then(() => this.whenFlushed()),
        new Promise((resolve) => (deadline = setTimeout(resolve, STOP_DRAIN_MS))),
      ]);
      clearTimeout(deadline);
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
    this.stable = false;
    this.listen(api);
    if (!guardSocket(api, (reason) => this.events.rejected(reason))) {
      this.events.rejected('socket guard not installed: @stoqey/ib internals changed');
    }
    this.events.connecting(this.attempts++ > 0);
    // A gateway can accept TCP and never answer: a hung process, or a login (2FA) still pending.
    this.handshakeTimer = setTimeout(() => {
      this.events.timedOut('handshake');
      this.close(
        `no API handshake within ${this.options.handshakeTimeoutMs / 1000} s (gateway hung or not logged in)`,
      );
    }, this.options.handshakeTimeoutMs);
    api.connect(this.options.clientId);
  }

  reconnect(reason: string): void {
    if (this.running && this.api) this.close(reason);
  }

  /**
   * Gives up the current connection now instead of waiting for stoqey's 'disconnected': the old
   * client is detached first, so its late events are ignored, then it is closed.
   */
  private close(reason: string): void {
    const api = this.api;
    if (!api) return;
    this.teardown();
    api.disconnect();
    this.events.closed(reason, false);
    this.scheduleReconnect();
  }

  private stopTimers(): void {
    clearTimeout(this.handshakeTimer);
    clearInterval(this.keepaliveTimer);
    clearTimeout(this.graceTimer);
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
    this.stopTimers();
    this.heartbeat.reset();
    this.pacer.clear();
    this.pacer = new Pacer();
    this.inFlight = 0;
    this.messageSent();
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
    // The same client id every time: after IB's 326 (id still held by our previous session) the
    // answer is to wait and retry it, not to take another id and leave a ghost behind.
    this.reconnectTimer = setTimeout(() => this.connect(), this.backoff.next());
  }

  /** Every request goes through the pacer, and only to the connection it was made for. */
  private send(request: (api: IBApi) => unknown, urgent = false): void {
    const api = this.api;
    if (!api || !this.isReady) return;
    this.pacer.send(() => {
      if (this.api !== api || !this.isReady) return;
      this.inFlight += 1;
      // A request that decided not to go after all sent nothing.
      if (request(api) === false) this.inFlight -= 1;
    }, urgent);
  }

  /** Resolves once stoqey has written every request handed to it (each request is one message). */
  private whenFlushed(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.flushed.push(resolve));
  }

  private messageSent(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (this.inFlight > 0) return;
    const waiting = this.flushed;
    this.flushed = [];
    for (const resolve of waiting) resolve();
  }

  private keepalive(): void {
    const action = this.heartbeat.tick(performance.now());
    this.send((api) => api.reqCurrentTime(), true);
    if (action !== 'last_chance') return;
    clearTimeout(this.graceTimer);
    this.graceTimer = setTimeout(() => {
      if (!this.heartbeat.isDead()) return;
      this.events.timedOut('heartbeat');
      this.close('no answer to two keepalive probes (gateway hung)');
    }, graceMs(this.options.keepaliveMs));
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
    this.on(api, EventName.sent, () => this.messageSent());
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
    this.on(api, EventName.currentTime, () => {
      const rtt = this.heartbeat.answered(performance.now());
      if (rtt === undefined) return;
      if (!this.stable) {
        // Handshaken and answering: a stable connection, so the next failure starts from min.
        this.stable = true;
        this.backoff.reset();
      }
      this.events.heartbeat(rtt);
    });
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
    this.on(api, EventName.execDetailsEnd, (reqId: number) => this.events.executionsEnd(reqId));
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
    clearTimeout(this.handshakeTimer);
    this.keepaliveTimer = setInterval(() => this.keepalive(), this.options.keepaliveMs);
    this.events.ready(this.handshake.accounts);
  }

  requestPositions(): void {
    if (!this.isReady) return;
    this.positionsSubscribed = true;
    this.send((api) => api.reqPositions());
  }

  requestExecutions(sinceMs: number | undefined): number | undefined {
    if (!this.isReady) return undefined;
    const reqId = this.reqId++;
    const filter = sinceMs === undefined ? {} : { time: ibFilterTime(sinceMs) };
    this.send((api) => api.reqExecutions(reqId, filter));
    return reqId;
  }

  requestAccountPnl(account: string): void {
    if (!this.isReady || [...this.accountByPnlReqId.values()].includes(account)) return;
    const reqId = this.reqId++;
    this.accountByPnlReqId.set(reqId, account);
    // Queued subscriptions check they are still wanted: a 1101 may have forgotten them meanwhile.
    this.send((api) => this.accountByPnlReqId.has(reqId) && api.reqPnL(reqId, account, ''));
  }

  requestAccountSummary(): void {
    if (!this.isReady || this.summaryReqId !== undefined) return;
    const reqId = this.reqId++;
    this.summaryReqId = reqId;
    this.send(
      (api) =>
        this.summaryReqId === reqId && api.reqAccountSummary(reqId, 'All', ACCOUNT_SUMMARY_TAGS.join(',')),
    );
  }

  subscribePositionPnl(account: string, conId: number): void {
    const key = positionKey(account, conId);
    if (!this.isReady || this.pnlReqIdByKey.has(key)) return;
    const reqId = this.reqId++;
    this.pnlByReqId.set(reqId, { account, conId });
    this.pnlReqIdByKey.set(key, reqId);
    this.send((api) => this.pnlByReqId.has(reqId) && api.reqPnLSingle(reqId, account, '', conId));
  }

  cancelPositionPnl(account: string, conId: number): void {
    const key = positionKey(account, conId);
    const reqId = this.pnlReqIdByKey.get(key);
    if (reqId === undefined) return;
    this.pnlReqIdByKey.delete(key);
    this.pnlByReqId.delete(reqId);
    this.send((api) => api.cancelPnLSingle(reqId));
  }
}
