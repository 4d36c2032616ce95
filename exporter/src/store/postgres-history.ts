// The trade history in PostgreSQL: round trips and daily realized totals, the same tables and the
// same rules (domain/round-trips.ts) as SQLite. SQLite steps the open trip fill by fill; here a
// fill group re-derives each position it touched from that position's stored fills, in a few
// statements for the whole group, inside the group's transaction.
import type pg from 'pg';
import { addContribution, addTotals, contribution, tripContribution } from '../domain/ledger.js';
import { toDecimal } from '../domain/money.js';
import type { Credit, StoredFill } from '../domain/fill-group.js';
import { carriedQuantity, compareFills, deriveRoundTrips, stepRoundTrips } from '../domain/round-trips.js';
import type { CurrentTrip, RoundTrip, TripFill, TripShape } from '../domain/round-trips.js';
import type { CommissionRecord, ExecutionRecord, LedgerContribution, MoneyTotals } from '../domain/types.js';
import { contractFromRow, joinedReportFromRow, opt, totalsFromRow, tripFillFromRow } from './rows.js';
import type { Row } from './rows.js';
import type { HistoryQuery, RoundTripFill, RoundTripRow } from './store.js';

export interface PositionKey {
  account: string;
  conId: number;
}

const CONTRACT_COLUMNS = `c.symbol, c.sec_type, c.currency, c.exchange, c.local_symbol, c.multiplier,
  c.last_trade_date, c.strike, c."right"`;
const zero = (currency: string): MoneyTotals => ({
  currency,
  realizedPnl: '0',
  commissions: '0',
  reports: 0,
});
const keyOf = (k: PositionKey) => `${k.account}|${k.conId}`;
/** Rows with account and con_id columns, by position, in their order. */
function groupByPosition(rows: Row[]): Map<string, Row[]> {
  const byPosition = new Map<string, Row[]>();
  for (const row of rows) {
    const key = keyOf({ account: row.account as string, conId: row.con_id as number });
    const group = byPosition.get(key);
    if (group) group.push(row);
    else byPosition.set(key, [row]);
  }
  return byPosition;
}
const utcDayStart = (ms: number) => ms - (((ms % 86_400_000) + 86_400_000) % 86_400_000);

function tripFromRow(row: Row): RoundTrip {
  return {
    id: row.id as number,
    account: row.account as string,
    conId: row.con_id as number,
    openKey: row.open_key as string,
    openedBeforeLedger: row.opened_before_ledger === 1,
    openTime: opt(row.open_time_ms as number | null),
    closeTime: opt(row.close_time_ms as number | null),
    quantity: row.quantity as string,
    fills: row.fills as number,
    totals: ((row.totals as Row[] | null) ?? []).map(totalsFromRow),
  };
}

/** A round_trips row with its totals as a JSON array, NUMERIC kept as text. */
const TRIP_SELECT = `t.*, (SELECT json_agg(json_build_object('currency', x.currency, 'realized_pnl', x.realized_pnl::text,
    'commissions', x.commissions::text, 'reports', x.reports, 'flex_reports', x.flex_reports) ORDER BY x.currency)
  FROM round_trip_totals x WHERE x.round_trip_id = t.id) AS totals`;

const unnestPositions = (keys: readonly PositionKey[]) => [
  keys.map((k) => k.account),
  keys.map((k) => k.conId),
];

/** What a fill group wrote, and what the ledger held of its execIds before. */
export interface StoredGroup {
  /** The executions written (inserted or replacing a stored version), one per base execId. */
  executions: ExecutionRecord[];
  /** The commission reports written. */
  reports: CommissionRecord[];
  stored: ReadonlyMap<string, StoredFill>;
  storedReports: ReadonlyMap<string, CommissionRecord>;
}

const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

