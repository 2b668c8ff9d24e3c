/**
 * The Oracle statements and binds, kept apart from the connection handling so tests can check
 * them without a server. Oracle 19c has no `INSERT … ON CONFLICT`: each row is one execution of
 * a MERGE whose source is that row selected from DUAL, so a source never holds duplicate keys.
 */
import type { ColumnDef, TableDef } from '@aitdr/schema';
import { writableColumns } from '../../mapping/rows.js';
import type { Row } from '../../mapping/rows.js';
import type { RowValue } from '../../mapping/values.js';
import type { ConflictAction } from '../../store/dialect.js';
import { fillableColumns } from '../../store/sql.js';
import type { SqlSyntax } from '../../store/sql.js';
import type { OracleBindDef, OracleDriver } from './oracle-driver.js';

/** The portable timestamp text (`2026-11-25T08:00:00.123456Z`) read as UTC, microseconds kept. */
const TIMESTAMP_FORMAT = `'YYYY-MM-DD"T"HH24:MI:SS.FF6"Z"'`;

export const ORACLE_SYNTAX: SqlSyntax = {
  placeholder: (position) => `:${position}`,
  lockRows: ' FOR UPDATE',
  timestamp: (placeholder) => oracleTimestamp(placeholder),
};

function oracleTimestamp(placeholder: string): string {
  return `FROM_TZ(TO_TIMESTAMP(${placeholder}, ${TIMESTAMP_FORMAT}), '+00:00')`;
}

/**
 * Longest string bound as VARCHAR2. SQL binds of VARCHAR2 stop at 4000 bytes (MAX_STRING_SIZE =
 * STANDARD); a longer string would go as a LONG, which a SELECT list refuses, so it is bound as a
 * temporary CLOB instead (one more round trip per value, only for chunks that need it).
 */
export const MAX_VARCHAR_BIND_BYTES = 4000;

const NUMERIC_KINDS = new Set<ColumnDef['type']['kind']>([
  'integer',
  'bigint',
  'double',
  'decimal',
  'boolean',
]);

function sourceExpression(column: ColumnDef, position: number): string {
  const bind = ORACLE_SYNTAX.placeholder(position);
  return column.type.kind === 'timestamp' ? oracleTimestamp(bind) : bind;
}

/**
 * `MERGE INTO <table>` of one row: binds `:1…:n` are the writable columns in table order, then,
 * for `update`, `:n+1` is the `where.equals` value.
 */
export function mergeSql(table: TableDef, onConflict: ConflictAction): string {
  const columns = writableColumns(table);
  const names = columns.map((c) => c.name);
  const source = columns.map((c, i) => `${sourceExpression(c, i + 1)} AS ${c.name}`).join(', ');
  const matchKey = table.primaryKey.map((k) => `t.${k} = s.${k}`).join(' AND ');
  const lines = [`MERGE INTO ${table.name} t`, `USING (SELECT ${source} FROM DUAL) s`, `ON (${matchKey})`];
  if (onConflict.kind === 'update') {
    const set = onConflict.columns.map((c) => `t.${c} = s.${c}`).join(', ');
    const condition = `t.${onConflict.where.column} = ${ORACLE_SYNTAX.placeholder(columns.length + 1)}`;
    lines.push(`WHEN MATCHED THEN UPDATE SET ${set} WHERE ${condition}`);
  } else if (onConflict.kind === 'fill') {
    const filled = fillableColumns(table);
    const set = filled.map((c) => `t.${c} = NVL(t.${c}, s.${c})`).join(', ');
    // Only rows the incoming one has something for are updated: a replay changes no row.
    const condition = filled.map((c) => `(t.${c} IS NULL AND s.${c} IS NOT NULL)`).join(' OR ');
    lines.push(`WHEN MATCHED THEN UPDATE SET ${set} WHERE ${condition}`);
  }
  lines.push(
    `WHEN NOT MATCHED THEN INSERT (${names.join(', ')}) VALUES (${names.map((n) => `s.${n}`).join(', ')})`,
  );
  return lines.join('\n');
}

/** Oracle has no boolean column type before 23ai: booleans are NUMBER(1) 0/1. */
export const toOracleValue = (value: RowValue): RowValue =>
  typeof value === 'boolean' ? (value ? 1 : 0) : value;

function stringBindDef(driver: OracleDriver, values: readonly unknown[]): OracleBindDef {
  const longest = Math.max(1, ...values.map((v) => (typeof v === 'string' ? Buffer.byteLength(v) : 0)));
  // maxSize comes from the data, not the column: a value too long for its column must reach the
  // server (ORA-12899 for that row alone) rather than fail the whole call in the driver.
  return longest > MAX_VARCHAR_BIND_BYTES
    ? { type: driver.DB_TYPE_CLOB }
    : { type: driver.DB_TYPE_VARCHAR, maxSize: longest };
}

/** Binds of `mergeSql(table, onConflict)` for these rows, and the `bindDefs` `executeMany` needs. */
export function mergeBinds(
  driver: OracleDriver,
  table: TableDef,
  rows: readonly Row[],
  onConflict: ConflictAction,
): { binds: RowValue[][]; bindDefs: OracleBindDef[] } {
  const columns = writableColumns(table);
  const extra = onConflict.kind === 'update' ? [onConflict.where.equals] : [];
  const binds = rows.map((row) => [...columns.map((c) => toOracleValue(row[c.name] ?? null)), ...extra]);
  const bindDefs = columns.map((column, i) =>
    NUMERIC_KINDS.has(column.type.kind)
      ? { type: driver.DB_TYPE_NUMBER }
      : stringBindDef(
          driver,
          binds.map((b) => b[i]),
        ),
  );
  if (extra.length > 0) bindDefs.push(stringBindDef(driver, extra));
  return { binds, bindDefs };
}

/** A single bind for `execute`: strings over the VARCHAR2 limit go as CLOB. */
export function executeBind(driver: OracleDriver, value: string): unknown {
  return Buffer.byteLength(value) > MAX_VARCHAR_BIND_BYTES
    ? { val: value, type: driver.DB_TYPE_CLOB }
    : value;
}
