// The order connection: a second @stoqey/ib client on IBKR_ORDER_CLIENT_ID, separate from the
// sync connection so order traffic never competes with (or is replayed into) the sync session.
// Its life is connection.ts's, as for the sync connection: a fresh IBApi per connection, keepalive
// probes, paced requests only on a live, handshaken connection (stoqey would queue them and
// replay them on the next session: an order placed twice).
import { EventName, OrderAction, OrderType } from '@stoqey/ib';
import type { CommissionReport, Contract, ContractDetails, Execution, Order, OrderState } from '@stoqey/ib';
import type { CommissionRecord, ContractInfo, ExecutionRecord } from '../domain/types.js';
import {
  CONNECTIVITY_LOST,
  CONNECTIVITY_RESTORED_DATA_KEPT,
  CONNECTIVITY_RESTORED_DATA_LOST,
  SERVER_CONNECTIVITY_BROKEN,
} from './codes.js';
import { IbConnection } from './connection.js';
import type { ConnectionHooks, Listen } from './connection.js';
import { ibDouble, ibInt, toCommissionRecord, toContractInfo, toExecutionRecord } from './normalize.js';

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
  /** IB's overnight session too, for a SMART order (API server version 189 and later). */
  includeOvernight?: boolean;
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
  /** The gateway's API server version on the current connection; undefined before the handshake. */
  readonly serverVersion: number | undefined;
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
  /** Interval of the keepalive probes that detect a hung gateway; none when undefined. */
  keepaliveMs?: number;
  timeZone?: string;
  /** Randomness of the reconnect jitter; tests may pin it. */
  random?: () => number;
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
  private readonly connection: IbConnection;
  private serverConnected = false;
  private nextOrderId = 0;
  private reqId = FIRST_REQ_ID;
  private knownAccounts: string[] = [];
  private readonly lookups = new Map<number, Lookup>();

  constructor(
    private readonly options: OrderSessionOptions,
    private readonly events: OrderSessionEvents,
  ) {
    const hooks: ConnectionHooks = {
      listen: (on) => this.listen(on),
      ready: (accounts, nextValidId) => this.ready(accounts, nextValidId),
      timedOut: (kind) => events.notice(-1, `order connection: ${kind} timed out`),
      // Pending lookups belong to the connection that sent them: they fail with it.
      detached: (reason) => this.detached(reason),
      closed: (reason) => events.closed(reason),
      problem: (message) => events.notice(-1, message),
    };
    this.connection = new IbConnection({ ...options, name: 'order' }, hooks);
  }

  get clientId(): number {
    return this.options.clientId;
  }

  get live(): boolean {
    return this.connection.ready && this.serverConnected;
  }

  get accounts(): readonly string[] {
    return this.knownAccounts;
  }

  get serverVersion(): number | undefined {
    return this.connection.serverVersion;
  }

  start(): void {
    this.connection.start();
  }

  /** Lets orders and cancels already queued go out (for at most 2 s), then closes for good. */
  stop(): Promise<void> {
    return this.connection.stop('order connection stopped');
  }

  resolveContract(query: ContractQuery, timeoutMs: number): Promise<ContractMatch[]> {
    this.assertLive();
    const reqId = this.reqId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.lookups.delete(reqId);
        reject(new LookupTimeoutError(timeoutMs));
      }, timeoutMs);
      this.lookups.set(reqId, { matches: [], resolve, reject, timer });
      // Dropped unsent if the connection closes first; detached() then fails the lookup.
      this.connection.send((api) =>
        api.reqContractDetails(reqId, {
          symbol: query.symbol,
          secType: query.secType as Contract['secType'],
          exchange: query.exchange,
          currency: query.currency,
          lastTradeDateOrContractMonth: query.lastTradeDateOrContractMonth,
          strike: query.strike,
          right: query.right as Contract['right'],
          multiplier: query.multiplier,
        }),
      );
    });
  }

  reserveOrderId(): number {
    this.assertLive();
    return this.nextOrderId++;
  }

  placeOrder(orderId: number, ticket: OrderTicket): void {
    this.assertLive();
    const order: Order = {
      action: ticket.action === 'BUY' ? OrderAction.BUY : OrderAction.SELL,
      orderType: ticket.orderType === 'LMT' ? OrderType.LMT : OrderType.MKT,
      totalQuantity: ticket.quantity,
      lmtPrice: ticket.limitPrice,
      tif: ticket.tif as Order['tif'],
      account: ticket.account,
      outsideRth: ticket.outsideRth,
      // Left unset rather than false otherwise: stoqey refuses the field below server version 189.
      includeOvernight: ticket.includeOvernight ? true : undefined,
      orderRef: ticket.orderRef,
      // An empty transmit field would leave the order unsent in TWS.
      transmit: true,
    };
    // Orders jump the pacer's queue: a queued order is dropped, never replayed, if the connection
    // closes before its turn, and an order must not wait behind routine requests anyway.
    this.connection.send(
      (api) => api.placeOrder(orderId, { conId: ticket.conId, exchange: ticket.exchange }, order),
      true,
    );
  }

  cancelOrder(orderId: number): void {
    this.assertLive();
    this.connection.send((api) => api.cancelOrder(orderId), true);
  }

  private assertLive(): void {
    if (!this.live) throw new GatewayNotLiveError();
  }

  /** Fails pending lookups: their answers can never arrive now. */
  private detached(reason: string): void {
    this.serverConnected = false;
    for (const [reqId, lookup] of this.lookups) {
      clearTimeout(lookup.timer);
      lookup.reject(new Error(`contract lookup aborted: ${reason}`));
      this.lookups.delete(reqId);
    }
  }

  /** Our own orders only: with several clients a gateway may report others' too. */
  private mine(clientId: unknown): boolean {
    return clientId === undefined || clientId === this.options.clientId;
  }

  private listen(on: Listen): void {
    on(EventName.nextValidId, (orderId: number) => {
      // Never go backwards: a late reqIds answer must not reuse an id already sent.
      this.nextOrderId = Math.max(this.nextOrderId, orderId);
    });
    on(EventName.info, (message: string, code: number) => {
      if (code === CONNECTIVITY_LOST || code === SERVER_CONNECTIVITY_BROKEN) this.serverConnected = false;
      if (code === CONNECTIVITY_RESTORED_DATA_KEPT || code === CONNECTIVITY_RESTORED_DATA_LOST) {
        this.serverConnected = this.connection.ready;
      }
      this.events.notice(code, message);
    });
    on(EventName.error, (error: Error, code: number, reqId: number) => {
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
    on(EventName.contractDetails, (reqId: number, details: ContractDetails) => {
      const lookup = this.lookups.get(reqId);
      const info = details?.contract ? toContractInfo(details.contract) : undefined;
      if (!lookup || !info) return;
      const primaryExchange = details.contract.primaryExch;
      lookup.matches.push(primaryExchange ? { ...info, primaryExchange } : info);
    });
    on(EventName.contractDetailsEnd, (reqId: number) => {
      const lookup = this.lookups.get(reqId);
      if (!lookup) return;
      this.lookups.delete(reqId);
      clearTimeout(lookup.timer);
      lookup.resolve(lookup.matches);
    });
    on(EventName.openOrder, (orderId: number, _c: Contract, order: Order, state: OrderState) => {
      if (!this.mine(order?.clientId) || typeof orderId !== 'number') return;
      this.events.openOrder({
        orderId,
        status: String(state?.status ?? 'Unknown'),
        permId: ibInt(order?.permId),
        account: order?.account || undefined,
      });
    });
    on(
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
    on(EventName.execDetails, (_reqId: number, contract: Contract, execution: Execution) => {
      if (execution?.clientId !== this.options.clientId) return;
      const record = toExecutionRecord(undefined, contract, execution, this.options.timeZone);
      if (record.ok) this.events.execution(record.value);
      else this.events.notice(-1, record.reason);
    });
    on(EventName.commissionReport, (report: CommissionReport) => {
      const record = toCommissionRecord(report);
      if (record.ok) this.events.commission(record.value);
    });
  }

  private ready(accounts: string[], nextValidId: number): void {
    this.nextOrderId = Math.max(this.nextOrderId, nextValidId);
    this.serverConnected = true;
    this.knownAccounts = accounts;
    // What happened to our orders while we were away: their state now and today's fills.
    this.connection.send((api) => api.reqOpenOrders());
    const reqId = this.reqId++;
    this.connection.send((api) => api.reqExecutions(reqId, { clientId: String(this.options.clientId) }));
    this.events.ready(accounts);
  }
}
