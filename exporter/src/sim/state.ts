// What the simulated Gateway knows: positions with their PnL, today's executions, account PnL.
// No sockets here: the server reads this state to answer requests and mutates it on events.
import { applyFill } from './accounting.js';
import { parseIbFilterTime } from './ib-time.js';
import { stepPrice } from './random-walk.js';
import type { ExecutionFilterFields } from './requests.js';
import type { LiveExecution, PnlValues, Scenario, ScenarioContract, ScenarioExecution } from './scenario.js';

type Money = number | null;

export interface PositionPnl {
  daily: Money;
  unrealized: Money;
  realized: Money;
  marketValue: Money;
}

export interface PositionState {
  account: string;
  conId: number;
  quantity: number;
  avgCost: number;
  pnl: PositionPnl;
  /** Per-unit price the random walk moves; derived from marketValue or avgCost. */
  mark: number;
}

export interface AccountPnl {
  daily: Money;
  unrealized: Money;
  realized: Money;
}

export interface StoredExecution extends ScenarioExecution {
  timeMs: number;
}

const round2 = (n: number): number => Math.round(n * 100) / 100;
const orNull = (n: number | null | undefined): Money => (n === undefined ? null : n);
const key = (account: string, conId: number): string => `${account}/${conId}`;

/** Stocks come without a multiplier; IB's avgCost and values then use 1. */
export function multiplierOf(contract: ScenarioContract | undefined): number {
  return contract?.multiplier ?? 1;
}

/** IB's filter uses BUY/SELL; executions say BOT/SLD. Accept both spellings. */
function sideMatches(filterSide: string, side: 'BOT' | 'SLD'): boolean {
  const f = filterSide.toUpperCase();
  return side === 'BOT' ? f === 'BUY' || f === 'BOT' : f === 'SELL' || f === 'SLD';
}

export class SimState {
  readonly contracts = new Map<number, ScenarioContract>();
  readonly executions: StoredExecution[] = [];
  private readonly positions = new Map<string, PositionState>();
  private readonly accountPnls = new Map<string, AccountPnl>();

  constructor(readonly scenario: Scenario) {
    for (const c of scenario.contracts) this.contracts.set(c.conId, c);
    for (const a of scenario.accounts) {
      this.accountPnls.set(a.id, {
        daily: orNull(a.pnl?.daily),
        unrealized: orNull(a.pnl?.unrealized),
        realized: orNull(a.pnl?.realized),
      });
    }
    for (const p of scenario.positions) {
      const m = multiplierOf(this.contracts.get(p.conId));
      const mv = orNull(p.pnl?.marketValue);
      const mark = mv !== null && p.quantity !== 0 ? mv / (p.quantity * m) : p.avgCost / m;
      this.positions.set(key(p.account, p.conId), {
        account: p.account,
        conId: p.conId,
        quantity: p.quantity,
        avgCost: p.avgCost,
        pnl: {
          daily: orNull(p.pnl?.daily),
          unrealized: orNull(p.pnl?.unrealized),
          realized: orNull(p.pnl?.realized),
          marketValue: mv,
        },
        mark,
      });
    }
    for (const e of scenario.executions) this.executions.push({ ...e, timeMs: Date.parse(e.time) });
  }

  accountIds(): string[] {
    return this.scenario.accounts.map((a) => a.id);
  }

  allPositions(): PositionState[] {
    return [...this.positions.values()];
  }

  position(account: string, conId: number): PositionState | undefined {
    return this.positions.get(key(account, conId));
  }

  accountPnl(account: string): AccountPnl | undefined {
    return this.accountPnls.get(account);
  }

  /**
   * Executions matching an ExecutionFilter: empty strings and clientId 0 match everything;
   * `time` keeps executions at or after it. An unparseable time is ignored (reported to `onBadTime`).
   */
  matchingExecutions(filter: ExecutionFilterFields, onBadTime?: (time: string) => void): StoredExecution[] {
    let since: number | undefined;
    if (filter.time.trim() !== '') {
      since = parseIbFilterTime(filter.time);
      if (since === undefined) onBadTime?.(filter.time);
    }
    return this.executions.filter((e) => {
      const c = this.contracts.get(e.conId);
      if (filter.clientId !== 0 && (e.clientId ?? 0) !== filter.clientId) return false;
      if (filter.acctCode !== '' && e.account !== filter.acctCode) return false;
      if (since !== undefined && e.timeMs < since) return false;
      if (filter.symbol !== '' && c?.symbol !== filter.symbol) return false;
      if (filter.secType !== '' && c?.secType !== filter.secType) return false;
      if (filter.exchange !== '' && (e.exchange ?? c?.exchange) !== filter.exchange) return false;
      if (filter.side !== '' && !sideMatches(filter.side, e.side)) return false;
      return true;
    });
  }

