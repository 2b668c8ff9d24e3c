/**
 * The rows a trace stream becomes, computed with the exporter's own mapper, ready to insert
 * directly: what the raw-insert limit writes, so it writes exactly the rows the collector writes.
 */
import type Database from 'better-sqlite3';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { toSpanRecord } from '@aitdr/conventions';
import type { SpanRecord } from '@aitdr/conventions';
import { mapTrace } from '@aitdr/exporter/internals';
import type { MappedTrace, RowValue } from '@aitdr/exporter/internals';
import { AI_TRAINING_QUERIES, TABLES } from '@aitdr/schema';
import type { ColumnDef, TableDef } from '@aitdr/schema';

/** The columns an insert names: all but those the database fills (insert time), as the exporter does. */
export function insertColumns(table: TableDef): readonly ColumnDef[] {
  return table.columns.filter((column) => !column.sources.some((source) => source.kind === 'insert-time'));
}

/** A plain INSERT per table, binding `insertColumns` in order: the raw rate's and the store fill's. */
export function prepareSqliteInserts(database: Database.Database): Map<TableDef, Database.Statement> {
  return new Map(
    TABLES.map((table) => {
      const columns = insertColumns(table);
      const sql = `INSERT INTO ${table.name} (${columns.map((c) => c.name).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
      return [table, database.prepare(sql)] as const;
    }),
  );
}

/** One trace's rows per table, each row as its values in `insertColumns` order. */
export type TraceRows = ReadonlyMap<TableDef, readonly (readonly RowValue[])[]>;

export function mapStream(spans: readonly ReadableSpan[]): TraceRows[] {
  const byTrace = new Map<string, SpanRecord[]>();
  for (const span of spans) {
    const record = toSpanRecord(span);
    const trace = byTrace.get(record.traceId);
    if (trace) trace.push(record);
    else byTrace.set(record.traceId, [record]);
  }
  return [...byTrace.values()].map((trace) => toRows(mapTrace(trace)));
}

function toRows(mapped: ReturnType<typeof mapTrace>): TraceRows {
  if (mapped.kind !== 'mapped') throw new Error(`trace ${mapped.traceId} did not map: ${mapped.reason}`);
  const trace: MappedTrace = mapped;
  const rows = new Map<TableDef, RowValue[][]>();
  const add = (table: TableDef, row: Readonly<Record<string, RowValue>>) => {
    const values = insertColumns(table).map((column) => row[column.name] ?? null);
    rows.set(table, [...(rows.get(table) ?? []), values]);
  };
  if (trace.query) add(AI_TRAINING_QUERIES, trace.query.row);
  for (const { table, rows: tableRows } of trace.stageRows) for (const row of tableRows) add(table, row);
  // Parents first, as the foreign keys need.
  return new Map(TABLES.flatMap((table) => (rows.has(table) ? [[table, rows.get(table)!] as const] : [])));
}

export function rowCount(traces: readonly TraceRows[]): number {
  let count = 0;
  for (const trace of traces) for (const rows of trace.values()) count += rows.length;
  return count;
}
