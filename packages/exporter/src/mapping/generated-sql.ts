/**
 * SQL found in a model's response text, for a model interaction whose GENERATED_SQL was not
 * given. A heuristic, not a parser: the mapper is synchronous and pure, and the SQL parser the
 * repository has (sqlparser-rs as WebAssembly) loads asynchronously and weighs megabytes.
 */
import { responseTextOf } from './genai-messages.js';

export type GeneratedSqlOrigin = 'fenced_sql_block' | 'whole_response';

const FENCED_SQL = /```[ \t]*sql[ \t]*\r?\n([\s\S]*?)```/i;
const STATEMENT_START = /^(?:select|with|insert|update|delete|merge|values)\b/i;
/** A line of prose ends a sentence; a line of SQL rarely does outside a string. */
const SENTENCE_END = /[.:!?]$/;

const withoutTrailingSemicolon = (sql: string) => sql.trim().replace(/;\s*$/, '').trim();

/**
 * Whether `text` reads as one SQL statement: it starts with a statement keyword, and outside
 * quotes and comments it has no further `;`, balanced parentheses, closed quotes, and no line
 * ending like a sentence.
 */
export function looksLikeOneStatement(text: string): boolean {
  if (!STATEMENT_START.test(text) || text.includes('```')) return false;
  let depth = 0;
  let line = '';
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i] as string;
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) return false;
      line += 'x';
      i = end;
    } else if (c === '-' && text[i + 1] === '-') {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end - 1;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) return false;
      i = end + 1;
    } else if (c === ';') {
      return false;
    } else if (c === '\n') {
      if (SENTENCE_END.test(line.trim())) return false;
      line = '';
    } else {
      if (c === '(') depth += 1;
      if (c === ')' && --depth < 0) return false;
      line += c;
    }
  }
  return depth === 0 && !SENTENCE_END.test(line.trim());
}

/** The SQL of a response (GenAI output messages JSON, or text): a fenced `sql` block, else the whole text when it is one statement. */
export function sqlFromResponse(
  responseText: string,
): { readonly sql: string; readonly origin: GeneratedSqlOrigin } | undefined {
  const text = responseTextOf(responseText).trim();
  const fenced = FENCED_SQL.exec(text)?.[1];
  if (fenced !== undefined) {
    const sql = withoutTrailingSemicolon(fenced);
    return sql === '' ? undefined : { sql, origin: 'fenced_sql_block' };
  }
  const whole = withoutTrailingSemicolon(text);
  return looksLikeOneStatement(whole) ? { sql: whole, origin: 'whole_response' } : undefined;
}
