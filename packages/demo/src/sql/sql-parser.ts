import { format, init, parse } from '@guanmingchiu/sqlparser-ts';

/**
 * The real SQL parser (sqlparser-rs compiled to WebAssembly) with the SQLite dialect. Its AST is
 * JSON whose enums are externally tagged: a statement is `{ "Query": {...} }`,
 * `{ "Delete": {...} }`, …, so the kind of a node is its only key.
 */
export interface SqlParser {
  /** Parses SQL into statement ASTs; throws the parser's error on invalid SQL. */
  parse(sql: string): SqlStatementAst[];
  /** Re-renders SQL in the parser's canonical layout; throws on invalid SQL. */
  format(sql: string): string;
}

export type SqlStatementAst = Readonly<Record<string, unknown>>;

let loading: Promise<void> | undefined;

/** Loads the WebAssembly module once per process; later calls share the first load. */
export async function loadSqlParser(): Promise<SqlParser> {
  loading ??= init();
  await loading;
  return {
    parse: (sql) => parse(sql, 'sqlite') as unknown as SqlStatementAst[],
    format: (sql) => format(sql, 'sqlite'),
  };
}

/** The parser's message without its generic prefix. */
export function parserErrorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^sql parser error:\s*/i, '');
}

/** The AST node kind of a statement: `Query`, `Delete`, `CreateTable`, `AttachDatabase`, … */
export function statementKind(statement: SqlStatementAst): string {
  return Object.keys(statement)[0] ?? 'Unknown';
}

/** A statement kind as SQL words: `CreateTable` → `CREATE TABLE`, `Query` → `SELECT`. */
export function statementTypeName(kind: string): string {
  if (kind === 'Query') return 'SELECT';
  return kind
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toUpperCase()
    .replace(/^ATTACH DATABASE$/, 'ATTACH');
}

/** Every object key anywhere in an AST, depth first: how nested node kinds are found. */
export function* astKeys(node: unknown): Generator<[key: string, value: unknown]> {
  if (Array.isArray(node)) {
    for (const item of node) yield* astKeys(item);
  } else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      yield [key, value];
      yield* astKeys(value);
    }
  }
}
