// The trade history in SQLite: round trips and daily realized totals, kept up to date inside the
// transactions that record fills and commission reports (the SqliteStore calls in here), so that
// neither a request nor start-up rescans the fills. The rules are domain/round-trips.ts.
import type { Database as Db, Statement } from 'better-sqlite3';
import { addContribution, contribution, tripContribution } from '../domain/ledger.js';
import type { Credit, StoredFill } from '../domain/fill-group.js';
import { toDecimal } from '../domain/money.js';
import { carriedQuantity, compareFills, deriveRoundTrips, stepRoundTrips } from '../domain/round-trips.js';
import type { CurrentTrip, RoundTrip, TripFill, TripShape } from '../domain/round-trips.js';
import type { CommissionRecord, ExecutionRecord, LedgerContribution, MoneyTotals } from '../domain/types.js';
import { contractFromRow, joinedReportFromRow, nul, opt, totalsFromRow, tripFillFromRow } from './rows.js';
import type { HistoryQuery, RoundTripFill, RoundTripRow } from './store.js';
import type { Row } from './rows.js';

/** The UTC day of a fill, the key of the daily totals. */
export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

const CONTRACT_COLUMNS = `c.symbol, c.sec_type, c.currency, c.exchange, c.local_symbol, c.multiplier,
  c.last_trade_date, c.strike, c."right"`;

const zero = (currency: string): MoneyTotals => ({
  currency,
  realizedPnl: '0',
  commissions: '0',
  reports: 0,
});

function shapeFromRow(row: Row): TripShape {
  return {
    openKey: row.open_key as string,
    openedBeforeLedger: row.opened_before_ledger === 1,
    openTime: opt(row.open_time_ms as number | null),
    closeTime: opt(row.close_time_ms as number | null),
    quantity: row.quantity as string,
    fills: row.fills as number,
  };
}

const tripFill = (row: Row): TripFill => ({
  baseExecId: row.base_exec_id as string,
  side: row.side as 'buy' | 'sell',
  shares: toDecimal(row.shares as number),
  time: row.time_ms as number,
});

export class SqliteHistory {
  private readonly stmt: Record<string, Statement>;

  constructor(private readonly db: Db) {
    const p = (sql: string) => db.prepare(sql);
    this.stmt = {
      // A stored fill, other than the group's own, made after the group's first fill of the position.
      // The row value keeps the search a range of executions_by_position (an OR scanned the position).
      laterThan:
        p(`SELECT 1 FROM executions WHERE account = ? AND con_id = ? AND (time_ms, base_exec_id) > (?, ?)
        AND base_exec_id NOT IN (SELECT value FROM json_each(?)) LIMIT 1`),
      openTrip: p(`SELECT * FROM round_trips WHERE account = ? AND con_id = ? AND close_time_ms IS NULL`),
      currentTrip: p(`SELECT * FROM round_trips WHERE account = ? AND con_id = ?
        ORDER BY close_time_ms IS NULL DESC, close_time_ms DESC, id DESC LIMIT 1`),
      insertTrip: p(`INSERT INTO round_trips (account, con_id, open_key, opened_before_ledger, open_time_ms,
          close_time_ms, quantity, fills)
        VALUES (@account, @conId, @openKey, @openedBeforeLedger, @openTime, @closeTime, @quantity, @fills)
        ON CONFLICT (account, con_id, open_key) DO UPDATE SET opened_before_ledger = excluded.opened_before_ledger,
          open_time_ms = excluded.open_time_ms, close_time_ms = excluded.close_time_ms,
          quantity = excluded.quantity, fills = excluded.fills
        RETURNING id`),
      tripsOf: p(`SELECT id, open_key FROM round_trips WHERE account = ? AND con_id = ?`),
      deleteTrip: p(`DELETE FROM round_trips WHERE id = ?`),
      clearParts: p(`DELETE FROM round_trip_fills WHERE round_trip_id = ?`),
      clearTotals: p(`DELETE FROM round_trip_totals WHERE round_trip_id = ?`),
      insertPart: p(`INSERT INTO round_trip_fills (round_trip_id, base_exec_id, quantity, money)
        VALUES (?, ?, ?, ?)`),
      partsOf: p(`SELECT round_trip_id, money FROM round_trip_fills WHERE base_exec_id = ?`),
      totals: p(`SELECT * FROM round_trip_totals WHERE round_trip_id = ? ORDER BY currency`),
      totalsRow: p(`SELECT * FROM round_trip_totals WHERE round_trip_id = ? AND currency = ?`),
      upsertTotals:
        p(`INSERT OR REPLACE INTO round_trip_totals (round_trip_id, currency, realized_pnl, commissions,
          reports, flex_reports) VALUES (@id, @currency, @realizedPnl, @commissions, @reports, @flexReports)`),
      fillsOf: p(`SELECT e.base_exec_id, e.side, e.shares, e.time_ms, e.account, e.con_id, c.currency,
          r.exec_id AS report_exec_id, r.revision AS report_revision, r.commission, r.currency AS report_currency,
          r.realized_pnl, r.source AS report_source
        FROM executions e JOIN contracts c USING (con_id) LEFT JOIN commission_reports r USING (base_exec_id)
        WHERE e.account = ? AND e.con_id = ?`),
      carry: p(`SELECT quantity FROM round_trip_carry WHERE account = ? AND con_id = ?`),
      saveCarry: p(`INSERT OR REPLACE INTO round_trip_carry (account, con_id, quantity) VALUES (?, ?, ?)`),
      firstFill: p(`SELECT base_exec_id, time_ms FROM executions WHERE account = ? AND con_id = ?
        ORDER BY time_ms, base_exec_id LIMIT 1`),
      dailyRow: p(`SELECT * FROM daily_realized WHERE account = ? AND currency = ? AND day = ?`),
      deleteDaily: p(`DELETE FROM daily_realized WHERE account = ? AND currency = ? AND day = ?`),
      upsertDaily:
        p(`INSERT OR REPLACE INTO daily_realized (account, currency, day, realized_pnl, commissions, reports,
          flex_reports) VALUES (@account, @currency, @day, @realizedPnl, @commissions, @reports, @flexReports)`),
    };
  }

