// Compares the exporter's SQLite ledger with what the simulator knows it sent: the set of fills
// (latest revision of each) and the exact decimal sums of commissions and realized PnL.
import Big from 'big.js';
import Database from 'better-sqlite3';
import pg from 'pg';
import { parseExecId } from '../../src/domain/exec-id.js';
import type { GatewaySimulator } from '../../src/sim/server.js';

export interface LedgerFacts {
  execIds: string[];
  commissions: string;
  realizedPnl: string;
}

function facts(execIds: string[], totals: Array<{ realized_pnl: string; commissions: string }>): LedgerFacts {
  return {
    execIds,
    commissions: totals.reduce((sum, t) => sum.plus(t.commissions), new Big(0)).toString(),
    realizedPnl: totals.reduce((sum, t) => sum.plus(t.realized_pnl), new Big(0)).toString(),
  };
}

export function storedLedger(dbPath: string): LedgerFacts {
  const db = new Database(dbPath, { readonly: true });
  try {
    const execIds = db.prepare('SELECT exec_id FROM executions ORDER BY exec_id').pluck().all() as string[];
    const totals = db.prepare('SELECT realized_pnl, commissions FROM ledger_totals').all() as Array<{
      realized_pnl: string;
      commissions: string;
    }>;
    return facts(execIds, totals);
  } finally {
    db.close();
  }
}

/** The same facts from a PostgreSQL ledger. */
export async function storedPostgresLedger(url: string): Promise<LedgerFacts> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const execIds = (
      await client.query('SELECT exec_id FROM executions ORDER BY exec_id COLLATE "C"')
    ).rows.map((r: { exec_id: string }) => r.exec_id);
    const totals = (await client.query('SELECT realized_pnl::text, commissions::text FROM ledger_totals'))
      .rows as Array<{
      realized_pnl: string;
      commissions: string;
    }>;
    return facts(execIds, totals);
  } finally {
    await client.end();
  }
}

export function simLedger(sim: GatewaySimulator): LedgerFacts {
  const latest = new Map<string, (typeof sim.state.executions)[number]>();
  for (const e of sim.state.executions) {
    const { baseExecId, revision } = parseExecId(e.execId);
    const seen = latest.get(baseExecId);
    if (!seen || parseExecId(seen.execId).revision < revision) latest.set(baseExecId, e);
  }
  const fills = [...latest.values()];
  const sum = (pick: (e: (typeof fills)[number]) => number | null | undefined) =>
    fills.reduce((total, e) => {
      const value = pick(e);
      return value === null || value === undefined ? total : total.plus(String(value));
    }, new Big(0));
  return {
    execIds: fills.map((e) => e.execId).sort(),
    commissions: sum((e) => e.commission?.commission).toString(),
    realizedPnl: sum((e) => e.commission?.realizedPnl).toString(),
  };
}

/** A steady stream of 1-share fills, alternately bought and sold, each with its commission report. */
export function fillStream(sim: GatewaySimulator, prefix: string, everyMs: number) {
  let n = 0;
  const timer = setInterval(() => {
    n += 1;
    const sell = n % 2 === 0;
    sim.addExecution({
      execId: `${prefix}.${String(n).padStart(6, '0')}.01`,
      account: 'DU0000001',
      conId: 265598,
      side: sell ? 'SLD' : 'BOT',
      shares: 1,
      price: 150 + (n % 7) * 0.01,
      commission: { commission: 0.35, currency: 'USD', realizedPnl: sell ? 0.07 * (n % 5) : null },
    });
  }, everyMs);
  return {
    get count() {
      return n;
    },
    stop: () => clearInterval(timer),
  };
}