export class PostgresHistory {
  /**
   * After a group's rows are written: the round trips of every position it touched, moved once.
   * Fills that all come after their position's stored fills step its open trip on, and a report
   * for a fill stored earlier moves the trips of that fill, in a few statements for the group;
   * a position with a fill in the past or a correction is derived again from its fills. Deriving
   * every touched position made a long backfill quadratic (each group read all the fills so far).
   */
  async groupStored(client: pg.ClientBase, group: StoredGroup): Promise<CurrentTrip[]> {
    const rederive = new Map<string, PositionKey>();
    const appends = new Map<string, PositionKey & { fills: ExecutionRecord[] }>();
    for (const e of group.executions) {
      const at = { account: e.account, conId: e.contract.conId };
      const old = group.stored.get(e.baseExecId);
      if (old) {
        rederive.set(keyOf(at), at);
        const from = { account: old.account, conId: old.contract.conId };
        rederive.set(keyOf(from), from);
      } else {
        const entry = appends.get(keyOf(at)) ?? { ...at, fills: [] };
        entry.fills.push(e);
        appends.set(keyOf(at), entry);
      }
    }
    const candidates = [...appends.values()]
      .filter((a) => !rederive.has(keyOf(a)))
      .map((a) => ({ ...a, fills: [...a.fills].sort(compareFills) }));
    if (candidates.length > 0) {
      // A stored fill, other than the group's own, after the group's first fill of the position.
      const late = await client.query(
        `SELECT k.account, k.con_id FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[]) AS k (account, con_id, t, id)
         WHERE EXISTS (SELECT 1 FROM executions e WHERE e.account = k.account AND e.con_id = k.con_id
           AND (e.time_ms, e.base_exec_id) > (k.t, k.id) AND NOT (e.base_exec_id = ANY($5::text[])))`,
        [
          candidates.map((c) => c.account),
          candidates.map((c) => c.conId),
          candidates.map((c) => c.fills[0]!.time),
          candidates.map((c) => c.fills[0]!.baseExecId),
          group.executions.map((e) => e.baseExecId),
        ],
      );
      for (const r of late.rows as Row[]) {
        const at = { account: r.account as string, conId: r.con_id as number };
        rederive.set(keyOf(at), at);
      }
    }
    const steps = candidates.filter((c) => !rederive.has(keyOf(c)));
    const written = new Set(group.executions.map((e) => e.baseExecId));
    const lateReports = group.reports.flatMap((report) => {
      const owner = group.stored.get(report.baseExecId);
      if (written.has(report.baseExecId) || !owner) return [];
      if (rederive.has(keyOf({ account: owner.account, conId: owner.contract.conId }))) return [];
      return [{ report, owner, previous: group.storedReports.get(report.baseExecId) }];
    });
    const moved = new Map<string, PositionKey>();
    for (const s of steps) moved.set(keyOf(s), { account: s.account, conId: s.conId });
    for (const { owner } of lateReports) {
      const at = { account: owner.account, conId: owner.contract.conId };
      moved.set(keyOf(at), at);
    }
    // Money each trip gains, summed here and added to the stored totals in one statement.
    const deltas = new Map<string, { id: number; totals: MoneyTotals }>();
    const add = (id: number, c: LedgerContribution, sign: 1 | -1) => {
      const key = `${id}|${c.currency}`;
      const entry = deltas.get(key) ?? { id, totals: zero(c.currency) };
      entry.totals = addContribution(entry.totals, c, sign);
      deltas.set(key, entry);
    };
    if (steps.length > 0) await this.step(client, steps, group, add);
    if (lateReports.length > 0) {
      const parts = await client.query(
        `SELECT round_trip_id, base_exec_id, money FROM round_trip_fills WHERE base_exec_id = ANY($1::text[])`,
        [lateReports.map((r) => r.report.baseExecId)],
      );
      const byExec = new Map(lateReports.map((r) => [r.report.baseExecId, r]));
      for (const part of parts.rows as Row[]) {
        const { report, owner, previous } = byExec.get(part.base_exec_id as string)!;
        const money = part.money === 1;
        if (previous)
          add(part.round_trip_id as number, tripContribution(money, contribution(owner, previous)), -1);
        add(part.round_trip_id as number, tripContribution(money, contribution(owner, report)), +1);
      }
    }
    if (deltas.size > 0) {
      // Added here with big.js, as deriving does, so both give the same decimal text ("270", not "270.0").
      const ids = [...new Set([...deltas.values()].map((d) => d.id))];
      const stored = await client.query(
        `SELECT round_trip_id, currency, realized_pnl::text, commissions::text, reports, flex_reports
         FROM round_trip_totals WHERE round_trip_id = ANY($1::bigint[])`,
        [ids],
      );
      const before = new Map(
        (stored.rows as Row[]).map((r) => [`${r.round_trip_id}|${r.currency}`, totalsFromRow(r)]),
      );
      const rows = [...deltas].map(([key, d]) => ({
        id: d.id,
        ...addTotals(before.get(key) ?? zero(d.totals.currency), d.totals),
      }));
      await this.writeTripTotals(client, rows, true);
    }
    for (const key of rederive.keys()) moved.delete(key);
    return [
      ...(await this.rederive(client, [...rederive.values()])),
      ...(moved.size > 0 ? await this.current(client, [...moved.values()]) : []),
    ];
  }

