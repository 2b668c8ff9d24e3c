/** The stats report's date filter: the queries asked in a period, as a condition every section adds. */
import { AI_TRAINING_QUERIES } from '@aitdr/schema';
import type { Binds } from '@aitdr/exporter';

export interface StatsPeriod {
  /** Queries asked at or after this instant. */
  readonly from?: Date;
  /** Queries asked before this instant. */
  readonly until?: Date;
}

export interface PeriodScope {
  readonly period: StatsPeriod;
  /** A condition on a query ID column: the query was asked in the period (`1 = 1` without one). */
  condition(binds: Binds, queryIdColumn: string): string;
}

export function periodScope(period: StatsPeriod = {}): PeriodScope {
  return {
    period,
    condition(binds, queryIdColumn) {
      const bounds: string[] = [];
      if (period.from !== undefined) bounds.push(`START_TIME >= ${binds.add(period.from)}`);
      if (period.until !== undefined) bounds.push(`START_TIME < ${binds.add(period.until)}`);
      if (bounds.length === 0) return '1 = 1';
      return `${queryIdColumn} IN (SELECT QUERY_ID FROM ${AI_TRAINING_QUERIES.name} WHERE ${bounds.join(' AND ')})`;
    },
  };
}
