// The simulated Gateway's order desk: contract lookup (reqContractDetails), placement, fills
// against a per-contract price, resting limit orders and cancels. It decides what happens; the
// server owns the sockets and turns fills into execDetails/commissionReport/position updates.
import { applyFill } from './accounting.js';
import * as msg from './messages.js';
import * as om from './order-messages.js';
import type { SimOrder } from './order-messages.js';
import type { RecordedRequest, RequestedContract } from './requests.js';
import type { LiveExecutionInput, ScenarioContract } from './scenario.js';
import type { SimState } from './state.js';
import { multiplierOf } from './state.js';

type Message = string[];

export interface OrderDeskHooks {
  state: SimState;
  /** Sends to every started session of the client id; `build` gets that session's server version. */
  send(clientId: number, build: (serverVersion: number) => Message): void;
  /** A fill: the server stores it and pushes execDetails, commissionReport, position and PnL. */
  fill(execution: LiveExecutionInput): void;
  log(line: string): void;
}

/** IB error codes the desk answers with (errMsg bound to the request or order id). */
export const ORDER_ERRORS = {
  /** Unknown contract, for reqContractDetails and placeOrder alike. */
  noSecurityDefinition: 200,
  orderRejected: 201,
  orderCancelled: 202,
  duplicateOrderId: 103,
  cannotFindOrder: 135,
  cannotCancel: 10148,
} as const;

/** Perm ids of simulated orders start here, clear of the scenario files' hand-written ones. */
const FIRST_PERM_ID = 1_900_000_001;

const round2 = (n: number): number => Math.round(n * 100) / 100;

/** A simple fixed commission schedule, so fills carry a report like IB's (contract currency). */
export function simCommission(secType: string, shares: number): number {
  if (secType === 'STK') return round2(Math.max(1, 0.005 * shares));
  if (secType === 'OPT') return round2(0.65 * shares);
  if (secType === 'FUT') return round2(0.85 * shares);
  return 0;
}

/**
 * Scenario contracts matching a reqContractDetails/placeOrder contract the way IB matches them:
 * a conId alone decides; otherwise every field given must match, and SMART (or no exchange)
 * routes to any listing, OVERNIGHT to any US stock.
 */
export function matchContracts(
  contracts: Iterable<ScenarioContract>,
  want: RequestedContract,
): ScenarioContract[] {
  const all = [...contracts];
  if (want.conId > 0) return all.filter((c) => c.conId === want.conId);
  if (want.symbol === '' && want.localSymbol === '') return [];
  const upper = (s: string | undefined) => (s ?? '').toUpperCase();
  return all.filter((c) => {
    if (want.symbol !== '' && upper(c.symbol) !== upper(want.symbol)) return false;
    if (want.localSymbol !== '' && upper(c.localSymbol ?? c.symbol) !== upper(want.localSymbol)) return false;
    if (want.secType !== '' && upper(c.secType) !== upper(want.secType)) return false;
    if (want.currency !== '' && upper(c.currency) !== upper(want.currency)) return false;
    const exchange = upper(want.exchange);
    // US stocks are listed on IB's overnight venue too.
    const overnight = exchange === 'OVERNIGHT' && c.secType === 'STK' && c.currency === 'USD';
    if (exchange !== '' && exchange !== 'SMART' && !overnight && exchange !== upper(c.exchange)) {
      if (exchange !== upper(c.primaryExchange)) return false;
    }
    if (want.primaryExchange !== '' && upper(c.primaryExchange) !== upper(want.primaryExchange)) return false;
    const ltd = want.lastTradeDateOrContractMonth;
    if (ltd !== '' && !(c.lastTradeDateOrContractMonth ?? '').startsWith(ltd)) return false;
    if (want.strike > 0 && c.strike !== want.strike) return false;
    if (want.right !== '' && upper(c.right) !== upper(want.right).slice(0, 1)) return false;
    if (want.multiplier > 0 && multiplierOf(c) !== want.multiplier) return false;
    if (want.tradingClass !== '' && upper(c.tradingClass) !== upper(want.tradingClass)) return false;
    return true;
  });
}

const OPEN: ReadonlySet<SimOrder['status']> = new Set(['PreSubmitted', 'Submitted']);

