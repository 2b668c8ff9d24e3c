import type { DdlRules, DialectName } from './dialect.js';
import { oracleRules } from './oracle.js';
import { postgresRules } from './postgres.js';
import { sqliteRules } from './sqlite.js';
import { installStatements } from './render.js';

export const DDL_RULES: Readonly<Record<DialectName, DdlRules>> = {
  oracle: oracleRules,
  postgres: postgresRules,
  sqlite: sqliteRules,
};

export const DIALECT_NAMES = Object.keys(DDL_RULES) as DialectName[];

/** Statements that install (or re-install) the schema on a dialect, in order, without terminators. */
export function schemaInstallStatements(dialect: DialectName): string[] {
  return installStatements(DDL_RULES[dialect]);
}

/** The committed `sql/<dialect>/install.sql` content. */
export function schemaInstallScript(dialect: DialectName): string {
  const rules = DDL_RULES[dialect];
  return rules.renderScript(installStatements(rules));
}