  /** Fills after every stored fill of their position step its open trip on, for all positions at once. */
  private async step(
    client: pg.ClientBase,
    steps: Array<PositionKey & { fills: ExecutionRecord[] }>,
    group: StoredGroup,
    add: (id: number, c: LedgerContribution, sign: 1 | -1) => void,
  ): Promise<void> {
    const open = await client.query(
      `SELECT t.* FROM round_trips t JOIN unnest($1::text[], $2::bigint[]) AS k (account, con_id) USING (account, con_id)
       WHERE t.close_time_ms IS NULL`,
      unnestPositions(steps),
    );
    const openOf = new Map(
      (open.rows as Row[]).map((r) => [
        keyOf({ account: r.account as string, conId: r.con_id as number }),
        tripFromRow(r),
      ]),
    );
    const trips: Array<PositionKey & { shape: TripShape }> = [];
    const parts: Array<
      PositionKey & { openKey: string; baseExecId: string; quantity: string; money: boolean }
    > = [];
    for (const s of steps) {
      const derived = stepRoundTrips(
        openOf.get(keyOf(s)),
        s.fills.map((f) => ({
          baseExecId: f.baseExecId,
          side: f.side,
          shares: toDecimal(f.shares),
          time: f.time,
        })),
      );
      for (const shape of derived.trips) trips.push({ account: s.account, conId: s.conId, shape });
      for (const part of derived.parts) parts.push({ account: s.account, conId: s.conId, ...part });
    }
    const ids = await this.saveTrips(client, trips);
    await client.query(
      `INSERT INTO round_trip_fills (round_trip_id, base_exec_id, quantity, money)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::numeric[], $4::int[])`,
      [
        parts.map((p) => ids.get(`${p.account}|${p.conId}|${p.openKey}`)!),
        parts.map((p) => p.baseExecId),
        parts.map((p) => p.quantity),
        parts.map((p) => (p.money ? 1 : 0)),
      ],
    );
    const reports = new Map(group.storedReports);
    for (const r of group.reports) reports.set(r.baseExecId, r);
    const fills = new Map(steps.flatMap((s) => s.fills.map((f) => [f.baseExecId, f] as const)));
    for (const p of parts) {
      const report = reports.get(p.baseExecId);
      if (!report) continue;
      add(
        ids.get(`${p.account}|${p.conId}|${p.openKey}`)!,
        tripContribution(p.money, contribution(fills.get(p.baseExecId)!, report)),
        +1,
      );
    }
  }

