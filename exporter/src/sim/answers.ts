// The messages that answer a request or report an event, computed from the simulator state.
// Pure: the server decides who gets them and when.
import { formatIbExecTime } from './ib-time.js';
import * as msg from './messages.js';
import type { WireContract } from './messages.js';
import type { ScenarioAccount } from './scenario.js';
import type { PositionState, SimState, StoredExecution } from './state.js';

type Message = string[];

/** A contract the scenario does not define still needs a block on the wire. */
function contractOf(state: SimState, conId: number): WireContract {
  return state.contracts.get(conId) ?? { conId, symbol: '', secType: '', exchange: '', currency: '' };
}

/** execDetails plus its commissionReport, in the order the scenario asks for. */
export function executionMessages(
  state: SimState,
  e: StoredExecution,
  reqId: number,
  serverVersion: number,
  overrides?: { commission: number; realizedPnl: number | null },
): Message[] {
  const contract = contractOf(state, e.conId);
  const details = msg.execDetails(serverVersion, reqId, contract, {
    execId: e.execId,
    orderId: e.orderId ?? 0,
    time: formatIbExecTime(e.timeMs, state.scenario.executionTimeZone),
    account: e.account,
    exchange: e.exchange ?? contract.exchange,
    side: e.side,
    shares: e.shares,
    price: e.price,
    permId: e.permId ?? 0,
    clientId: e.clientId ?? 0,
    cumQty: e.cumQty ?? e.shares,
    avgPrice: e.avgPrice ?? e.price,
    orderRef: e.orderRef ?? '',
  });
  const report = msg.commissionReport(
    e.execId,
    overrides?.commission ?? e.commission?.commission ?? 0,
    e.commission?.currency ?? contract.currency,
    overrides ? overrides.realizedPnl : (e.commission?.realizedPnl ?? null),
  );
  return e.commissionFirst ? [report, details] : [details, report];
}

export function positionMessage(state: SimState, p: PositionState): Message {
  return msg.position(p.account, contractOf(state, p.conId), p.quantity, p.avgCost);
}

export function pnlSingleMessage(serverVersion: number, reqId: number, p: PositionState): Message {
  return msg.pnlSingle(serverVersion, reqId, p.quantity, p.pnl);
}

/** Summary values as IB sends them: numbers with two decimals in the base currency; text tags without currency. */
export function accountSummaryMessages(
  accounts: readonly ScenarioAccount[],
  reqId: number,
  tags: readonly string[],
): Message[] {
  const out: Message[] = [];
  for (const account of accounts) {
    for (const tag of tags) {
      const value = account.summary?.[tag];
      if (value === undefined) continue;
      out.push(
        typeof value === 'number'
          ? msg.accountSummary(reqId, account.id, tag, value.toFixed(2), account.baseCurrency)
          : msg.accountSummary(reqId, account.id, tag, value, ''),
      );
    }
  }
  out.push(msg.accountSummaryEnd(reqId));
  return out;
}