  /**
   * After a group's fills and reports are written: the round trips of every position it touched,
   * moved once per position. Fills that all come after the position's stored ones step its open
   * trip forward; a fill in the past or a correction derives that position again from its fills,
   * once for the whole group (per fill, a long backfill into one position was quadratic). A
   * report joining a fill stored earlier moves the trips that fill belongs to. Returns the
   * current trip of every position touched.
   */
  groupStored(group: StoredGroup): CurrentTrip[] {
    const rederive = new Map<string, Position>();
    const appends = new Map<string, Position & { fills: ExecutionRecord[] }>();
    for (const e of group.executions) {
      const old = group.stored.get(e.baseExecId);
      const at = position(e.account, e.contract.conId);
      if (old) {
        rederive.set(at.key, at);
        // A correction may even move the fill to another account or contract: both positions change.
        const from = position(old.account, old.contract.conId);
        rederive.set(from.key, from);
      } else {
        const entry = appends.get(at.key) ?? { ...at, fills: [] };
        entry.fills.push(e);
        appends.set(at.key, entry);
      }
    }
    const reports = new Map(group.storedReports);
    for (const r of group.reports) reports.set(r.baseExecId, r);
    const totals = new TripTotals(this.stmt);
    const touched = new Map<string, Position>();
    for (const entry of appends.values()) {
      if (rederive.has(entry.key)) continue;
      const fills = [...entry.fills].sort(compareFills);
      const first = fills[0]!;
      const ids = JSON.stringify(fills.map((f) => f.baseExecId));
      if (this.stmt.laterThan!.get(entry.account, entry.conId, first.time, first.baseExecId, ids)) {
        rederive.set(entry.key, entry);
        continue;
      }
      touched.set(entry.key, entry);
      this.append(entry, fills, reports, totals);
    }
    const written = new Set(group.executions.map((e) => e.baseExecId));
    for (const report of group.reports) {
      const owner = group.stored.get(report.baseExecId);
      if (written.has(report.baseExecId) || !owner) continue;
      const at = position(owner.account, owner.contract.conId);
      if (rederive.has(at.key)) continue;
      touched.set(at.key, at);
      const previous = group.storedReports.get(report.baseExecId);
      for (const part of this.stmt.partsOf!.all(report.baseExecId) as Row[]) {
        const id = part.round_trip_id as number;
        const money = part.money === 1;
        if (previous) totals.add(id, tripContribution(money, contribution(owner, previous)), -1);
        totals.add(id, tripContribution(money, contribution(owner, report)), +1);
      }
    }
    totals.flush();
    const trips = [...rederive.values()].map((k) => this.rederive(k.account, k.conId));
    for (const k of touched.values()) trips.push(this.current(k.account, k.conId));
    return trips;
  }

