import { textTable } from '../terminal/text-table.js';
import type { StatsReport } from './collect-stats.js';
import { reportTables } from './report-sections.js';
import type { ReportTable } from './report-sections.js';

/** Days shown one per row in the terminal; a longer history is shown per month. */
const MAX_DAY_ROWS = 31;

/** The report as plain-text tables for the terminal. */
export function renderStatsText(report: StatsReport): string {
  const out = [`Training data stats: ${report.store} (${report.generatedAt})`];
  for (const table of reportTables(report)) {
    const shown = table.id === 'queries-over-time' ? byMonthWhenLong(table) : table;
    out.push('', shown.title + (shown.note === undefined ? '' : ` — ${shown.note}`));
    out.push(shown.rows.length === 0 ? '  (no data)' : textTable(shown.head, shown.rows));
  }
  return `${out.join('\n')}\n`;
}

function byMonthWhenLong(table: ReportTable): ReportTable {
  if (table.rows.length <= MAX_DAY_ROWS) return table;
  const months = new Map<string, [number, number]>();
  for (const [day, queries, answered] of table.rows) {
    const month = String(day).slice(0, 7);
    const totals = months.get(month) ?? [0, 0];
    months.set(month, [totals[0] + Number(queries), totals[1] + Number(answered)]);
  }
  return {
    ...table,
    note: 'Per month (UTC).',
    head: ['Month', ...table.head.slice(1)],
    rows: [...months.entries()].map(([month, [queries, answered]]) => [month, queries, answered]),
  };
}
