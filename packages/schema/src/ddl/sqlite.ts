import type { ColumnDef, ColumnType } from '../types.js';
import { valueChecks } from './dialect.js';
import type { DdlRules } from './dialect.js';
import { scriptHeader } from './render.js';

/** STRICT tables accept only these types; the CHECKs below carry the rest of each column's contract. */
function sqliteType(type: ColumnType): string {
  switch (type.kind) {
    case 'id':
    case 'varchar':
    case 'text':
    case 'json':
    case 'timestamp':
      return 'TEXT';
    case 'integer':
    case 'bigint':
    case 'boolean':
      return 'INTEGER';
    case 'double':
    case 'decimal':
      return 'REAL';
  }
}

/** SQLite enforces neither lengths nor JSON by type, so a value refused elsewhere is refused here too. */
function sqliteChecks(column: ColumnDef): string[] {
  const { type, name } = column;
  const checks: string[] = [];
  // One character class per position: exactly `length` lowercase hex digits, the same values (NULL
  // included) as `length(…) = n AND … NOT GLOB '*[^0-9a-f]*'`, whose leading star SQLite retries
  // from every position: inserting the benchmark's traces took 8% fewer instructions (callgrind).
  if (type.kind === 'id') checks.push(`${name} GLOB '${'[0-9a-f]'.repeat(type.length)}'`);
  if (type.kind === 'varchar') checks.push(`length(${name}) <= ${type.length}`);
  // json_valid(NULL) is 0 before SQLite 3.45 (Debian 12's sqlite3, older Pythons): without the IS
  // NULL a row with an empty JSON column written by those tools would be refused.
  if (type.kind === 'json') checks.push(`${name} IS NULL OR json_valid(${name})`);
  if (type.kind === 'boolean') checks.push(anyOf(name, ['0', '1']));
  const { allowed, ...withoutSet } = column;
  if (allowed !== undefined) {
    checks.push(
      anyOf(
        name,
        allowed.map((value) => (typeof value === 'number' ? String(value) : `'${value}'`)),
      ),
    );
  }
  return [...checks, ...valueChecks(withoutSet)];
}

/**
 * `name` equal to one of `literals`: the same test as `name IN (…)`, NULL included, written as
 * comparisons because SQLite evaluates an IN list in a CHECK by building and dropping a temporary
 * table on every row written (measured: 1.8–2.0 µs against 0.72–0.77 µs per row).
 */
function anyOf(name: string, literals: readonly string[]): string {
  return literals.map((literal) => `${name} = ${literal}`).join(' OR ');
}

export const sqliteRules: DdlRules = {
  name: 'sqlite',
  columnType: sqliteType,
  columnChecks: sqliteChecks,
  // ISO-8601 UTC with six decimals, the format every timestamp column holds on SQLite. SQLite's
  // clock has millisecond resolution, so the last three digits are zeroes.
  insertTimeDefault: "(strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'))",
  createTable: (table, body) => `CREATE TABLE IF NOT EXISTS ${table.name} (\n${body}\n) STRICT`,
  createIndex: (table, index) =>
    `CREATE INDEX IF NOT EXISTS ${index.name} ON ${table.name} (${index.columns.join(', ')})`,
  // SQLite has no CREATE OR REPLACE VIEW; dropping first keeps the view current on re-install.
  createView: (name, select) => [`DROP VIEW IF EXISTS ${name}`, `CREATE VIEW ${name} AS\n${select}`],
  insertVersion: (version, description) =>
    `INSERT OR IGNORE INTO AI_SCHEMA_VERSION (VERSION, DESCRIPTION) VALUES (${version}, '${description}')`,
  renderScript: (statements) =>
    scriptHeader('SQLite 3.37 or later (sqlite3)', '--') +
    'PRAGMA foreign_keys = ON;\nBEGIN;\n\n' +
    statements.map((s) => `${s};\n`).join('\n') +
    '\nCOMMIT;\n',
};