  /** Upserts trip shapes (a trip that stays keeps its id); returns their ids by position and opening fill. */
  private async saveTrips(
    client: pg.ClientBase,
    trips: ReadonlyArray<PositionKey & { shape: TripShape }>,
  ): Promise<Map<string, number>> {
    const saved = await client.query(
      `INSERT INTO round_trips (account, con_id, open_key, opened_before_ledger, open_time_ms, close_time_ms, quantity, fills)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::int[], $5::bigint[], $6::bigint[], $7::numeric[], $8::int[])
       ON CONFLICT (account, con_id, open_key) DO UPDATE SET opened_before_ledger = excluded.opened_before_ledger,
         open_time_ms = excluded.open_time_ms, close_time_ms = excluded.close_time_ms, quantity = excluded.quantity,
         fills = excluded.fills
       RETURNING id, account, con_id, open_key`,
      [
        trips.map((t) => t.account),
        trips.map((t) => t.conId),
        trips.map((t) => t.shape.openKey),
        trips.map((t) => (t.shape.openedBeforeLedger ? 1 : 0)),
        trips.map((t) => t.shape.openTime ?? null),
        trips.map((t) => t.shape.closeTime ?? null),
        trips.map((t) => t.shape.quantity),
        trips.map((t) => t.shape.fills),
      ],
    );
    return new Map(
      (saved.rows as Row[]).map((r) => [`${r.account}|${r.con_id}|${r.open_key}`, r.id as number]),
    );
  }

  /** Daily totals moved by a group's credits (joined fills added or taken back), in one statement. */
  async addDaily(client: pg.ClientBase, credits: readonly Credit[]): Promise<void> {
    const days = new Map<string, { account: string; day: string; totals: MoneyTotals }>();
    for (const { contribution: c, time, sign } of credits) {
      const day = utcDay(time!);
      const key = `${c.account}|${c.currency}|${day}`;
      const entry = days.get(key) ?? { account: c.account, day, totals: zero(c.currency) };
      entry.totals = addContribution(entry.totals, c, sign);
      days.set(key, entry);
    }
    if (days.size === 0) return;
    const rows = [...days.values()];
    const keys = [rows.map((r) => r.account), rows.map((r) => r.totals.currency), rows.map((r) => r.day)];
    await client.query(
      `INSERT INTO daily_realized (account, currency, day, realized_pnl, commissions, reports, flex_reports)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::numeric[], $5::numeric[], $6::int[], $7::int[])
       ON CONFLICT (account, currency, day) DO UPDATE SET
         realized_pnl = daily_realized.realized_pnl + excluded.realized_pnl,
         commissions = daily_realized.commissions + excluded.commissions,
         reports = daily_realized.reports + excluded.reports,
         flex_reports = daily_realized.flex_reports + excluded.flex_reports`,
      [
        ...keys,
        rows.map((r) => r.totals.realizedPnl),
        rows.map((r) => r.totals.commissions),
        rows.map((r) => r.totals.reports),
        rows.map((r) => r.totals.flexReports ?? 0),
      ],
    );
    // As when a day is summed again: a day left without joined fills has no row.
    await client.query(
      `DELETE FROM daily_realized d USING unnest($1::text[], $2::text[], $3::text[]) AS k (account, currency, day)
       WHERE d.account = k.account AND d.currency = k.currency AND d.day = k.day AND d.reports = 0`,
      keys,
    );
  }