  /** Fills after every stored fill of their position, in time order: its open trip steps forward. */
  private append(
    at: Position,
    fills: ExecutionRecord[],
    reports: ReadonlyMap<string, CommissionRecord>,
    totals: TripTotals,
  ): void {
    const openRow = this.stmt.openTrip!.get(at.account, at.conId) as Row | undefined;
    const { trips, parts } = stepRoundTrips(
      openRow && shapeFromRow(openRow),
      fills.map((f) => ({
        baseExecId: f.baseExecId,
        side: f.side,
        shares: toDecimal(f.shares),
        time: f.time,
      })),
    );
    const ids = new Map<string, number>();
    for (const trip of trips) ids.set(trip.openKey, this.saveTrip(at.account, at.conId, trip));
    const byExec = new Map(fills.map((f) => [f.baseExecId, f]));
    for (const part of parts) {
      const id = ids.get(part.openKey)!;
      this.stmt.insertPart!.run(id, part.baseExecId, part.quantity, part.money ? 1 : 0);
      const report = reports.get(part.baseExecId);
      if (report)
        totals.add(id, tripContribution(part.money, contribution(byExec.get(part.baseExecId)!, report)), +1);
    }
  }

  /** Daily realized totals moved by a group's credits: each day read and written once. */
  addDaily(credits: readonly Credit[]): void {
    const days = new Map<string, { account: string; day: string; totals: MoneyTotals }>();
    for (const { contribution: c, time, sign } of credits) {
      const day = utcDay(time!);
      const key = `${c.account}|${c.currency}|${day}`;
      let entry = days.get(key);
      if (!entry) {
        const row = this.stmt.dailyRow!.get(c.account, c.currency, day) as Row | undefined;
        entry = { account: c.account, day, totals: row ? totalsFromRow(row) : zero(c.currency) };
        days.set(key, entry);
      }
      entry.totals = addContribution(entry.totals, c, sign);
    }
    for (const { account, day, totals } of days.values()) {
      // As PostgreSQL does: a day left without joined fills (all taken back) has no row.
      if (totals.reports === 0) this.stmt.deleteDaily!.run(account, totals.currency, day);
      else this.stmt.upsertDaily!.run({ ...totals, flexReports: totals.flexReports ?? 0, account, day });
    }
  }

  /**
   * Positions as IB reports them once a sync has caught up. A position seen for the first time
   * gets what it held before its first stored fill (IB's quantity minus the stored fills), once:
   * non-zero means the ledger began after it opened.
   */
  reconcile(positions: Array<{ account: string; conId: number; quantity: number }>): CurrentTrip[] {
    const changed: CurrentTrip[] = [];
    for (const { account, conId, quantity } of positions) {
      if (this.stmt.carry!.get(account, conId)) continue;
      if (this.establishCarry(account, conId, quantity) !== '0') changed.push(this.rederive(account, conId));
    }
    return changed;
  }

  /** What the position held before its stored fills, once learned (reconcile); undefined before. */
  carryOf(account: string, conId: number): string | undefined {
    return (this.stmt.carry!.get(account, conId) as Row | undefined)?.quantity as string | undefined;
  }

  saveCarry(account: string, conId: number, quantity: string): void {
    this.stmt.saveCarry!.run(account, conId, quantity);
  }

  /** The position's first stored fill in time order, if it has one. */
  firstFill(account: string, conId: number): { time: number; baseExecId: string } | undefined {
    const row = this.stmt.firstFill!.get(account, conId) as Row | undefined;
    return row && { time: row.time_ms as number, baseExecId: row.base_exec_id as string };
  }

