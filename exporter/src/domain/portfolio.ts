// The in-memory picture behind /metrics and the JSON endpoints. Pure state transitions: callers
// commit an event to the store first, then apply it here (STYLE.md §5: collect on scrape reads this).
import type {
  AccountPnl,
  AccountValue,
  LedgerTotals,
  MoneyTotals,
  PositionPnl,
  PositionRecord,
} from './types.js';
import { positionKey } from './types.js';
import { addDecimal, subDecimal } from './money.js';
import type { CurrentTrip, RoundTrip } from './round-trips.js';

export interface PositionView {
  position: PositionRecord;
  pnl?: PositionPnl;
  lastSnapshotAt?: number;
}

/** The sums of one account's ledger rows in one report currency (its basis: basisOf). */
export interface AccountLedger extends MoneyTotals {
  account: string;
  /** Counted like `reports`, so the account's basis is exactly the combined basis of its rows. */
  flexReports: number;
}

export interface PortfolioSeed {
  positions?: PositionView[];
  ledger?: LedgerTotals[];
  executionCounts?: Array<{ account: string; executions: number }>;
  accountValues?: AccountValue[];
  accountPnl?: AccountPnl[];
  roundTrips?: CurrentTrip[];
}

const valueKey = (v: Pick<AccountValue, 'account' | 'tag' | 'currency'>) =>
  `${v.account}|${v.tag}|${v.currency}`;

export class Portfolio {
  readonly positions = new Map<string, PositionView>();
  /** Per position (account|conId), per report currency. Kept for closed positions too. */
  readonly ledger = new Map<string, Map<string, LedgerTotals>>();
  /** Per account|currency: the sums of `ledger`, maintained by difference so a scrape sums nothing. */
  readonly accountLedger = new Map<string, AccountLedger>();
  readonly executionCounts = new Map<string, number>();
  readonly accountPnl = new Map<string, AccountPnl>();
  readonly accountValues = new Map<string, AccountValue>();
  /**
   * Per position: its current round trip, the open one, else the one it closed last. The
   * per-position realized PnL and commissions are this trip's (since the position was last flat).
   */
  readonly roundTrips = new Map<string, RoundTrip>();
  /** The currency each account reports its NetLiquidation in: its base currency. */
  private readonly baseCurrencies = new Map<string, string>();

  constructor(seed: PortfolioSeed = {}) {
    this.seed(seed);
  }

  /** Adds stored state, e.g. accounts restored once their gateway names them (PostgreSQL). */
  seed(seed: PortfolioSeed): void {
    for (const view of seed.positions ?? []) this.positions.set(this.keyOf(view.position), view);
    this.applyLedger(seed.ledger ?? []);
    for (const { account, executions } of seed.executionCounts ?? [])
      this.executionCounts.set(account, executions);
    for (const value of seed.accountValues ?? []) this.setAccountValue(value);
    for (const pnl of seed.accountPnl ?? []) this.accountPnl.set(pnl.account, pnl);
    this.applyRoundTrips(seed.roundTrips ?? []);
  }

  applyRoundTrips(trips: Iterable<CurrentTrip>): void {
    for (const { account, conId, trip } of trips) {
      if (trip) this.roundTrips.set(positionKey(account, conId), trip);
      else this.roundTrips.delete(positionKey(account, conId));
    }
  }

  roundTripOf(account: string, conId: number): RoundTrip | undefined {
    return this.roundTrips.get(positionKey(account, conId));
  }

  private keyOf(position: PositionRecord): string {
    return positionKey(position.account, position.contract.conId);
  }

  position(account: string, conId: number): PositionView | undefined {
    return this.positions.get(positionKey(account, conId));
  }

  setPosition(position: PositionRecord, snapshotAt?: number): PositionView {
    const key = this.keyOf(position);
    const previous = this.positions.get(key);
    const view: PositionView = {
      position,
      pnl: previous?.pnl,
      lastSnapshotAt: snapshotAt ?? previous?.lastSnapshotAt,
    };
    this.positions.set(key, view);
    return view;
  }

  setPositionPnl(account: string, conId: number, pnl: PositionPnl | undefined, snapshotAt?: number): void {
    const view = this.positions.get(positionKey(account, conId));
    if (!view) return;
    view.pnl = pnl;
    if (snapshotAt !== undefined) view.lastSnapshotAt = snapshotAt;
  }

  removePosition(account: string, conId: number): void {
    this.positions.delete(positionKey(account, conId));
  }

  applyLedger(rows: Iterable<LedgerTotals>): void {
    for (const row of rows) {
      const key = positionKey(row.account, row.conId);
      let byCurrency = this.ledger.get(key);
      if (!byCurrency) this.ledger.set(key, (byCurrency = new Map()));
      const previous = byCurrency.get(row.currency);
      byCurrency.set(row.currency, row);
      const accountKey = `${row.account}|${row.currency}`;
      const total = this.accountLedger.get(accountKey) ?? {
        account: row.account,
        currency: row.currency,
        realizedPnl: '0',
        commissions: '0',
        reports: 0,
        flexReports: 0,
      };
      this.accountLedger.set(accountKey, {
        ...total,
        realizedPnl: addDecimal(subDecimal(total.realizedPnl, previous?.realizedPnl ?? '0'), row.realizedPnl),
        commissions: addDecimal(subDecimal(total.commissions, previous?.commissions ?? '0'), row.commissions),
        reports: total.reports - (previous?.reports ?? 0) + row.reports,
        flexReports: total.flexReports - (previous?.flexReports ?? 0) + (row.flexReports ?? 0),
      });
    }
  }

  ledgerOf(account: string, conId: number): Map<string, LedgerTotals> | undefined {
    return this.ledger.get(positionKey(account, conId));
  }

  setExecutionCount(account: string, executions: number): void {
    this.executionCounts.set(account, executions);
  }

  setAccountPnl(pnl: AccountPnl): void {
    this.accountPnl.set(pnl.account, pnl);
  }

  accountValue(account: string, tag: string, currency: string): AccountValue | undefined {
    return this.accountValues.get(valueKey({ account, tag, currency }));
  }

  setAccountValue(value: AccountValue): void {
    this.accountValues.set(valueKey(value), value);
    if (value.tag === 'NetLiquidation') this.baseCurrencies.set(value.account, value.currency);
  }

  /** The account's base currency as IB reports it, or `fallback` before the first account summary. */
  baseCurrency(account: string, fallback: string): string {
    return this.baseCurrencies.get(account) ?? fallback;
  }
}

/** True when two PnL readings carry the same values (timestamps aside). */
export function samePnl(a: PositionPnl | undefined, b: PositionPnl | undefined): boolean {
  return (
    a?.dailyPnl === b?.dailyPnl &&
    a?.unrealizedPnl === b?.unrealizedPnl &&
    a?.realizedPnl === b?.realizedPnl &&
    a?.marketValue === b?.marketValue
  );
}