  /** Re-derives the round trips of these positions from their stored fills; returns their current trips. */
  async rederive(client: pg.ClientBase, keys: readonly PositionKey[]): Promise<CurrentTrip[]> {
    if (keys.length === 0) return [];
    // One after the other: a client runs one query at a time anyway, and pg 9 refuses overlapping ones.
    const fills = await client.query(
      `SELECT e.base_exec_id, e.side, e.shares, e.time_ms, e.account, e.con_id, c.currency,
           r.exec_id AS report_exec_id, r.revision AS report_revision, r.commission::text, r.currency AS report_currency,
           r.realized_pnl::text, r.source AS report_source
         FROM executions e JOIN contracts c USING (con_id) LEFT JOIN commission_reports r USING (base_exec_id)
         JOIN unnest($1::text[], $2::bigint[]) AS k (account, con_id) ON e.account = k.account AND e.con_id = k.con_id`,
      unnestPositions(keys),
    );
    const carries = await client.query(
      `SELECT r.account, r.con_id, r.quantity::text FROM round_trip_carry r
         JOIN unnest($1::text[], $2::bigint[]) AS k (account, con_id) USING (account, con_id)`,
      unnestPositions(keys),
    );
    const before = await client.query(
      `SELECT t.id, t.account, t.con_id, t.open_key FROM round_trips t
         JOIN unnest($1::text[], $2::bigint[]) AS k (account, con_id) USING (account, con_id)`,
      unnestPositions(keys),
    );
    const byPosition = groupByPosition(fills.rows as Row[]);
    const carry = new Map(
      (carries.rows as Row[]).map((r) => [
        keyOf({ account: r.account as string, conId: r.con_id as number }),
        r.quantity as string,
      ]),
    );
    const trips: Array<PositionKey & { shape: ReturnType<typeof deriveRoundTrips>['trips'][number] }> = [];
    const parts: Array<
      PositionKey & { openKey: string; baseExecId: string; quantity: string; money: boolean }
    > = [];
    const totals = new Map<string, MoneyTotals>(); // position|openKey|currency
    for (const k of keys) {
      const rows = byPosition.get(keyOf(k)) ?? [];
      const derived = deriveRoundTrips(
        carry.get(keyOf(k)) ?? '0',
        rows.map((row): TripFill => ({
          baseExecId: row.base_exec_id as string,
          side: row.side as 'buy' | 'sell',
          shares: toDecimal(row.shares as number),
          time: row.time_ms as number,
        })),
      );
      for (const shape of derived.trips) trips.push({ ...k, shape });
      const byExec = new Map(rows.map((r) => [r.base_exec_id as string, r]));
      for (const part of derived.parts) {
        parts.push({ ...k, ...part });
        const row = byExec.get(part.baseExecId)!;
        if (row.report_exec_id === null) continue;
        const owner = { account: k.account, contract: { conId: k.conId, currency: row.currency as string } };
        const c = tripContribution(part.money, contribution(owner, joinedReportFromRow(row)));
        const key = `${keyOf(k)}|${part.openKey}|${c.currency}`;
        totals.set(key, addContribution(totals.get(key) ?? zero(c.currency), c, +1));
      }
    }

    // Trips that stay keep their ids (the API hands them out); the others go, with their parts.
    const ids = await this.saveTrips(client, trips);
    const oldIds = (before.rows as Row[]).map((r) => r.id as number);
    const gone = (before.rows as Row[])
      .filter((r) => !ids.has(`${r.account}|${r.con_id}|${r.open_key}`))
      .map((r) => r.id as number);
    await client.query(`DELETE FROM round_trip_fills WHERE round_trip_id = ANY($1::bigint[])`, [oldIds]);
    await client.query(`DELETE FROM round_trip_totals WHERE round_trip_id = ANY($1::bigint[])`, [oldIds]);
    await client.query(`DELETE FROM round_trips WHERE id = ANY($1::bigint[])`, [gone]);
    const partIds = parts.map((p) => ids.get(`${p.account}|${p.conId}|${p.openKey}`)!);
    await client.query(
      `INSERT INTO round_trip_fills (round_trip_id, base_exec_id, quantity, money)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::numeric[], $4::int[])`,
      [
        partIds,
        parts.map((p) => p.baseExecId),
        parts.map((p) => p.quantity),
        parts.map((p) => (p.money ? 1 : 0)),
      ],
    );
    const totalRows = [...totals].map(([key, t]) => {
      const [account, conId, openKey] = key.split('|');
      return { id: ids.get(`${account}|${conId}|${openKey}`)!, ...t };
    });
    await this.writeTripTotals(client, totalRows, false);
    return this.current(client, keys);
  }

