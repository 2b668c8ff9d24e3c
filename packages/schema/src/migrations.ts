/**
 * Versioned migrations, derived from the one schema source. Version 1 is the baseline: the whole
 * install of `tables.ts`. A later version adds a `Migration` whose statements take a store from
 * the version before to its own (ALTER TABLE …, rendered per dialect) and bumps SCHEMA_VERSION;
 * every migration ends by recording its version in AI_SCHEMA_VERSION.
 */
import { DDL_RULES, schemaInstallStatements } from './ddl/index.js';
import type { DialectName } from './ddl/dialect.js';
import { VERSION_DESCRIPTION } from './ddl/render.js';
import { SCHEMA_VERSION } from './tables.js';
import { TRAINING_EXAMPLES_SELECT, TRAINING_EXAMPLES_VIEW } from './view.js';

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
