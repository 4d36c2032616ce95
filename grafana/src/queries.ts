// Every PromQL expression of a dashboard (panel targets, and the series behind label_values()
// variables), for the consistency checks and the end-to-end suite.
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';

export interface PanelQuery {
  dashboard: string;
  panel: string;
  expr: string;
}

export interface VariableQuery {
  dashboard: string;
  variable: string;
  /** The series selector inside label_values(…, label). */
  series: string;
  label: string;
}

type Target = { expr?: unknown };
type AnyPanel = { title?: string; targets?: Target[]; panels?: AnyPanel[] };

export function panelQueries(dashboard: Dashboard): PanelQuery[] {
  const out: PanelQuery[] = [];
  const visit = (panels: AnyPanel[] | undefined) => {
    for (const panel of panels ?? []) {
      for (const target of panel.targets ?? []) {
        if (typeof target.expr === 'string')
          out.push({ dashboard: dashboard.title ?? '', panel: panel.title ?? '', expr: target.expr });
      }
      visit(panel.panels);
    }
  };
  visit(dashboard.panels as AnyPanel[] | undefined);
  return out;
}

const LABEL_VALUES = /^label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$/;

export function variableQueries(dashboard: Dashboard): VariableQuery[] {
  const out: VariableQuery[] = [];
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type !== 'query' || typeof variable.query !== 'string') continue;
    // SQL variables of the ledger dashboard are checked by grafana/ledger-sql.e2e.test.ts.
    if (variable.datasource?.type !== undefined && variable.datasource.type !== 'prometheus') continue;
    const match = LABEL_VALUES.exec(variable.query);
    if (!match) throw new Error(`${dashboard.title}: variable ${variable.name} is not label_values(…)`);
    out.push({
      dashboard: dashboard.title ?? '',
      variable: variable.name,
      series: match[1]!,
      label: match[2]!,
    });
  }
  return out;
}