  /** Round trip totals rows in one statement; `replace` for rows that may exist already. */
  private async writeTripTotals(
    client: pg.ClientBase,
    rows: ReadonlyArray<MoneyTotals & { id: number }>,
    replace: boolean,
  ): Promise<void> {
    await client.query(
      `INSERT INTO round_trip_totals (round_trip_id, currency, realized_pnl, commissions, reports, flex_reports)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::numeric[], $4::numeric[], $5::int[], $6::int[])
       ${
         replace
           ? `ON CONFLICT (round_trip_id, currency) DO UPDATE SET realized_pnl = excluded.realized_pnl,
           commissions = excluded.commissions, reports = excluded.reports, flex_reports = excluded.flex_reports`
           : ''
       }`,
      [
        rows.map((r) => r.id),
        rows.map((r) => r.currency),
        rows.map((r) => r.realizedPnl),
        rows.map((r) => r.commissions),
        rows.map((r) => r.reports),
        rows.map((r) => r.flexReports ?? 0),
      ],
    );
  }

  /**
   * Daily realized totals of these accounts on the UTC days of these fill times, summed again from
   * the joined fills (exact NUMERIC sums), so a correction that moves a fill's day is right too.
   */
  async refreshDaily(
    client: pg.ClientBase,
    days: ReadonlyArray<{ account: string; time: number }>,
  ): Promise<void> {
    const keys = new Map(
      days.map((d) => [
        `${d.account}|${utcDayStart(d.time)}`,
        { account: d.account, start: utcDayStart(d.time) },
      ]),
    );
    if (keys.size === 0) return;
    const params = [[...keys.values()].map((k) => k.account), [...keys.values()].map((k) => k.start)];
    await client.query(
      `DELETE FROM daily_realized d USING unnest($1::text[], $2::bigint[]) AS k (account, start)
       WHERE d.account = k.account
         AND d.day = to_char(to_timestamp(k.start / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD')`,
      params,
    );
    await client.query(
      `INSERT INTO daily_realized (account, currency, day, realized_pnl, commissions, reports, flex_reports)
       SELECT e.account, coalesce(r.currency, c.currency),
         to_char(to_timestamp(k.start / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
         coalesce(sum(r.realized_pnl), 0), sum(coalesce(r.commission, 0)), count(*),
         count(*) FILTER (WHERE r.source = 'flex')
       FROM unnest($1::text[], $2::bigint[]) AS k (account, start)
       JOIN executions e ON e.account = k.account AND e.time_ms >= k.start AND e.time_ms < k.start + 86400000
       JOIN contracts c USING (con_id) JOIN commission_reports r USING (base_exec_id)
       GROUP BY e.account, coalesce(r.currency, c.currency), k.start`,
      params,
    );
  }

  /**
   * Positions as IB reports them once synced: one seen for the first time learns what it held
   * before its first stored fill, once; non-zero means the ledger began after it opened.
   */
  async reconcile(
    client: pg.ClientBase,
    positions: ReadonlyArray<{ account: string; conId: number; quantity: number }>,
  ): Promise<CurrentTrip[]> {
    if (positions.length === 0) return [];
    const known = await client.query(
      `SELECT r.account, r.con_id FROM round_trip_carry r
       JOIN unnest($1::text[], $2::bigint[]) AS k (account, con_id) USING (account, con_id)`,
      unnestPositions(positions),
    );
    const seen = new Set(
      (known.rows as Row[]).map((r) => keyOf({ account: r.account as string, conId: r.con_id as number })),
    );
    const fresh = positions.filter((p) => !seen.has(keyOf(p)));
    if (fresh.length === 0) return [];
    const fills = await client.query(
      `SELECT e.account, e.con_id, e.side, e.shares FROM executions e
       JOIN unnest($1::text[], $2::bigint[]) AS k (account, con_id) USING (account, con_id)`,
      unnestPositions(fresh),
    );
    const byPosition = groupByPosition(fills.rows as Row[]);
    const carried = fresh.map((p) => ({
      ...p,
      carried: carriedQuantity(
        toDecimal(p.quantity),
        (byPosition.get(keyOf(p)) ?? []).map((r) => ({
          side: r.side as 'buy' | 'sell',
          shares: toDecimal(r.shares as number),
        })),
      ),
    }));
    await client.query(
      `INSERT INTO round_trip_carry (account, con_id, quantity) SELECT * FROM unnest($1::text[], $2::bigint[], $3::numeric[])
       ON CONFLICT (account, con_id) DO NOTHING`,
      [carried.map((c) => c.account), carried.map((c) => c.conId), carried.map((c) => c.carried)],
    );
    return this.rederive(
      client,
      carried.filter((c) => c.carried !== '0'),
    );
  }

