import { AI_SCHEMA_VERSION, SCHEMA_VERSION, TABLES } from '../tables.js';
import type { ColumnDef, TableDef } from '../types.js';
import { TRAINING_EXAMPLES_SELECT, TRAINING_EXAMPLES_VIEW } from '../view.js';
import type { DdlRules } from './dialect.js';

const INDENT = '  ';

function columnLine(rules: DdlRules, column: ColumnDef): string {
  const parts = [column.name, rules.columnType(column.type)];
  if (column.sources.some((source) => source.kind === 'insert-time')) {
    parts.push(`DEFAULT ${rules.insertTimeDefault}`);
  }
  if (!column.nullable) parts.push('NOT NULL');
  return parts.join(' ');
}

/** Column lines and named table constraints of one table. */
function tableBody(rules: DdlRules, table: TableDef): string {
  const prefix = `AI_${table.code}`;
  const lines = table.columns.map((column) => columnLine(rules, column));
  lines.push(`CONSTRAINT ${prefix}_PK PRIMARY KEY (${table.primaryKey.join(', ')})`);
  for (const fk of table.foreignKeys) {
    lines.push(
      `CONSTRAINT ${prefix}_${fk.columns.join('_')}_FK FOREIGN KEY (${fk.columns.join(', ')}) ` +
        `REFERENCES ${fk.references.table} (${fk.references.columns.join(', ')}) ON DELETE CASCADE`,
    );
  }
  for (const column of table.columns) {
    // One named constraint per column: constraint names must be unique, and SQLite does not
    // enforce that, so two checks under one name went unnoticed there.
    const checks = rules.columnChecks(column);
    if (checks.length === 0) continue;
    const condition = checks.length === 1 ? checks[0] : checks.map((check) => `(${check})`).join(' AND ');
    lines.push(`CONSTRAINT ${prefix}_${column.name}_CK CHECK (${condition})`);
  }
  return lines.map((line) => INDENT + line).join(',\n');
}

export const VERSION_DESCRIPTION = 'Nine tables of the AI training data recorder and AI_TRAINING_EXAMPLES';

/**
 * Statements that install the schema, parents before children. Each may run on a database that
 * already has the schema: the install can be repeated.
 */
export function installStatements(rules: DdlRules): string[] {
  const tables = [AI_SCHEMA_VERSION, ...TABLES];
  return [
    ...tables.map((table) => rules.createTable(table, tableBody(rules, table))),
    ...tables.flatMap((table) => table.indexes.map((index) => rules.createIndex(table, index))),
    ...rules.createView(TRAINING_EXAMPLES_VIEW, TRAINING_EXAMPLES_SELECT),
    rules.insertVersion(SCHEMA_VERSION, VERSION_DESCRIPTION),
  ];
}

export function scriptHeader(dialect: string, comment: string): string {
  return [
    `${comment} AI Training Data Recorder: schema version ${SCHEMA_VERSION} for ${dialect}.`,
    `${comment} Generated from packages/schema/src/tables.ts by \`pnpm generate\`; do not edit by hand.`,
    `${comment} Safe to run more than once.`,
    '',
  ].join('\n');
}
