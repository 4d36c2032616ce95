// Pieces of the dashboards on Grafana's built-in PostgreSQL datasource (the ledger's SQL views):
// the datasource and the SQL variables, and raw-SQL targets. The foundation SDK has no builder for
// this datasource's query, so SqlQuery builds the target Grafana stores for a raw SQL query.
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import {
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';

/** The type id of Grafana's built-in PostgreSQL datasource (no plugin to install). */
export const POSTGRES_TYPE = 'grafana-postgresql-datasource';

/** The uid of the provisioned ledger datasource (grafana/provisioning/datasources). */
export const PROVISIONED_LEDGER_UID = 'ibkr-ledger';

export const LEDGER = { type: POSTGRES_TYPE, uid: '${ledger}' };

export function ledgerVariable(): DatasourceVariableBuilder {
  return new DatasourceVariableBuilder('ledger')
    .label('Ledger')
    .type(POSTGRES_TYPE)
    .current({ text: 'IBKR ledger', value: PROVISIONED_LEDGER_UID });
}

/** A variable filled by a SQL query (one column: the values), multi-valued with All. */
export function sqlVariable(name: string, title: string, sql: string): QueryVariableBuilder {
  return new QueryVariableBuilder(name)
    .label(title)
    .datasource(LEDGER)
    .query(sql)
    .definition(sql)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true);
}

export type SqlFormat = 'table' | 'time_series';

/** The target of a raw SQL query as Grafana's SQL datasources save it. */
export interface SqlTarget extends cog.Dataquery {
  refId: string;
  datasource: { type: string; uid: string };
  rawQuery: true;
  editorMode: 'code';
  format: SqlFormat;
  rawSql: string;
}

export class SqlQuery implements cog.Builder<cog.Dataquery> {
  constructor(
    private readonly rawSql: string,
    private readonly format: SqlFormat = 'table',
    private readonly refId = 'A',
  ) {}

  build(): SqlTarget {
    return {
      refId: this.refId,
      datasource: LEDGER,
      rawQuery: true,
      editorMode: 'code',
      format: this.format,
      rawSql: this.rawSql,
      _implementsDataqueryVariant() {},
    };
  }
}
