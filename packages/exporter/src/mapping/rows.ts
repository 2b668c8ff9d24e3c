import { AI_TRAINING_QUERIES } from '@aitdr/schema';
import type { ColumnDef, ColumnSource, TableDef, TRACE_STATUSES } from '@aitdr/schema';
import type { RowValue } from './values.js';

/** One row: a value (or null) for each of its table's writable columns, keyed by column name. */
export type Row = Readonly<Record<string, RowValue>>;

export interface TableRows {
  readonly table: TableDef;
  readonly rows: readonly Row[];
}

export type TraceStatus = (typeof TRACE_STATUSES)[number];

const writable = new WeakMap<TableDef, readonly ColumnDef[]>();

/** The columns an insert names: all but those the database fills (insert time). */
export function writableColumns(table: TableDef): readonly ColumnDef[] {
  let columns = writable.get(table);
  if (columns === undefined) {
    columns = table.columns.filter((column) => !column.sources.some((s) => s.kind === 'insert-time'));
    writable.set(table, columns);
  }
  return columns;
}

/** The column of `table` filled from a source of `kind`; the schema has exactly one for the kinds used here. */
export function columnFedBy(table: TableDef, kind: ColumnSource['kind']): ColumnDef {
  const column = table.columns.find((c) => c.sources.some((s) => s.kind === kind));
  if (column === undefined) throw new Error(`${table.name} has no column fed by ${kind}`);
  return column;
}

/** Columns of AI_TRAINING_QUERIES the exporter reads or updates by role, found in the schema. */
export const QUERY_COLUMNS = {
  key: AI_TRAINING_QUERIES.primaryKey[0] as string,
  traceStatus: columnFedBy(AI_TRAINING_QUERIES, 'trace-status').name,
  otherSpans: columnFedBy(AI_TRAINING_QUERIES, 'other-spans').name,
};

/**
 * Columns a complete query row sets over an INCOMPLETE placeholder: all writable ones but the key
 * and OTHER_SPANS (merged separately, so spans kept by the placeholder are not lost).
 */
export const QUERY_UPGRADE_COLUMNS: readonly string[] = writableColumns(AI_TRAINING_QUERIES)
  .map((c) => c.name)
  .filter((name) => name !== QUERY_COLUMNS.key && name !== QUERY_COLUMNS.otherSpans);

// Typed against the schema's closed set, so a change there fails to compile here.
export const COMPLETE: TraceStatus = 'COMPLETE';
export const INCOMPLETE: TraceStatus = 'INCOMPLETE';