  private establishCarry(account: string, conId: number, quantity: number): string {
    const fills = (this.stmt.fillsOf!.all(account, conId) as Row[]).map(tripFill);
    const carried = carriedQuantity(toDecimal(quantity), fills);
    this.stmt.saveCarry!.run(account, conId, carried);
    return carried;
  }

  /** Every round trip and daily total derived from the stored fills: once, for a ledger older than them. */
  rebuild(): void {
    const positions = this.db
      .prepare(
        `SELECT k.account, k.con_id, coalesce(p.quantity, 0) AS quantity FROM
          (SELECT DISTINCT account, con_id FROM executions UNION SELECT account, con_id FROM positions) k
          LEFT JOIN positions p USING (account, con_id)`,
      )
      .all() as Row[];
    this.db.exec(`DELETE FROM round_trip_fills; DELETE FROM round_trip_totals; DELETE FROM round_trips;
      DELETE FROM round_trip_carry; DELETE FROM daily_realized;`);
    for (const r of positions) {
      const [account, conId] = [r.account as string, r.con_id as number];
      this.establishCarry(account, conId, r.quantity as number);
      this.rederive(account, conId);
    }
    const joined = this.db
      .prepare(
        `SELECT e.account, e.con_id, e.time_ms, c.currency, r.exec_id AS report_exec_id, r.revision AS report_revision, r.commission,
          r.currency AS report_currency, r.realized_pnl, r.source AS report_source, r.base_exec_id
        FROM executions e JOIN contracts c USING (con_id) JOIN commission_reports r USING (base_exec_id)`,
      )
      .all() as Row[];
    this.addDaily(
      joined.map((row) => {
        const owner = {
          account: row.account as string,
          contract: { conId: row.con_id as number, currency: row.currency as string },
        };
        return {
          contribution: contribution(owner, joinedReportFromRow(row)),
          time: row.time_ms as number,
          sign: 1,
        };
      }),
    );
  }

  /** Derives one position's round trips again from its fills, keeping the ids of trips that stay. */
  rederive(account: string, conId: number): CurrentTrip {
    const carryRow = this.stmt.carry!.get(account, conId) as Row | undefined;
    const rows = this.stmt.fillsOf!.all(account, conId) as Row[];
    const { trips, parts } = deriveRoundTrips(
      (carryRow?.quantity as string | undefined) ?? '0',
      rows.map(tripFill),
    );
    const before = new Map(
      (this.stmt.tripsOf!.all(account, conId) as Row[]).map((r) => [r.open_key as string, r.id as number]),
    );
    for (const id of before.values()) {
      this.stmt.clearParts!.run(id);
      this.stmt.clearTotals!.run(id);
    }
    const ids = new Map<string, number>();
    for (const trip of trips) ids.set(trip.openKey, this.saveTrip(account, conId, trip));
    for (const [key, id] of before) if (!ids.has(key)) this.stmt.deleteTrip!.run(id);
    const byExec = new Map(rows.map((r) => [r.base_exec_id as string, r]));
    const totals = new TripTotals(this.stmt);
    for (const part of parts) {
      const id = ids.get(part.openKey)!;
      this.stmt.insertPart!.run(id, part.baseExecId, part.quantity, part.money ? 1 : 0);
      const row = byExec.get(part.baseExecId)!;
      if (row.report_exec_id !== null) {
        const owner = { account, contract: { conId, currency: row.currency as string } };
        totals.add(id, tripContribution(part.money, contribution(owner, joinedReportFromRow(row))), +1);
      }
    }
    totals.flush();
    return this.current(account, conId);
  }

  private saveTrip(account: string, conId: number, trip: TripShape): number {
    const row = this.stmt.insertTrip!.get({
      account,
      conId,
      openKey: trip.openKey,
      openedBeforeLedger: trip.openedBeforeLedger ? 1 : 0,
      openTime: nul(trip.openTime),
      closeTime: nul(trip.closeTime),
      quantity: trip.quantity,
      fills: trip.fills,
    }) as Row;
    return row.id as number;
  }

  current(account: string, conId: number): CurrentTrip {
    const row = this.stmt.currentTrip!.get(account, conId) as Row | undefined;
    return { account, conId, trip: row && this.tripFromRow(row) };
  }