export class OrderDesk {
  private readonly orders = new Map<string, SimOrder>();
  private readonly prices = new Map<number, number>();
  private nextOrderId: number;
  private nextPermId = FIRST_PERM_ID;

  constructor(
    private readonly hooks: OrderDeskHooks,
    firstOrderId: number,
  ) {
    this.nextOrderId = firstOrderId;
  }

  /** The nextValidId to announce: above every order id any client has used. */
  nextValidId(): number {
    return this.nextOrderId;
  }

  /** Every order placed so far, in placement order. */
  all(): SimOrder[] {
    return [...this.orders.values()];
  }

  /** Open orders of one client id, or of every client. */
  open(clientId?: number): SimOrder[] {
    return this.all().filter(
      (o) => OPEN.has(o.status) && (clientId === undefined || o.clientId === clientId),
    );
  }

  /**
   * The price fills happen at: one set with setPrice, else the mark of a position in the contract
   * (it follows pnlTick's random walk), else none.
   */
  priceOf(conId: number): number | undefined {
    const set = this.prices.get(conId);
    if (set !== undefined) return set;
    const held = this.hooks.state.allPositions().find((p) => p.conId === conId && p.quantity !== 0);
    return held && held.mark > 0 ? round2(held.mark) : undefined;
  }

  /** Sets a contract's price and fills every resting limit order it makes marketable. */
  setPrice(conId: number, price: number): void {
    this.prices.set(conId, price);
    this.sweep();
  }

  /** Fills resting orders that became marketable (after a price change or a PnL tick). */
  sweep(): void {
    for (const order of this.open()) {
      if (order.status !== 'Submitted') continue;
      const price = this.priceOf(order.conId);
      if (price !== undefined && marketable(order, price)) this.fill(order, price);
    }
  }

  /** reqContractDetails: one contractDetails per match and the end, or error 200 for none. */
  contractDetails(serverVersion: number, r: RecordedRequest): Message[] {
    const reqId = r.reqId ?? 0;
    const found = r.contract ? matchContracts(this.hooks.state.contracts.values(), r.contract) : [];
    if (found.length === 0) {
      return [
        msg.errMsg(
          serverVersion,
          reqId,
          ORDER_ERRORS.noSecurityDefinition,
          'No security definition has been found for the request',
        ),
      ];
    }
    return [
      ...found.map((c) =>
        om.contractDetails(serverVersion, reqId, c, { primaryExchange: c.primaryExchange }),
      ),
      om.contractDetailsEnd(reqId),
    ];
  }

  place(clientId: number, r: RecordedRequest): void {
    const orderId = r.orderId ?? 0;
    const { contract: want, order: req } = r;
    if (!want || !req) return;
    this.nextOrderId = Math.max(this.nextOrderId, orderId + 1);
    const reject = (code: number, text: string) =>
      this.hooks.send(clientId, (v) => msg.errMsg(v, orderId, code, text));
    if (this.orders.has(key(clientId, orderId))) {
      reject(ORDER_ERRORS.duplicateOrderId, `Duplicate order id ${orderId}`);
      return;
    }
    const [contract, ...others] = matchContracts(this.hooks.state.contracts.values(), want);
    if (!contract || others.length > 0) {
      reject(ORDER_ERRORS.noSecurityDefinition, 'No security definition has been found for the request');
      return;
    }
    const action = req.action.toUpperCase();
    if (action !== 'BUY' && action !== 'SELL') {
      reject(ORDER_ERRORS.orderRejected, `Order rejected - reason:invalid action ${req.action}`);
      return;
    }
    if (!this.hooks.state.accountIds().includes(req.account)) {
      reject(
        ORDER_ERRORS.orderRejected,
        `Order rejected - reason:account ${req.account} is not managed here`,
      );
      return;
    }
    const type = req.orderType.toUpperCase();
    if (!(req.totalQuantity > 0) || (type !== 'MKT' && type !== 'LMT') || (type === 'LMT' && !req.lmtPrice)) {
      reject(ORDER_ERRORS.orderRejected, 'Order rejected - reason:unsupported order (simulator: MKT or LMT)');
      return;
    }
    const order: SimOrder = {
      orderId,
      clientId,
      permId: this.nextPermId++,
      account: req.account,
      conId: contract.conId,
      action,
      totalQuantity: req.totalQuantity,
      orderType: type,
      lmtPrice: type === 'LMT' ? req.lmtPrice : undefined,
      tif: req.tif || 'DAY',
      outsideRth: req.outsideRth,
      includeOvernight: req.includeOvernight,
      orderRef: req.orderRef,
      status: req.transmit ? 'Submitted' : 'PreSubmitted',
      filled: 0,
      avgFillPrice: 0,
      lastFillPrice: 0,
    };
    const price = this.priceOf(contract.conId);
    if (type === 'MKT' && req.transmit && price === undefined) {
      order.status = 'Inactive';
      this.orders.set(key(clientId, orderId), order);
      reject(
        ORDER_ERRORS.orderRejected,
        `Order rejected - reason:no market price for conId ${contract.conId}`,
      );
      this.report(order);
      return;
    }
    this.orders.set(key(clientId, orderId), order);
    this.hooks.log(
      `order ${orderId} (client ${clientId}): ${action} ${req.totalQuantity} ${type} conId ${contract.conId}`,
    );
    this.report(order);
    if (order.status !== 'Submitted') return;
    if (price !== undefined && marketable(order, price)) this.fill(order, price);
    else if (order.tif === 'IOC') this.cancelled(order);
  }

