// The order connection: a second @stoqey/ib client on IBKR_ORDER_CLIENT_ID, separate from the
// sync connection so order traffic never competes with (or is replayed into) the sync session.
// Same rules as session.ts: a fresh IBApi per connection, requests only on a live, handshaken
// connection (stoqey would queue them and replay them on the next session: an order placed twice).
import { EventName, IBApi, OrderAction, OrderType } from '@stoqey/ib';
import type { CommissionReport, Contract, ContractDetails, Execution, Order, OrderState } from '@stoqey/ib';
import type { CommissionRecord, ContractInfo, ExecutionRecord } from '../domain/types.js';
import {
  CONNECTIVITY_LOST,
  CONNECTIVITY_RESTORED_DATA_KEPT,
  CONNECTIVITY_RESTORED_DATA_LOST,
  SERVER_CONNECTIVITY_BROKEN,
} from './codes.js';
import { ibDouble, ibInt, toCommissionRecord, toContractInfo, toExecutionRecord } from './normalize.js';
import { guardSocket } from './socket-guard.js';

/** IB's answer to reqContractDetails for a contract it does not know (bound to the reqId). */
export const NO_SECURITY_DEFINITION = 200;

/** What to look up; empty fields are left to IB. */
export interface ContractQuery {
  symbol: string;
  secType: 'STK' | 'OPT' | 'FUT';
  exchange: string;
  currency: string;
  lastTradeDateOrContractMonth?: string;
  strike?: number;
  right?: 'C' | 'P';
  multiplier?: number;
}

export interface ContractMatch extends ContractInfo {
  primaryExchange?: string;
}

export interface OrderTicket {
  conId: number;
  exchange: string;
  action: 'BUY' | 'SELL';
  quantity: number;
  orderType: 'MKT' | 'LMT';
  limitPrice?: number;
  tif: string;
  account: string;
  outsideRth: boolean;
  /** Shown in TWS and echoed in the order's executions: our order id. */
  orderRef: string;
}

export interface OrderStatusUpdate {
  orderId: number;
  status: string;
  filled?: number;
  remaining?: number;
  avgFillPrice?: number;
  permId?: number;
  lastFillPrice?: number;
}

export interface OpenOrderUpdate {
  orderId: number;
  status: string;
  permId?: number;
  account?: string;
}

export interface OrderSessionEvents {
  ready(accounts: string[]): void;
  closed(reason: string): void;
  openOrder(update: OpenOrderUpdate): void;
  orderStatus(update: OrderStatusUpdate): void;
  /** An IB error bound to one of our order ids (rejections, warnings, cancel confirmations). */
  orderError(orderId: number, code: number, message: string): void;
  /** A fill of an order placed on this client id. */
  execution(execution: ExecutionRecord): void;
  commission(report: CommissionRecord): void;
  /** Anything else worth a log line. */
  notice(code: number, message: string): void;
}

/** What the order service needs from the order connection (a seam for unit tests). */
export interface OrderGateway {
  readonly clientId: number;
  /** Handshake done and the gateway connected to IB's servers. */
  readonly live: boolean;
  readonly accounts: readonly string[];
  resolveContract(query: ContractQuery, timeoutMs: number): Promise<ContractMatch[]>;
  /** Takes the next order id (the gateway's nextValidId counter); throws when not live. */
  reserveOrderId(): number;
  /** Sends placeOrder; throws when not live. */
  placeOrder(orderId: number, ticket: OrderTicket): void;
  cancelOrder(orderId: number): void;
}

export class GatewayNotLiveError extends Error {
  constructor() {
    super('the order connection to the gateway is not live');
    this.name = 'GatewayNotLiveError';
  }
}

export class LookupTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`the gateway did not answer the contract lookup within ${timeoutMs} ms`);
    this.name = 'LookupTimeoutError';
  }
}

export interface OrderSessionOptions {
  host: string;
  port: number;
  clientId: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** A gateway that accepts TCP but never finishes the handshake is dropped after this. */
  handshakeTimeoutMs: number;
  timeZone?: string;
}

interface Lookup {
  matches: ContractMatch[];
  resolve(matches: ContractMatch[]): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** Request ids of lookups and backfills live far above order ids: IB's errors name either kind. */
const FIRST_REQ_ID = 1_900_000_000;

export class IbOrderSession implements OrderGateway {
  private api?: IBApi;
  private running = false;
  private handshake: { accounts?: string[]; nextId?: number } = {};
  private isReady = false;
  private serverConnected = false;
  private nextOrderId = 0;
  private reqId = FIRST_REQ_ID;
  private knownAccounts: string[] = [];
  private reconnectDelayMs: number;
  private reconnectTimer?: NodeJS.Timeout;
  private handshakeTimer?: NodeJS.Timeout;
  private readonly lookups = new Map<number, Lookup>();