  /** The trip each position's series show: the open one, else the one closed last. */
  async current(client: pg.ClientBase, keys: readonly PositionKey[]): Promise<CurrentTrip[]> {
    const { rows } = await client.query(
      `SELECT DISTINCT ON (t.account, t.con_id) ${TRIP_SELECT} FROM round_trips t
       JOIN unnest($1::text[], $2::bigint[]) AS k (account, con_id) USING (account, con_id)
       ORDER BY t.account, t.con_id, t.close_time_ms IS NULL DESC, t.close_time_ms DESC, t.id DESC`,
      unnestPositions(keys),
    );
    const found = new Map(
      (rows as Row[]).map((r) => [
        keyOf({ account: r.account as string, conId: r.con_id as number }),
        tripFromRow(r),
      ]),
    );
    return keys.map((k) => ({ account: k.account, conId: k.conId, trip: found.get(keyOf(k)) }));
  }

  /** The current trip of every position of these accounts (all when undefined), at start. */
  async currentTrips(client: pg.ClientBase, accounts: string[] | null): Promise<CurrentTrip[]> {
    const { rows } = await client.query(
      `SELECT DISTINCT ON (t.account, t.con_id) ${TRIP_SELECT} FROM round_trips t
       WHERE ($1::text[] IS NULL OR t.account = ANY($1::text[]))
       ORDER BY t.account, t.con_id, t.close_time_ms IS NULL DESC, t.close_time_ms DESC, t.id DESC`,
      [accounts],
    );
    return (rows as Row[]).map((r) => ({
      account: r.account as string,
      conId: r.con_id as number,
      trip: tripFromRow(r),
    }));
  }

  async closed(client: pg.ClientBase, query: HistoryQuery): Promise<RoundTripRow[]> {
    const { rows } = await client.query(
      `SELECT ${TRIP_SELECT}, ${CONTRACT_COLUMNS} FROM round_trips t JOIN contracts c USING (con_id)
       WHERE t.close_time_ms IS NOT NULL AND ($1::text IS NULL OR t.account = $1)
         AND ($2::text IS NULL OR c.symbol = $2) AND ($3::bigint IS NULL OR t.close_time_ms >= $3)
       ORDER BY t.close_time_ms DESC, t.id DESC LIMIT $4 OFFSET $5`,
      [query.account ?? null, query.symbol ?? null, query.sinceMs ?? null, query.limit, query.offset],
    );
    return (rows as Row[]).map((row) => ({ ...tripFromRow(row), contract: contractFromRow(row) }));
  }

  async byId(client: pg.ClientBase, id: number): Promise<RoundTripRow | undefined> {
    const { rows } = await client.query(
      `SELECT ${TRIP_SELECT}, ${CONTRACT_COLUMNS} FROM round_trips t JOIN contracts c USING (con_id) WHERE t.id = $1`,
      [id],
    );
    const row = rows[0] as Row | undefined;
    return row && { ...tripFromRow(row), contract: contractFromRow(row) };
  }

  async fillsOfTrip(client: pg.ClientBase, id: number): Promise<RoundTripFill[]> {
    const { rows } = await client.query(
      `SELECT f.quantity::text AS part, f.money, e.exec_id, e.side, e.shares, e.price, e.time_ms, r.commission::text,
         r.currency AS commission_currency, r.realized_pnl::text, e.source, r.source AS report_source
       FROM round_trip_fills f JOIN executions e USING (base_exec_id)
       LEFT JOIN commission_reports r USING (base_exec_id)
       WHERE f.round_trip_id = $1 ORDER BY e.time_ms, e.base_exec_id`,
      [id],
    );
    return (rows as Row[]).map(tripFillFromRow);
  }
}
