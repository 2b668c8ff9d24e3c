/**
 * Deletion for privacy requests and retention: the queries of one user, one query, or those
 * older than a date, with every row that belongs to them (the foreign keys cascade), counted per
 * table first. Counting and deleting run in one transaction; a dry run only counts.
 */
import { existsSync } from 'node:fs';
import { AI_TRAINING_QUERIES, AI_USER_FEEDBACK, TABLES } from '@aitdr/schema';
import { createDialect } from '../dialects/create-dialect.js';
import type { BindValue } from '../store/dialect.js';
import type { SqlSyntax } from '../store/sql.js';
import { resolveStore } from '../store-url.js';
import type { Environment } from '../store-url.js';
import type { StoreOptions } from '../types.js';

/** Which queries to delete; every criterion given must hold (AND). */
export interface DeletionCriteria {
  /** A USERNAME or USER_ID: that user's queries, and the feedback rows they gave (USERNAME). */
  readonly user?: string;
  readonly queryId?: string;
  /** Queries that started (or, without a start time, were recorded) before this instant. */
  readonly before?: Date;
}

export interface DeletionReport {
  /** Rows per table that match (dry run) or were deleted, in `TABLES` order. */
  readonly rows: ReadonlyMap<string, number>;
  /** False for a dry run: nothing was deleted. */
  readonly deleted: boolean;
}

/**
 * A statement under construction: each value gets the next placeholder, so values must be bound
 * in the order their placeholders appear in the text (`?` and Oracle bind by position).
 */
class Statement {
  readonly binds: BindValue[] = [];
  constructor(private readonly syntax: SqlSyntax) {}
  bind(value: BindValue): string {
    this.binds.push(value);
    return this.syntax.placeholder(this.binds.length);
  }
  bindTimestamp(value: Date): string {
    // Six decimals, as the timestamp columns hold them on SQLite (compared as text there).
    const placeholder = this.bind(value.toISOString().replace('Z', '000Z'));
    return this.syntax.timestamp ? this.syntax.timestamp(placeholder) : placeholder;
  }
}

const QUERIES = AI_TRAINING_QUERIES.name;

function queryCondition(statement: Statement, criteria: DeletionCriteria): string {
  const conditions: string[] = [];
  if (criteria.user !== undefined) {
    conditions.push(
      `(USERNAME = ${statement.bind(criteria.user)} OR USER_ID = ${statement.bind(criteria.user)})`,
    );
  }
  if (criteria.queryId !== undefined) conditions.push(`QUERY_ID = ${statement.bind(criteria.queryId)}`);
  if (criteria.before !== undefined) {
    conditions.push(`COALESCE(START_TIME, RECORDED_AT) < ${statement.bindTimestamp(criteria.before)}`);
  }
  return conditions.join(' AND ');
}

/** Rows of `table` that go with the chosen queries (and, for feedback, the user's own feedback). */
function rowsCondition(statement: Statement, table: string, criteria: DeletionCriteria): string {
  if (table === QUERIES) return queryCondition(statement, criteria);
  const ofQueries = `QUERY_ID IN (SELECT QUERY_ID FROM ${QUERIES} WHERE ${queryCondition(statement, criteria)})`;
  if (table !== AI_USER_FEEDBACK.name) return ofQueries;
  const own = feedbackCondition(statement, criteria);
  return own === undefined ? ofQueries : `(${ofQueries} OR ${own})`;
}

/** Feedback a user gave on other users' queries is theirs too: deleted by user (with the other criteria). */
function feedbackCondition(statement: Statement, criteria: DeletionCriteria): string | undefined {
  if (criteria.user === undefined) return undefined;
  // Feedback rows carry a USERNAME only: a user named by ID is found through their queries.
  const byName = `USERNAME = ${statement.bind(criteria.user)}`;
  const byId = `SELECT USERNAME FROM ${QUERIES} WHERE USER_ID = ${statement.bind(criteria.user)} AND USERNAME IS NOT NULL`;
  const conditions = [`(${byName} OR USERNAME IN (${byId}))`];
  if (criteria.queryId !== undefined) conditions.push(`QUERY_ID = ${statement.bind(criteria.queryId)}`);
  if (criteria.before !== undefined)
    conditions.push(`FEEDBACK_TIME < ${statement.bindTimestamp(criteria.before)}`);
  return `(${conditions.join(' AND ')})`;
}

/**
 * Counts, and with `execute` deletes, the rows of the chosen queries in every table. Rejects
 * with a TypeError when no criterion is given: deleting everything is not a retention rule.
 */
/** One statement of a deletion with its binds, in placeholder order. */
export interface DeletionStatement {
  readonly table: string;
  readonly sql: string;
  readonly binds: readonly BindValue[];
}

/**
 * The statements of a deletion in a dialect's syntax: a COUNT per table, then the DELETEs (the
 * user's own feedback on other queries first; the rest goes with its query, ON DELETE CASCADE).
 */
export function deletionStatements(
  syntax: SqlSyntax,
  criteria: DeletionCriteria,
): { counts: DeletionStatement[]; deletes: DeletionStatement[] } {
  const counts = TABLES.map((table) => {
    const statement = new Statement(syntax);
    const where = rowsCondition(statement, table.name, criteria);
    return {
      table: table.name,
      sql: `SELECT COUNT(*) FROM ${table.name} WHERE ${where}`,
      binds: statement.binds,
    };
  });
  const deletes: DeletionStatement[] = [];
  const feedback = new Statement(syntax);
  const own = feedbackCondition(feedback, criteria);
  if (own !== undefined) {
    deletes.push({
      table: AI_USER_FEEDBACK.name,
      sql: `DELETE FROM ${AI_USER_FEEDBACK.name} WHERE ${own}`,
      binds: feedback.binds,
    });
  }
  const queries = new Statement(syntax);
  const where = queryCondition(queries, criteria);
  deletes.push({ table: QUERIES, sql: `DELETE FROM ${QUERIES} WHERE ${where}`, binds: queries.binds });
  return { counts, deletes };
}

export async function deleteRecords(
  store: string | StoreOptions,
  criteria: DeletionCriteria,
  options: { readonly execute?: boolean; readonly environment?: Environment } = {},
): Promise<DeletionReport> {
  if (criteria.user === undefined && criteria.queryId === undefined && criteria.before === undefined) {
    throw new TypeError('name what to delete: a user, a query ID or a date');
  }
  const resolved = resolveStore(store, options.environment);
  if (resolved.dialect === 'sqlite' && resolved.filename !== ':memory:' && !existsSync(resolved.filename)) {
    throw new Error(`no store at ${resolved.filename}`);
  }
  // Never installs: deleting from a store without the schema is a mistake to report.
  const dialect = createDialect(resolved, false);
  const { counts, deletes } = deletionStatements(dialect.syntax, criteria);
  try {
    return await dialect.transaction(async (tx) => {
      const rows = new Map<string, number>();
      for (const { table, sql, binds } of counts) rows.set(table, await tx.count(sql, binds));
      if (options.execute === true) for (const { sql, binds } of deletes) await tx.change(sql, binds);
      return { rows, deleted: options.execute === true };
    });
  } finally {
    await dialect.close();
  }
}
