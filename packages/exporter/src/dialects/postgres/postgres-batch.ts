/**
 * The rows of one transaction as few statements as PostgreSQL allows: each table's rows travel as
 * one JSON text (`json_to_recordset`), so the driver builds and the server parses one parameter per
 * table instead of one per value, and all the tables' inserts run as one statement (data-modifying
 * CTEs; foreign keys are checked at the statement's end, so a stage row may name a query row
 * inserted beside it). A refused row still fails the whole statement, as a multi-row INSERT did:
 * the store writer then writes the batch trace by trace.
 */
import type { ColumnType, TableDef } from '@aitdr/schema';
import type { Row } from '../../mapping/rows.js';
import { writableColumns } from '../../mapping/rows.js';
import type { ConflictAction } from '../../store/dialect.js';
import { chunk, conflictClause } from '../../store/sql.js';
import type { PostgresQueryable } from './postgres-driver.js';

/** One table's rows of one insert, as the JSON text bound to its part of the statement. */
export interface InsertPart {
  readonly table: TableDef;
  readonly onConflict: ConflictAction;
  readonly json: string;
  /** Whether `json` holds a `\u` escape at all: only then may a row hold U+0000 (see the dialect). */
  readonly unicodeEscapes: boolean;
  /** The rows, kept to find a key written twice (see `overlaps`). */
  readonly rows: readonly Row[];
}

/** The type a column's JSON value is read as: the column's own, JSON as text (cast to jsonb after). */
function recordType(type: ColumnType): string {
  switch (type.kind) {
    case 'id':
    case 'varchar':
    case 'text':
    case 'json':
      return 'text';
    case 'integer':
      return 'integer';
    case 'bigint':
      return 'bigint';
    case 'double':
      return 'double precision';
    case 'decimal':
      return 'numeric';
    case 'boolean':
      return 'boolean';
    case 'timestamp':
      return 'timestamptz';
  }
}

/** A column name as a JSON key (the rows' keys are the schema's names, upper case): quoted. */
const quoted = (name: string) => `"${name}"`;

function partSql(part: InsertPart, json: number, equals: number | undefined): string {
  const { table, onConflict } = part;
  const columns = writableColumns(table);
  const names = columns.map((c) => c.name).join(', ');
  const selected = columns
    .map((c) => (c.type.kind === 'json' ? `r.${quoted(c.name)}::jsonb` : `r.${quoted(c.name)}`))
    .join(', ');
  const record = columns.map((c) => `${quoted(c.name)} ${recordType(c.type)}`).join(', ');
  const head = `INSERT INTO ${table.name} (${names}) SELECT ${selected} FROM json_to_recordset($${json}::json) AS r(${record})`;
  return `${head}${conflictClause(table, onConflict, `$${equals}`)}`;
}

function conflictKeyOf(onConflict: ConflictAction): string {
  return onConflict.kind === 'update'
    ? `update/${onConflict.columns.join(',')}/${onConflict.where.column}`
    : onConflict.kind;
}

/** Statement texts by their parts' tables and conflict actions: the same few recur batch after batch. */
const texts = new Map<string, string>();
const TEXT_CACHE_LIMIT = 256;

/** One statement inserting every part (the last as the main statement, the others as CTEs), and its binds. */
export function insertStatement(parts: readonly InsertPart[]): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  for (const part of parts) {
    values.push(part.json);
    if (part.onConflict.kind === 'update') values.push(part.onConflict.where.equals);
  }
  const key = parts.map((p) => `${p.table.name}/${conflictKeyOf(p.onConflict)}`).join(';');
  let text = texts.get(key);
  if (text === undefined) {
    const statements: string[] = [];
    let position = 1;
    for (const part of parts) {
      const json = position++;
      const equals = part.onConflict.kind === 'update' ? position++ : undefined;
      statements.push(partSql(part, json, equals));
    }
    const last = statements.pop() as string;
    text =
      statements.length === 0
        ? last
        : `WITH ${statements.map((s, i) => `w${i} AS (${s})`).join(', ')} ${last}`;
    if (texts.size < TEXT_CACHE_LIMIT) texts.set(key, text);
  }
  return { text, values };
}

/**
 * Characters of bound JSON text from which an insert runs on a generic plan. PostgreSQL plans an
 * unnamed statement for its binds (a custom plan): each bound JSON text goes into the plan as a
 * constant, copied and parsed while planning; a batch of ~900 traces (8 MB of JSON) spent about a
 * quarter of its server CPU there. A generic plan reads the binds at execution only. Setting it
 * needs a transaction block and a round trip, which only a large insert pays back.
 */
export const GENERIC_PLAN_MIN_CHARS = 64 * 1024;

