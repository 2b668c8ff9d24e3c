import type { ColumnDef, ColumnType } from '../types.js';
import { valueChecks } from './dialect.js';
import type { DdlRules } from './dialect.js';
import { scriptHeader } from './render.js';

/** VARCHAR2 lengths count characters; 1000 characters stay within 4000 bytes in AL32UTF8. */
export const ORACLE_MAX_VARCHAR_CHARS = 1000;

function oracleType(type: ColumnType): string {
  switch (type.kind) {
    case 'id':
      return `VARCHAR2(${type.length} CHAR)`;
    case 'varchar':
      if (type.length > ORACLE_MAX_VARCHAR_CHARS) {
        throw new Error(`VARCHAR2(${type.length} CHAR) can exceed 4000 bytes; use text`);
      }
      return `VARCHAR2(${type.length} CHAR)`;
    case 'text':
    case 'json':
      return 'CLOB';
    case 'integer':
      return 'NUMBER(10)';
    case 'bigint':
      return 'NUMBER(19)';
    case 'double':
      return 'BINARY_DOUBLE';
    case 'decimal':
      return `NUMBER(${type.precision},${type.scale})`;
    case 'boolean':
      return 'NUMBER(1)';
    case 'timestamp':
      return 'TIMESTAMP(6) WITH TIME ZONE';
  }
}

function oracleChecks(column: ColumnDef): string[] {
  const checks: string[] = [];
  const { type, name } = column;
  if (type.kind === 'id') checks.push(`REGEXP_LIKE(${name}, '^[0-9a-f]{${type.length}}$')`);
  if (type.kind === 'json') checks.push(`${name} IS JSON`);
  if (type.kind === 'boolean') checks.push(`${name} IN (0, 1)`);
  return [...checks, ...valueChecks(column)];
}

/** ORA-00955: name is already used by an existing object. ORA-01408: column list already indexed. */
const ALREADY_EXISTS = [-955, -1408];

/**
 * Oracle 19c has no IF NOT EXISTS: each CREATE runs in a PL/SQL block that ignores "already
 * exists", so the script can run twice. The DDL is a constant of this module, never data.
 */
function ignoringExisting(ddl: string): string {
  if (ddl.includes("]'")) throw new Error("DDL contains the q-quote terminator ]'");
  return [
    'BEGIN',
    `  EXECUTE IMMEDIATE q'[${ddl}]';`,
    'EXCEPTION',
    '  WHEN OTHERS THEN',
    `    IF SQLCODE NOT IN (${ALREADY_EXISTS.join(', ')}) THEN RAISE; END IF;`,
    'END;',
  ].join('\n');
}

/** The plain DDL of a wrapped statement (what `ignoringExisting` was given); for syntax checks. */
export function unwrapOracleBlock(statement: string): string {
  const match = /EXECUTE IMMEDIATE q'\[([\s\S]*)\]';/.exec(statement);
  return match?.[1] ?? statement;
}

export const oracleRules: DdlRules = {
  name: 'oracle',
  columnType: oracleType,
  columnChecks: oracleChecks,
  insertTimeDefault: 'SYSTIMESTAMP',
  createTable: (table, body) => ignoringExisting(`CREATE TABLE ${table.name} (\n${body}\n)`),
  createIndex: (table, index) =>
    ignoringExisting(`CREATE INDEX ${index.name} ON ${table.name} (${index.columns.join(', ')})`),
  createView: (name, select) => [`CREATE OR REPLACE VIEW ${name} AS\n${select}`],
  insertVersion: (version, description) =>
    `MERGE INTO AI_SCHEMA_VERSION v\nUSING (SELECT ${version} AS VERSION, '${description}' AS DESCRIPTION FROM DUAL) s\n` +
    `ON (v.VERSION = s.VERSION)\nWHEN NOT MATCHED THEN INSERT (VERSION, DESCRIPTION) VALUES (s.VERSION, s.DESCRIPTION)`,
  renderScript: (statements) =>
    scriptHeader('Oracle Database 19c or later (SQL*Plus or SQLcl)', '--') +
    'WHENEVER SQLERROR EXIT FAILURE ROLLBACK\n\n' +
    statements.map((s) => (s.startsWith('BEGIN') ? `${s}\n/\n` : `${s};\n`)).join('\n') +
    '\nCOMMIT;\n',
};