  constructor(
    private readonly options: OrderSessionOptions,
    private readonly events: OrderSessionEvents,
  ) {
    this.reconnectDelayMs = options.reconnectMinMs;
  }

  get clientId(): number {
    return this.options.clientId;
  }

  get live(): boolean {
    return this.isReady && this.serverConnected;
  }

  get accounts(): readonly string[] {
    return this.knownAccounts;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.connect();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.reconnectTimer);
    const api = this.api;
    if (!api) return;
    const closed = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      api.once(EventName.disconnected, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    api.disconnect();
    await closed;
    this.teardown('order connection stopped');
  }

  resolveContract(query: ContractQuery, timeoutMs: number): Promise<ContractMatch[]> {
    const api = this.liveApi();
    const reqId = this.reqId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.lookups.delete(reqId);
        reject(new LookupTimeoutError(timeoutMs));
      }, timeoutMs);
      this.lookups.set(reqId, { matches: [], resolve, reject, timer });
      api.reqContractDetails(reqId, {
        symbol: query.symbol,
        secType: query.secType as Contract['secType'],
        exchange: query.exchange,
        currency: query.currency,
        lastTradeDateOrContractMonth: query.lastTradeDateOrContractMonth,
        strike: query.strike,
        right: query.right as Contract['right'],
        multiplier: query.multiplier,
      });
    });
  }

  reserveOrderId(): number {
    this.liveApi();
    return this.nextOrderId++;
  }

  placeOrder(orderId: number, ticket: OrderTicket): void {
    const api = this.liveApi();
    const order: Order = {
      action: ticket.action === 'BUY' ? OrderAction.BUY : OrderAction.SELL,
      orderType: ticket.orderType === 'LMT' ? OrderType.LMT : OrderType.MKT,
      totalQuantity: ticket.quantity,
      lmtPrice: ticket.limitPrice,
      tif: ticket.tif as Order['tif'],
      account: ticket.account,
      outsideRth: ticket.outsideRth,
      orderRef: ticket.orderRef,
      // An empty transmit field would leave the order unsent in TWS.
      transmit: true,
    };
    api.placeOrder(orderId, { conId: ticket.conId, exchange: ticket.exchange }, order);
  }

  cancelOrder(orderId: number): void {
    this.liveApi().cancelOrder(orderId);
  }

  private liveApi(): IBApi {
    if (!this.live || !this.api) throw new GatewayNotLiveError();
    return this.api;
  }

  private connect(): void {
    this.teardown('reconnecting');
    const api = new IBApi({ host: this.options.host, port: this.options.port });
    this.api = api;
    this.handshake = {};
    this.listen(api);
    if (!guardSocket(api, (reason) => this.events.notice(-1, reason))) {
      this.events.notice(-1, 'socket guard not installed: @stoqey/ib internals changed');
    }
    this.handshakeTimer = setTimeout(() => {
      if (this.api !== api || this.isReady) return;
      this.events.notice(-1, `order connection: no handshake within ${this.options.handshakeTimeoutMs} ms`);
      api.disconnect();
    }, this.options.handshakeTimeoutMs);
    api.connect(this.options.clientId);
  }

  /** Drops the old client and fails pending lookups: their answers can never arrive now. */
  private teardown(reason: string): void {
    this.isReady = false;
    this.serverConnected = false;
    clearTimeout(this.handshakeTimer);
    for (const [reqId, lookup] of this.lookups) {
      clearTimeout(lookup.timer);
      lookup.reject(new Error(`contract lookup aborted: ${reason}`));
      this.lookups.delete(reqId);
    }
    if (this.api) {
      this.api.removeAllListeners();
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
    (api as unknown as NodeJS.EventEmitter).on(event, (...args: unknown[]) => {
      if (this.api !== api) return;
      try {
        (handler as (...a: unknown[]) => void)(...args);
      } catch (error) {
        this.events.notice(
          -1,
          `${event} handler failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    });
  }

  /** Our own orders only: with several clients a gateway may report others' too. */
  private mine(clientId: unknown): boolean {
    return clientId === undefined || clientId === this.options.clientId;
  }

  private listen(api: IBApi): void {
    this.on(api, EventName.managedAccounts, (list: string) => {
      this.handshake.accounts = String(list ?? '')
        .split(',')
        .map((a) => a.trim())
        .filter((a) => a.length > 0);
      this.maybeReady();
    });
    this.on(api, EventName.nextValidId, (orderId: number) => {
      // Never go backwards: a late reqIds answer must not reuse an id already sent.
      this.nextOrderId = Math.max(this.nextOrderId, orderId);
      this.handshake.nextId = orderId;
      this.maybeReady();
    });
    this.on(api, EventName.disconnected, () => {
      const wasReady = this.isReady;
      this.teardown('gateway connection closed');
      this.events.closed(wasReady ? 'order connection closed' : 'order connection failed');
      this.scheduleReconnect();
    });
    this.on(api, EventName.info, (message: string, code: number) => {
      if (code === CONNECTIVITY_LOST || code === SERVER_CONNECTIVITY_BROKEN) this.serverConnected = false;
      if (code === CONNECTIVITY_RESTORED_DATA_KEPT || code === CONNECTIVITY_RESTORED_DATA_LOST) {
        this.serverConnected = this.isReady;
      }
      this.events.notice(code, message);
    });
    this.on(api, EventName.error, (error: Error, code: number, reqId: number) => {
      const message = error?.message ?? String(error);
      const lookup = this.lookups.get(reqId);
      if (lookup) {
        this.lookups.delete(reqId);
        clearTimeout(lookup.timer);
        if (code === NO_SECURITY_DEFINITION) lookup.resolve([]);
        else lookup.reject(new Error(`contract lookup failed: IB ${code}: ${message}`));
        return;
      }
      if (typeof reqId === 'number' && reqId >= 0 && reqId < FIRST_REQ_ID) {
        this.events.orderError(reqId, code, message);
        return;
      }
      this.events.notice(code ?? -1, message);
    });
    this.on(api, EventName.contractDetails, (reqId: number, details: ContractDetails) => {
      const lookup = this.lookups.get(reqId);
      const info = details?.contract ? toContractInfo(details.contract) : undefined;
      if (!lookup || !info) return;
      const primaryExchange = details.contract.primaryExch;
      lookup.matches.push(primaryExchange ? { ...info, primaryExchange } : info);
    });
    this.on(api, EventName.contractDetailsEnd, (reqId: number) => {
      const lookup = this.lookups.get(reqId);
      if (!lookup) return;
      this.lookups.delete(reqId);
      clearTimeout(lookup.timer);
      lookup.resolve(lookup.matches);
    });
    this.on(api, EventName.openOrder, (orderId: number, _c: Contract, order: Order, state: OrderState) => {
      if (!this.mine(order?.clientId) || typeof orderId !== 'number') return;
      this.events.openOrder({
        orderId,
        status: String(state?.status ?? 'Unknown'),
        permId: ibInt(order?.permId),
        account: order?.account || undefined,
      });
    });
    this.on(
      api,
      EventName.orderStatus,
      (
        orderId: number,
        status: string,
        filled: number,
        remaining: number,
        avgFillPrice: number,
        permId?: number,
        _parentId?: number,
        lastFillPrice?: number,
        clientId?: number,
      ) => {
        if (!this.mine(clientId)) return;
        this.events.orderStatus({
          orderId,
          status: String(status),
          filled: ibDouble(filled),
          remaining: ibDouble(remaining),
          avgFillPrice: ibDouble(avgFillPrice),
          permId: ibInt(permId),
          lastFillPrice: ibDouble(lastFillPrice),
        });
      },
    );
    this.on(api, EventName.execDetails, (_reqId: number, contract: Contract, execution: Execution) => {
      if (execution?.clientId !== this.options.clientId) return;
      const record = toExecutionRecord(undefined, contract, execution, this.options.timeZone);
      if (record.ok) this.events.execution(record.value);
      else this.events.notice(-1, record.reason);
    });
    this.on(api, EventName.commissionReport, (report: CommissionReport) => {
      const record = toCommissionRecord(report);
      if (record.ok) this.events.commission(record.value);
    });
  }

  private maybeReady(): void {
    if (this.isReady || !this.handshake.accounts || this.handshake.nextId === undefined) return;
    this.isReady = true;
    this.serverConnected = true;
    clearTimeout(this.handshakeTimer);
    this.reconnectDelayMs = this.options.reconnectMinMs;
    this.knownAccounts = this.handshake.accounts;
    // What happened to our orders while we were away: their state now and today's fills.
    this.api?.reqOpenOrders();
    this.api?.reqExecutions(this.reqId++, { clientId: String(this.options.clientId) });
    this.events.ready(this.handshake.accounts);
  }
}