/** Whether the insert is large enough to be sent by `sendInsert` on a generic plan, in a transaction block. */
export function wantsGenericPlan(statement: { readonly values: readonly unknown[] }): boolean {
  let chars = 0;
  for (const value of statement.values) if (typeof value === 'string') chars += value.length;
  return chars >= GENERIC_PLAN_MIN_CHARS;
}

const GENERIC_PLAN = 'SET LOCAL plan_cache_mode = force_generic_plan';

/** A transaction's block: whether BEGIN was sent (a failed transaction then needs its ROLLBACK). */
export interface TransactionBlock {
  begun: boolean;
}

/**
 * Runs the insert as the exporter does, opening the transaction block when it needs one (`block`
 * says, and is told, whether BEGIN was sent). `last`: the transaction ends after this statement;
 * otherwise other statements follow it, in the block.
 *
 * A large one (`wantsGenericPlan`) runs under `plan_cache_mode = force_generic_plan`, set for it
 * alone: SET LOCAL ends with the transaction however it ends, so no setting stays on the
 * connection (nor on a pooler's server connection), and it is set back at once when statements
 * follow (the lookups keep custom plans: a generic plan of `QUERY_ID IN ($1, …)` scans the whole
 * table). BEGIN and the setting travel as one simple query, and nothing is set back before a
 * COMMIT: a lone large insert costs three round trips (BEGIN and SET, INSERT, COMMIT), not five.
 * A small insert that ends its transaction is atomic alone, sent without BEGIN and COMMIT.
 * Unnamed, as before: no prepared statement to keep per connection.
 */
export async function sendInsert(
  client: PostgresQueryable,
  statement: { readonly text: string; readonly values: unknown[] },
  block: TransactionBlock,
  last: boolean,
): Promise<void> {
  const generic = wantsGenericPlan(statement);
  if (!block.begun && (generic || !last)) {
    // Noted first: should the BEGIN's answer be lost, a ROLLBACK outside a block only warns.
    block.begun = true;
    await client.query(generic ? `BEGIN; ${GENERIC_PLAN}` : 'BEGIN');
  } else if (generic) {
    await client.query(GENERIC_PLAN);
  }
  await client.query(statement.text, statement.values);
  if (generic && !last) await client.query('SET LOCAL plan_cache_mode TO DEFAULT');
}

/** A lone surrogate's escape in JSON text (after an even number of backslashes). */
const LONE_SURROGATE = /(?<=(?:^|[^\\])(?:\\\\)*)\\ud[89a-f][0-9a-f]{2}/gi;

/**
 * The rows as JSON text, and whether it holds a `\u` escape. A string holding a lone UTF-16
 * surrogate (which PostgreSQL's JSON refuses) gets U+FFFD in its place, as the driver's UTF-8
 * encoding of a bound text gave it.
 */
export function rowsJson(rows: readonly Row[]): { json: string; unicodeEscapes: boolean } {
  const json = JSON.stringify(rows);
  // Well-formed JSON.stringify writes `\u` escapes only for lone surrogates (paired ones stay
  // characters) and control characters, in lower case: one scan of the text for `\u` (rarely
  // found) answers for both the surrogates here and U+0000 in the dialect, which each scanned the
  // whole text before. A second scan, for `\uD`, could only find the text of an escape, left as it is.
  if (!json.includes('\\u')) return { json, unicodeEscapes: false };
  return {
    json: json.includes('\\ud') ? json.replace(LONE_SURROGATE, '\uFFFD') : json,
    unicodeEscapes: true,
  };
}

/** The rows in parts of at most `perPart` rows. */
export function partsOf(
  table: TableDef,
  rows: readonly Row[],
  onConflict: ConflictAction,
  perPart: number,
): InsertPart[] {
  const pieces = rows.length <= perPart ? [rows] : chunk(rows, perPart);
  return pieces.map((piece) => ({ table, onConflict, rows: piece, ...rowsJson(piece) }));
}

function keyOf(table: TableDef, row: Row): string {
  return table.primaryKey.map((c) => String(row[c] ?? '')).join('\u0001');
}

/**
 * Whether a part writes a key another part of the same table writes: two inserts of one statement
 * must not meet the same row (PostgreSQL refuses an `ON CONFLICT DO UPDATE` that would), so such a
 * part goes in a statement of its own.
 */
export function overlaps(pending: readonly InsertPart[], part: InsertPart): boolean {
  const same = pending.filter((p) => p.table === part.table);
  if (same.length === 0) return false;
  const keys = new Set<string>();
  for (const p of same) for (const row of p.rows) keys.add(keyOf(p.table, row));
  return part.rows.some((row) => keys.has(keyOf(part.table, row)));
}
