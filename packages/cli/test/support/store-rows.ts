import type Database from 'better-sqlite3';
import { TABLES } from '@aitdr/schema';

let counter = 0;
const hex = (length: number) => (++counter).toString(16).padStart(length, '0');

/**
 * Inserts a row of one of the nine tables, giving every NOT NULL column the row leaves out a
 * plausible value (IDs, times, status), so a test states only the columns its figures depend on.
 */
export function insertRow(db: Database.Database, table: string, values: Record<string, unknown>): void {
  const definition = TABLES.find((t) => t.name === table);
  if (definition === undefined) throw new Error(`no table ${table}`);
  const row: Record<string, unknown> = {};
  for (const column of definition.columns) {
    if (column.name in values) {
      const value = values[column.name];
      row[column.name] = typeof value === 'boolean' ? (value ? 1 : 0) : value;
      continue;
    }
    if (column.nullable || column.sources.some((s) => s.kind === 'insert-time')) continue;
    const type = column.type;
    row[column.name] =
      column.name === 'STATUS_CODE'
        ? 'OK'
        : column.name === 'TRACE_STATUS'
          ? 'COMPLETE'
          : type.kind === 'id'
            ? hex(type.length)
            : type.kind === 'timestamp'
              ? (values.START_TIME ?? '2026-11-24T09:00:00.000000Z')
              : type.kind !== 'text' && type.kind !== 'varchar' && type.kind !== 'json'
                ? 1
                : 'x';
  }
  const names = Object.keys(row);
  db.prepare(`INSERT INTO ${table} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`).run(
    ...names.map((name) => row[name]),
  );
}
