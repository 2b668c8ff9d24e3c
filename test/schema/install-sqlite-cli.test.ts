/**
 * The SQLite script must install and accept rows with the `sqlite3` command-line shell of the
 * distributions people have, not only with the SQLite better-sqlite3 bundles: Debian 12 ships
 * 3.40, where json_valid(NULL) is 0 (3.45 made it NULL). CI installs Debian's package (.ci/run).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AI_TRAINING_QUERIES, AI_MODEL_INTERACTIONS, SCHEMA_VERSION } from '@aitdr/schema';
import type { ColumnDef, TableDef } from '@aitdr/schema';
import { createTemporaryDirectory } from '../support/temp-dir.js';
import { QUERY_ID, SPAN_ID } from './schema-expectations.js';

const SCRIPT = fileURLToPath(new URL('../../sql/sqlite/install.sql', import.meta.url));

function sqlite3(database: string, sql: string): string {
  return execFileSync('sqlite3', ['-bail', database], { input: sql, encoding: 'utf8', stdio: 'pipe' });
}

/** A SQL literal every check accepts for a NOT NULL column; NULL for every nullable one. */
function literal(column: ColumnDef, key: Record<string, string>): string {
  if (key[column.name] !== undefined) return `'${key[column.name]}'`;
  if (column.nullable) return 'NULL';
  const allowed = column.allowed?.[0];
  if (allowed !== undefined) return typeof allowed === 'number' ? String(allowed) : `'${allowed}'`;
  if (column.range !== undefined) return String(column.range[0]);
  switch (column.type.kind) {
    case 'id':
      return `'${'a'.repeat(column.type.length)}'`;
    case 'timestamp':
      return `'2026-11-25T08:00:00.000001Z'`;
    case 'json':
      return `'{}'`;
    case 'integer':
    case 'bigint':
    case 'boolean':
      return '0';
    case 'double':
    case 'decimal':
      return '1.5';
    default:
      return `'x'`;
  }
}

/** An INSERT of the columns a writer gives (the database fills RECORDED_AT). */
function insertWithNulls(table: TableDef, key: Record<string, string>): string {
  const columns = table.columns.filter((c) => c.name !== 'RECORDED_AT');
  return (
    `INSERT INTO ${table.name} (${columns.map((c) => c.name).join(', ')}) ` +
    `VALUES (${columns.map((c) => literal(c, key)).join(', ')});`
  );
}

describe('sql/sqlite/install.sql with the sqlite3 shell', () => {
  const dir = createTemporaryDirectory('aitdr-sqlite3-cli-');
  const database = join(dir.path, 'training.db');
  let version = '';

  beforeAll(() => {
    version = sqlite3(':memory:', 'SELECT sqlite_version();').trim();
    sqlite3(database, `.read ${SCRIPT}\n`);
    sqlite3(database, `.read ${SCRIPT}\n`); // twice: the script is safe to repeat
  });

  afterAll(() => dir.remove());

  it('runs on the shell found (Debian 12: 3.40) and records the schema version', () => {
    expect(version).toMatch(/^3\.\d+\.\d+$/);
    expect(sqlite3(database, 'SELECT VERSION FROM AI_SCHEMA_VERSION;').trim()).toBe(String(SCHEMA_VERSION));
  });

  it('accepts rows whose JSON columns are NULL, and stamps RECORDED_AT with six decimals', () => {
    const jsonColumns = AI_TRAINING_QUERIES.columns.filter((c) => c.type.kind === 'json' && c.nullable);
    expect(jsonColumns.length).toBeGreaterThan(0);
    sqlite3(
      database,
      'PRAGMA foreign_keys = ON;\n' +
        insertWithNulls(AI_TRAINING_QUERIES, { QUERY_ID, SPAN_ID }) +
        '\n' +
        insertWithNulls(AI_MODEL_INTERACTIONS, { QUERY_ID, INTERACTION_ID: SPAN_ID, SPAN_ID }),
    );
    const stored = sqlite3(
      database,
      `SELECT ${jsonColumns.map((c) => `quote(${c.name})`).join(" || ',' || ")}, RECORDED_AT FROM AI_TRAINING_QUERIES;`,
    ).trim();
    const [recordedAt, ...rest] = stored.split('|').reverse();
    expect(
      rest
        .join('|')
        .split(',')
        .every((value) => value === 'NULL'),
    ).toBe(true);
    expect(recordedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(sqlite3(database, 'SELECT count(*) FROM AI_MODEL_INTERACTIONS;').trim()).toBe('1');
  });

  it('still refuses JSON that is not valid', () => {
    const column = AI_TRAINING_QUERIES.columns.find((c) => c.type.kind === 'json')!;
    expect(() =>
      sqlite3(
        database,
        `UPDATE AI_TRAINING_QUERIES SET ${column.name} = '{not json' WHERE QUERY_ID = '${QUERY_ID}';`,
      ),
    ).toThrow(new RegExp(`AI_QRY_${column.name}_CK`));
  });
});
