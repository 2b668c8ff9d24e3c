import type { SqlProcessingFields } from '@aitdr/conventions';
import { astKeys, parserErrorMessage, statementKind, statementTypeName } from './sql-parser.js';
import type { SqlParser, SqlStatementAst } from './sql-parser.js';
import { leadingKeyword, splitStatements } from './sql-text.js';

export interface SqlProcessingOptions {
  /** Row limit added to a query that has none. Default 1000. */
  maxRows?: number;
}

export const DEFAULT_MAX_ROWS = 1000;

/** The outcome of validating and rewriting one SQL text; `fields` are the stage's attributes. */
export interface SqlProcessingResult {
  readonly fields: SqlProcessingFields;
  /** SQL to execute; present only when the SQL is valid. */
  readonly processedSql?: string;
}

/**
 * Statements the parser does not know but SQLite does. Refused by policy when they lead a
 * statement, rather than reported as syntax errors: none of them reads data.
 */
const NON_QUERY_KEYWORDS = new Set([
  'PRAGMA',
  'ATTACH',
  'DETACH',
  'VACUUM',
  'REINDEX',
  'ANALYZE',
  'INSERT',
  'REPLACE',
  'UPDATE',
  'DELETE',
  'UPSERT',
  'CREATE',
  'DROP',
  'ALTER',
  'BEGIN',
  'COMMIT',
  'END',
  'ROLLBACK',
  'SAVEPOINT',
  'RELEASE',
]);

const DATA_MODIFYING_NODES = new Set(['Insert', 'Update', 'Delete', 'Merge']);

/** Functions that reach outside the database even inside a SELECT. */
const FORBIDDEN_FUNCTIONS = new Set(['load_extension', 'readfile', 'writefile', 'edit', 'fts3_tokenizer']);

/**
 * Validates model-generated SQL against the read-only policy with the real parser (SQLite
 * dialect) and prepares it for execution: exactly one SELECT (WITH … SELECT included), nothing
 * that writes, attaches or changes settings; a row limit is added when the query has none.
 */
export function processSql(sql: string, parser: SqlParser, options: SqlProcessingOptions = {}): SqlProcessingResult {
  const maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
  const statements = splitStatements(sql);
  const refuse = (
    errors: string[],
    policy: { blockedByPolicy: boolean; statementType?: string },
  ): SqlProcessingResult => ({
    fields: {
      originalSql: sql,
      isValid: false,
      validationErrors: errors,
      blockedByPolicy: policy.blockedByPolicy,
      ...(policy.statementType ? { statementType: policy.statementType } : {}),
      errorType: policy.blockedByPolicy ? 'policy_violation' : 'syntax_error',
    },
  });

  if (statements.length === 0) return refuse(['no SQL statement found'], { blockedByPolicy: false });
  if (statements.length > 1) {
    const types = statements.map((s) => statementTypeOf(s, parser));
    return refuse([`only one statement is allowed, found ${statements.length}: ${types.join(', ')}`], {
      blockedByPolicy: true,
      statementType: types.join('; '),
    });
  }

  const statement = statements[0]!;
  let ast: SqlStatementAst;
  try {
    const parsed = parser.parse(statement);
    if (parsed.length !== 1) {
      return refuse([`expected one statement, the parser found ${parsed.length}`], { blockedByPolicy: false });
    }
    ast = parsed[0]!;
  } catch (error) {
    const keyword = leadingKeyword(statement);
    if (NON_QUERY_KEYWORDS.has(keyword)) {
      return refuse([`statement is not read-only: ${keyword}`], { blockedByPolicy: true, statementType: keyword });
    }
    return refuse([`syntax error: ${parserErrorMessage(error)}`], {
      blockedByPolicy: false,
      ...(keyword ? { statementType: keyword } : {}),
    });
  }

  const kind = statementKind(ast);
  const statementType = statementTypeName(kind);
  if (kind !== 'Query') {
    return refuse([`statement is not read-only: ${statementType}`], { blockedByPolicy: true, statementType });
  }
  const problems = readOnlyProblems(ast);
  if (problems.length > 0) return refuse(problems, { blockedByPolicy: true, statementType });

  const transformations: string[] = [];
  let processedSql = statement;
  if (!hasRowLimit(ast)) {
    // On its own line, so a trailing line comment cannot swallow it.
    processedSql = `${statement}\nLIMIT ${maxRows}`;
    transformations.push(`added row limit ${maxRows}`);
  }
  return {
    processedSql,
    fields: { originalSql: sql, processedSql, isValid: true, transformations, blockedByPolicy: false, statementType },
  };
}

/** Statement type of one statement for messages: from the parser when it parses, else its keyword. */
function statementTypeOf(statement: string, parser: SqlParser): string {
  try {
    const parsed = parser.parse(statement);
    if (parsed.length === 1) return statementTypeName(statementKind(parsed[0]!));
  } catch {
    // fall through to the leading keyword
  }
  return leadingKeyword(statement) || 'UNKNOWN';
}

/** What makes a parsed query not read-only: data-modifying CTEs or subqueries, forbidden functions. */
function readOnlyProblems(query: SqlStatementAst): string[] {
  const problems = new Set<string>();
  for (const [key, value] of astKeys(query)) {
    if (DATA_MODIFYING_NODES.has(key)) {
      problems.add(`statement is not read-only: ${key.toUpperCase()} inside a query`);
    } else if (key === 'Function') {
      const name = functionName(value);
      if (name !== undefined && FORBIDDEN_FUNCTIONS.has(name)) problems.add(`function is not allowed: ${name}`);
    }
  }
  return [...problems];
}

function functionName(node: unknown): string | undefined {
  const parts = (node as { name?: unknown }).name;
  if (!Array.isArray(parts)) return undefined;
  const last = parts.at(-1) as { Identifier?: { value?: unknown } } | undefined;
  const value = last?.Identifier?.value;
  return typeof value === 'string' ? value.toLowerCase() : undefined;
}

/** Whether the outermost query already limits its rows (a LIMIT inside a subquery does not count). */
function hasRowLimit(statement: SqlStatementAst): boolean {
  const query = statement.Query as { limit_clause?: unknown; limit?: unknown; fetch?: unknown } | undefined;
  return Boolean(query?.limit_clause ?? query?.limit ?? query?.fetch);
}