  cancel(clientId: number, orderId: number): void {
    const order = this.orders.get(key(clientId, orderId));
    if (!order) {
      this.hooks.send(clientId, (v) =>
        msg.errMsg(v, orderId, ORDER_ERRORS.cannotFindOrder, `Can't find order with id =${orderId}`),
      );
      return;
    }
    if (!OPEN.has(order.status)) {
      this.hooks.send(clientId, (v) =>
        msg.errMsg(
          v,
          orderId,
          ORDER_ERRORS.cannotCancel,
          `OrderId ${orderId} that needs to be cancelled cannot be cancelled, state: ${order.status}.`,
        ),
      );
      return;
    }
    this.cancelled(order);
  }

  private cancelled(order: SimOrder): void {
    order.status = 'Cancelled';
    this.hooks.send(order.clientId, (v) =>
      msg.errMsg(v, order.orderId, ORDER_ERRORS.orderCancelled, 'Order Canceled - reason:'),
    );
    this.report(order);
  }

  /** openOrder and orderStatus to the placing client, as IB sends on every state change. */
  report(order: SimOrder): void {
    const contract = this.hooks.state.contracts.get(order.conId);
    if (contract) this.hooks.send(order.clientId, (v) => om.openOrder(v, order, contract));
    this.hooks.send(order.clientId, (v) => om.orderStatus(v, order));
  }

  private fill(order: SimOrder, price: number): void {
    const contract = this.hooks.state.contracts.get(order.conId);
    if (!contract) return;
    const shares = order.totalQuantity - order.filled;
    const side = order.action === 'BUY' ? 'BOT' : 'SLD';
    const commission = simCommission(contract.secType, shares);
    const before = this.hooks.state.position(order.account, order.conId) ?? { quantity: 0, avgCost: 0 };
    const { realizedPnl } = applyFill(before, {
      side,
      shares,
      price,
      multiplier: multiplierOf(contract),
      commission,
    });
    order.filled += shares;
    order.avgFillPrice = price;
    order.lastFillPrice = price;
    order.status = 'Filled';
    this.hooks.fill({
      execId: `0000f111.${order.permId.toString(16).padStart(8, '0')}.01.01`,
      account: order.account,
      conId: order.conId,
      side,
      shares,
      price,
      orderId: order.orderId,
      permId: order.permId,
      clientId: order.clientId,
      cumQty: order.filled,
      avgPrice: price,
      exchange: contract.secType === 'STK' ? 'ISLAND' : contract.exchange,
      orderRef: order.orderRef,
      commission: {
        commission,
        currency: contract.currency,
        realizedPnl: realizedPnl === null ? null : round2(realizedPnl),
      },
    });
    this.report(order);
  }
}

function key(clientId: number, orderId: number): string {
  return `${clientId}/${orderId}`;
}

function marketable(order: SimOrder, price: number): boolean {
  if (order.orderType === 'MKT') return true;
  const limit = order.lmtPrice ?? 0;
  return order.action === 'BUY' ? limit >= price : limit <= price;
}
