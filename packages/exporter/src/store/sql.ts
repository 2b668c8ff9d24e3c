/**
 * SQL text shared by the dialects. Identifiers come from the schema constants, never from data;
 * every value is a bind. The one thing that differs in these statements, the placeholder, comes
 * from each dialect's `SqlSyntax`.
 */
import { AI_TRAINING_QUERIES } from '@aitdr/schema';
import type { TableDef } from '@aitdr/schema';
import { QUERY_COLUMNS, writableColumns } from '../mapping/rows.js';
import type { ConflictAction } from './dialect.js';

export interface SqlSyntax {
  /** The placeholder of the bind at 1-based `position`: `?`, `$1`, `:1`. */
  placeholder(position: number): string;
  /** Appended to a SELECT to lock its rows until commit; empty where a write transaction already excludes other writers (SQLite). */
  readonly lockRows: string;
  /** A bound ISO-8601 UTC text as the dialect compares it with a timestamp column; default: as is. */
  timestamp?(placeholder: string): string;
}

/** Most IDs in one IN list (Oracle allows 1000). */
export const IN_LIST_LIMIT = 500;

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/** The columns a `fill` conflict may set: the writable ones but the key. */
export function fillableColumns(table: TableDef): readonly string[] {
  return writableColumns(table)
    .map((c) => c.name)
    .filter((name) => !table.primaryKey.includes(name));
}

function placeholders(syntax: SqlSyntax, count: number, first = 1): string {
  return Array.from({ length: count }, (_, i) => syntax.placeholder(first + i)).join(', ');
}

const { key, otherSpans } = QUERY_COLUMNS;
const queries = AI_TRAINING_QUERIES.name;

export function selectQueryIdsSql(syntax: SqlSyntax, count: number): string {
  return `SELECT ${key} FROM ${queries} WHERE ${key} IN (${placeholders(syntax, count)})`;
}

export function lockOtherSpansSql(syntax: SqlSyntax, count: number): string {
  return `SELECT ${key}, ${otherSpans} FROM ${queries} WHERE ${key} IN (${placeholders(syntax, count)})${syntax.lockRows}`;
}

/** Binds: the JSON text, then the query ID. */
export function updateOtherSpansSql(syntax: SqlSyntax): string {
  return `UPDATE ${queries} SET ${otherSpans} = ${syntax.placeholder(1)} WHERE ${key} = ${syntax.placeholder(2)}`;
}

/** `insertSql` texts per syntax (none holds a value: `update`'s `equals` is a bind): each batch would otherwise rebuild the same long text. */
const fixedInserts = new WeakMap<SqlSyntax, Map<string, string>>();
/** Distinct (table, row count) texts kept per syntax; batches vary in size only up to the batch limit. */
const INSERT_CACHE_LIMIT = 1024;

/**
 * A multi-row `INSERT … ON CONFLICT` (PostgreSQL and SQLite share the syntax). Binds: each row's
 * writable columns in table order, row after row; then, for `update`, the `where.equals` value.
 * `ON CONFLICT` only handles key conflicts: a row breaking a CHECK, NOT NULL or foreign key still
 * fails (unlike SQLite's `INSERT OR IGNORE`, which would drop it silently).
 */
export function insertSql(
  syntax: SqlSyntax,
  table: TableDef,
  rowCount: number,
  onConflict: ConflictAction,
): string {
  let texts = fixedInserts.get(syntax);
  if (texts === undefined) fixedInserts.set(syntax, (texts = new Map<string, string>()));
  const key =
    onConflict.kind === 'update'
      ? `${table.name}/${rowCount}/update/${onConflict.columns.join(',')}/${onConflict.where.column}`
      : `${table.name}/${rowCount}/${onConflict.kind}`;
  let text = texts.get(key);
  if (text === undefined) {
    text = buildInsertSql(syntax, table, rowCount, onConflict);
    if (texts.size < INSERT_CACHE_LIMIT) texts.set(key, text);
  }
  return text;
}

function buildInsertSql(
  syntax: SqlSyntax,
  table: TableDef,
  rowCount: number,
  onConflict: ConflictAction,
): string {
  const columns = writableColumns(table).map((c) => c.name);
  const values = Array.from(
    { length: rowCount },
    (_, row) => `(${placeholders(syntax, columns.length, row * columns.length + 1)})`,
  );
  const head = `INSERT INTO ${table.name} (${columns.join(', ')}) VALUES ${values.join(', ')}`;
  return `${head}${conflictClause(table, onConflict, syntax.placeholder(rowCount * columns.length + 1))}`;
}

/**
 * The `ON CONFLICT …` that ends an insert of `table`'s rows (PostgreSQL and SQLite share it);
 * `equals` is the placeholder of `update`'s `where.equals` bind.
 */
export function conflictClause(table: TableDef, onConflict: ConflictAction, equals: string): string {
  if (onConflict.kind === 'ignore') return ' ON CONFLICT DO NOTHING';
  const conflictKey = `ON CONFLICT (${table.primaryKey.join(', ')})`;
  if (onConflict.kind === 'fill') {
    const filled = fillableColumns(table);
    const assignments = filled.map((c) => `${c} = COALESCE(${table.name}.${c}, EXCLUDED.${c})`).join(', ');
    // Only rows the incoming one has something for are touched: a replay writes no row version.
    const condition = filled
      .map((c) => `(${table.name}.${c} IS NULL AND EXCLUDED.${c} IS NOT NULL)`)
      .join(' OR ');
    return ` ${conflictKey} DO UPDATE SET ${assignments} WHERE ${condition}`;
  }
  const assignments = onConflict.columns.map((c) => `${c} = EXCLUDED.${c}`).join(', ');
  return ` ${conflictKey} DO UPDATE SET ${assignments} WHERE ${table.name}.${onConflict.where.column} = ${equals}`;
}