  tripFromRow(row: Row): RoundTrip {
    const id = row.id as number;
    return {
      ...shapeFromRow(row),
      id,
      account: row.account as string,
      conId: row.con_id as number,
      totals: (this.stmt.totals!.all(id) as Row[]).map(totalsFromRow),
    };
  }

  /** Closed round trips, newest first. */
  closed(query: HistoryQuery): RoundTripRow[] {
    const rows = this.db
      .prepare(
        `SELECT t.*, ${CONTRACT_COLUMNS} FROM round_trips t JOIN contracts c USING (con_id)
        WHERE t.close_time_ms IS NOT NULL AND (@account IS NULL OR t.account = @account)
          AND (@symbol IS NULL OR c.symbol = @symbol) AND (@since IS NULL OR t.close_time_ms >= @since)
        ORDER BY t.close_time_ms DESC, t.id DESC LIMIT @limit OFFSET @offset`,
      )
      .all({
        account: nul(query.account),
        symbol: nul(query.symbol),
        since: nul(query.sinceMs),
        limit: query.limit,
        offset: query.offset,
      }) as Row[];
    return rows.map((row) => ({ ...this.tripFromRow(row), contract: contractFromRow(row) }));
  }

  byId(id: number): RoundTripRow | undefined {
    const row = this.db
      .prepare(
        `SELECT t.*, ${CONTRACT_COLUMNS} FROM round_trips t JOIN contracts c USING (con_id) WHERE t.id = ?`,
      )
      .get(id) as Row | undefined;
    return row && { ...this.tripFromRow(row), contract: contractFromRow(row) };
  }

  fillsOfTrip(id: number): RoundTripFill[] {
    const rows = this.db
      .prepare(
        `SELECT f.quantity AS part, f.money, e.exec_id, e.side, e.shares, e.price, e.time_ms, r.commission,
          r.currency AS commission_currency, r.realized_pnl, e.source, r.source AS report_source
        FROM round_trip_fills f JOIN executions e USING (base_exec_id)
        LEFT JOIN commission_reports r USING (base_exec_id)
        WHERE f.round_trip_id = ? ORDER BY e.time_ms, e.base_exec_id`,
      )
      .all(id) as Row[];
    return rows.map(tripFillFromRow);
  }

  /** The current trip of every position that has one (at start: one query, no fills read). */
  currentTrips(): CurrentTrip[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY account, con_id
            ORDER BY close_time_ms IS NULL DESC, close_time_ms DESC, id DESC) AS n FROM round_trips) WHERE n = 1`,
      )
      .all() as Row[];
    return rows.map((row) => ({
      account: row.account as string,
      conId: row.con_id as number,
      trip: this.tripFromRow(row),
    }));
  }
}

/** What a fill group wrote, and what the ledger held of its execIds before. */
export interface StoredGroup {
  /** The executions written (inserted or replacing a stored version), one per base execId. */
  executions: ExecutionRecord[];
  /** The commission reports written. */
  reports: CommissionRecord[];
  /** The stored fills of the group's execIds before it, with their times. */
  stored: ReadonlyMap<string, StoredFill>;
  storedReports: ReadonlyMap<string, CommissionRecord>;
}

interface Position {
  key: string;
  account: string;
  conId: number;
}

const position = (account: string, conId: number): Position => ({
  key: `${account}|${conId}`,
  account,
  conId,
});

/** Round trip totals moved by several contributions: each (trip, currency) read and written once. */
class TripTotals {
  private readonly rows = new Map<string, { id: number; totals: MoneyTotals }>();

  constructor(private readonly stmt: Record<string, Statement>) {}

  add(id: number, c: LedgerContribution, sign: 1 | -1): void {
    const key = `${id}|${c.currency}`;
    let entry = this.rows.get(key);
    if (!entry) {
      const row = this.stmt.totalsRow!.get(id, c.currency) as Row | undefined;
      entry = { id, totals: row ? totalsFromRow(row) : zero(c.currency) };
      this.rows.set(key, entry);
    }
    entry.totals = addContribution(entry.totals, c, sign);
  }

  flush(): void {
    for (const { id, totals } of this.rows.values())
      this.stmt.upsertTotals!.run({ id, ...totals, flexReports: totals.flexReports ?? 0 });
    this.rows.clear();
  }
}
