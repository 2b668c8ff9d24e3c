import type { ColumnDef, ColumnType } from '../types.js';
import { valueChecks } from './dialect.js';
import type { DdlRules } from './dialect.js';
import { scriptHeader } from './render.js';

function postgresType(type: ColumnType): string {
  switch (type.kind) {
    case 'id':
    case 'varchar':
      return `VARCHAR(${type.length})`;
    case 'text':
      return 'TEXT';
    case 'json':
      return 'JSONB';
    case 'integer':
      return 'INTEGER';
    case 'bigint':
      return 'BIGINT';
    case 'double':
      return 'DOUBLE PRECISION';
    case 'decimal':
      return `NUMERIC(${type.precision},${type.scale})`;
    case 'boolean':
      return 'BOOLEAN';
    case 'timestamp':
      return 'TIMESTAMP(6) WITH TIME ZONE';
  }
}

function postgresChecks(column: ColumnDef): string[] {
  const { type, name } = column;
  const checks = type.kind === 'id' ? [`${name} ~ '^[0-9a-f]{${type.length}}$'`] : [];
  return [...checks, ...valueChecks(column)];
}

export const postgresRules: DdlRules = {
  name: 'postgres',
  columnType: postgresType,
  columnChecks: postgresChecks,
  insertTimeDefault: 'CURRENT_TIMESTAMP',
  createTable: (table, body) => `CREATE TABLE IF NOT EXISTS ${table.name} (\n${body}\n)`,
  createIndex: (table, index) =>
    `CREATE INDEX IF NOT EXISTS ${index.name} ON ${table.name} (${index.columns.join(', ')})`,
  createView: (name, select) => [`CREATE OR REPLACE VIEW ${name} AS\n${select}`],
  insertVersion: (version, description) =>
    `INSERT INTO AI_SCHEMA_VERSION (VERSION, DESCRIPTION) VALUES (${version}, '${description}') ON CONFLICT DO NOTHING`,
  renderScript: (statements) =>
    scriptHeader('PostgreSQL 13 or later (psql)', '--') +
    '\\set ON_ERROR_STOP on\nBEGIN;\n\n' +
    statements.map((s) => `${s};\n`).join('\n') +
    '\nCOMMIT;\n',
};