  /**
   * A live fill: stores it and moves the position with average-cost accounting. The commission
   * report's realized PnL is the scenario's when given, otherwise the computed one.
   */
  addExecution(
    exec: LiveExecution,
    nowMs: number,
  ): { execution: StoredExecution; position: PositionState; realizedPnl: number | null; commission: number } {
    const timeMs = exec.time === undefined ? nowMs : Date.parse(exec.time);
    const execution: StoredExecution = { ...exec, time: new Date(timeMs).toISOString(), timeMs };
    this.executions.push(execution);
    const m = multiplierOf(this.contracts.get(exec.conId));
    const commission = exec.commission?.commission ?? 0;
    const existing = this.position(exec.account, exec.conId);
    const before = existing ?? { quantity: 0, avgCost: 0 };
    const after = applyFill(before, {
      side: exec.side,
      shares: exec.shares,
      price: exec.price,
      multiplier: m,
      commission,
    });
    const realizedPnl = exec.commission ? exec.commission.realizedPnl : after.realizedPnl;
    const mark = exec.price;
    const marketValue = round2(after.quantity * mark * m);
    const unrealized = round2(marketValue - after.quantity * after.avgCost);
    const pos: PositionState = existing ?? {
      account: exec.account,
      conId: exec.conId,
      quantity: 0,
      avgCost: 0,
      pnl: { daily: 0, unrealized: 0, realized: null, marketValue: 0 },
      mark,
    };
    pos.quantity = after.quantity;
    pos.avgCost = after.avgCost;
    pos.mark = mark;
    pos.pnl.marketValue = marketValue;
    pos.pnl.unrealized = unrealized;
    if (realizedPnl !== null) {
      pos.pnl.realized = round2((pos.pnl.realized ?? 0) + realizedPnl);
      if (pos.pnl.daily !== null) pos.pnl.daily = round2(pos.pnl.daily + realizedPnl);
      const acct = this.accountPnls.get(exec.account);
      if (acct) {
        acct.realized = round2((acct.realized ?? 0) + realizedPnl);
        if (acct.daily !== null) acct.daily = round2(acct.daily + realizedPnl);
      }
    }
    if (!existing) {
      pos.pnl.daily = unrealized;
      this.positions.set(key(exec.account, exec.conId), pos);
    }
    return { execution, position: pos, realizedPnl, commission };
  }

  /** A timeline/test PnL override: fields given (null = unset) replace the stored ones. */
  setPnl(update: { account: string; conId?: number | undefined } & Partial<PnlValues>): void {
    const pick = (v: Money | undefined, old: Money): Money => (v === undefined ? old : v);
    if (update.conId === undefined) {
      const acct = this.accountPnls.get(update.account);
      if (!acct) return;
      acct.daily = pick(update.daily, acct.daily);
      acct.unrealized = pick(update.unrealized, acct.unrealized);
      acct.realized = pick(update.realized, acct.realized);
      return;
    }
    const p = this.position(update.account, update.conId)?.pnl;
    if (!p) return;
    p.daily = pick(update.daily, p.daily);
    p.unrealized = pick(update.unrealized, p.unrealized);
    p.realized = pick(update.realized, p.realized);
    p.marketValue = pick(update.marketValue, p.marketValue);
  }

  /** One step of the price random walk: moves every open position's value and the account PnL. */
  tick(volatility: number, random: () => number): void {
    for (const p of this.positions.values()) {
      if (p.quantity === 0 || p.mark <= 0) continue;
      const m = multiplierOf(this.contracts.get(p.conId));
      const next = stepPrice(p.mark, volatility, random);
      const delta = round2(p.quantity * m * (next - p.mark));
      p.mark = next;
      const bump = (v: Money): Money => (v === null ? null : round2(v + delta));
      p.pnl.marketValue = bump(p.pnl.marketValue);
      p.pnl.unrealized = bump(p.pnl.unrealized);
      p.pnl.daily = bump(p.pnl.daily);
      const acct = this.accountPnls.get(p.account);
      if (acct) {
        acct.unrealized = acct.unrealized === null ? null : round2(acct.unrealized + delta);
        acct.daily = acct.daily === null ? null : round2(acct.daily + delta);
      }
    }
  }
}
