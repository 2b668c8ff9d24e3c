import type { ColumnDef, ColumnType, IndexDef, TableDef } from '../types.js';

export type DialectName = 'oracle' | 'postgres' | 'sqlite';

/** What differs between dialects when rendering the schema; everything else is shared. */
export interface DdlRules {
  readonly name: DialectName;
  columnType(type: ColumnType): string;
  /** CHECK expressions the dialect needs for a column beyond its type. */
  columnChecks(column: ColumnDef): string[];
  /** Default expression for insert-time columns. */
  readonly insertTimeDefault: string;
  createTable(table: TableDef, body: string): string;
  createIndex(table: TableDef, index: IndexDef): string;
  createView(name: string, select: string): string[];
  insertVersion(version: number, description: string): string;
  /** Turns install statements into a script runnable by the dialect's command-line client. */
  renderScript(statements: readonly string[]): string;
}

/** CHECK expressions every dialect shares: closed value sets and numeric ranges. */
export function valueChecks(column: ColumnDef): string[] {
  const checks: string[] = [];
  if (column.allowed !== undefined) {
    const list = column.allowed.map((value) => (typeof value === 'number' ? String(value) : `'${value}'`));
    checks.push(`${column.name} IN (${list.join(', ')})`);
  }
  if (column.range !== undefined) {
    checks.push(`${column.name} BETWEEN ${column.range[0]} AND ${column.range[1]}`);
  }
  return checks;
}
