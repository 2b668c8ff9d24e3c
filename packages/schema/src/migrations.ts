/**
 * Versioned migrations, derived from the one schema source. Version 1 is the baseline: the whole
 * install of `tables.ts`. A later version adds a `Migration` whose statements take a store from
 * the version before to its own (ALTER TABLE …, rendered per dialect) and bumps SCHEMA_VERSION;
 * every migration ends by recording its version in AI_SCHEMA_VERSION.
 */
import { DDL_RULES, schemaInstallStatements } from './ddl/index.js';
import type { DialectName } from './ddl/dialect.js';
import { VERSION_DESCRIPTION } from './ddl/render.js';
import {
  AI_EXECUTION_RESULTS,
  AI_MODEL_INTERACTIONS,
  RECOGNITION_COLUMNS,
  SCHEMA_VERSION,
} from './tables.js';
import { TRAINING_EXAMPLES_SELECT, TRAINING_EXAMPLES_VIEW } from './view.js';
import type { ColumnDef, TableDef } from './types.js';

/** ORA-01430: column being added already exists in table. */
const ORACLE_COLUMN_EXISTS = -1430;

/**
 * ALTER TABLE adding one nullable column with its checks, named as the install names them, so an
 * upgraded store and a fresh install end up the same. The Oracle form ignores "already exists",
 * as the install does.
 */
function addColumn(dialect: DialectName, table: TableDef, column: ColumnDef): string {
  const rules = DDL_RULES[dialect];
  const checks = rules.columnChecks(column);
  const check =
    checks.length === 0
      ? ''
      : ` CONSTRAINT AI_${table.code}_${column.name}_CK CHECK (${
          checks.length === 1 ? checks[0] : checks.map((c) => `(${c})`).join(' AND ')
        })`;
  const definition = `${column.name} ${rules.columnType(column.type)}${check}`;
  if (dialect !== 'oracle') return `ALTER TABLE ${table.name} ADD COLUMN ${definition}`;
  return [
    'BEGIN',
    `  EXECUTE IMMEDIATE q'[ALTER TABLE ${table.name} ADD ${definition}]';`,
    'EXCEPTION',
    '  WHEN OTHERS THEN',
    `    IF SQLCODE != ${ORACLE_COLUMN_EXISTS} THEN RAISE; END IF;`,
    'END;',
  ].join('\n');
}

export interface Migration {
  readonly version: number;
  readonly description: string;
  /** Statements that bring a store at `version - 1` to `version`, without terminators. */
  statements(dialect: DialectName): string[];
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, description: VERSION_DESCRIPTION, statements: (dialect) => schemaInstallStatements(dialect) },
  {
    version: 2,
    description: 'AI_TRAINING_EXAMPLES reads the latest stage rows by key, only the columns it shows',
    // Same columns in the same order, so PostgreSQL's CREATE OR REPLACE VIEW accepts it; no rows change.
    statements: (dialect) => DDL_RULES[dialect].createView(TRAINING_EXAMPLES_VIEW, TRAINING_EXAMPLES_SELECT),
  },
  {
    version: 3,
    description: 'Recognised library spans: SOURCE_SPAN_ID, GENERATED_SQL_FROM, INTERACTION_INFERRED',
    statements: (dialect) => [
      ...RECOGNITION_COLUMNS.AI_MODEL_INTERACTIONS.map((c) => addColumn(dialect, AI_MODEL_INTERACTIONS, c)),
      ...RECOGNITION_COLUMNS.AI_EXECUTION_RESULTS.map((c) => addColumn(dialect, AI_EXECUTION_RESULTS, c)),
    ],
  },
];

/** The version a store has: the highest recorded in AI_SCHEMA_VERSION. */
export const SCHEMA_VERSION_QUERY = 'SELECT MAX(VERSION) FROM AI_SCHEMA_VERSION';

/**
 * What brings a store from `installed` (undefined: no schema) to SCHEMA_VERSION: the whole
 * install on an empty store, else the migrations after `installed`, each recording its version.
 */
export function upgradeStatements(dialect: DialectName, installed: number | undefined): string[] {
  if (installed === undefined) return schemaInstallStatements(dialect);
  return MIGRATIONS.filter((m) => m.version > installed && m.version <= SCHEMA_VERSION).flatMap((m) => [
    ...m.statements(dialect),
    DDL_RULES[dialect].insertVersion(m.version, m.description),
  ]);
}
