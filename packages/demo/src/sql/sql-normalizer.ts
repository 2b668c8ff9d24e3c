import type { SqlParser } from './sql-parser.js';
import { mapCode, scanSql, splitStatements } from './sql-text.js';

/** Words that can follow a table name in FROM/JOIN and are therefore not its alias. */
const NOT_AN_ALIAS = new Set([
  'on',
  'using',
  'where',
  'group',
  'order',
  'limit',
  'having',
  'join',
  'left',
  'right',
  'inner',
  'outer',
  'cross',
  'natural',
  'full',
  'union',
  'intersect',
  'except',
  'window',
  'as',
]);

/**
 * Normalises SQL for comparing two models' answers: the parser's canonical layout, identifiers
 * and keywords in lower case (SQLite ignores their case; string literals keep theirs), no trailing
 * semicolon, and table aliases renamed `t1`, `t2`, … in order of appearance. Two queries with the
 * same normal form differ only in formatting and alias names. SQL the parser rejects is
 * normalised by whitespace and case alone.
 */
export function normalizeSql(sql: string, parser: SqlParser): string {
  const statements = splitStatements(sql);
  const canonical = statements.map((statement) => {
    try {
      return parser.format(statement);
    } catch {
      return statement;
    }
  });
  const text = scanSql(canonical.join('; '))
    .filter((segment) => segment.kind !== 'comment')
    .map((segment) => {
      if (segment.kind === 'code') return segment.text.toLowerCase();
      // SQLite resolves quoted identifiers case-insensitively too.
      if (segment.kind === 'quoted_identifier') return segment.text.slice(1, -1).toLowerCase();
      return segment.text;
    })
    .join('');
  return renameTableAliases(mapCode(text, (code) => code.replace(/\s+/g, ' ')).trim());
}

function renameTableAliases(sql: string): string {
  const aliases = new Map<string, string>();
  const declaration = /\b(from|join)\s+([a-z_][\w.]*)\s+(?:as\s+)?([a-z_]\w*)\b/g;
  for (const match of sql.matchAll(declaration)) {
    const alias = match[3]!;
    if (!NOT_AN_ALIAS.has(alias) && !aliases.has(alias)) aliases.set(alias, `t${aliases.size + 1}`);
  }
  if (aliases.size === 0) return sql;
  return mapCode(sql, (code) =>
    code
      .replace(declaration, (whole, keyword: string, table: string, alias: string) =>
        aliases.has(alias) ? `${keyword} ${table} ${aliases.get(alias)}` : whole,
      )
      .replace(/\b([a-z_]\w*)\./g, (whole, qualifier: string) =>
        aliases.has(qualifier) ? `${aliases.get(qualifier)}.` : whole,
      ),
  );
}
