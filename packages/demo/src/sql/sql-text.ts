/**
 * A small SQLite lexer: just enough to tell string literals, quoted identifiers and comments from
 * the rest, so statements can be split on `;` and text rewritten without touching literals.
 */

export type SqlSegmentKind = 'string' | 'quoted_identifier' | 'comment' | 'semicolon' | 'code';

export interface SqlSegment {
  readonly kind: SqlSegmentKind;
  readonly text: string;
}

const CLOSING_QUOTE: Readonly<Record<string, string>> = { "'": "'", '"': '"', '`': '`', '[': ']' };

/** Splits SQL into segments; an unterminated literal or comment runs to the end of the text. */
export function scanSql(sql: string): SqlSegment[] {
  const segments: SqlSegment[] = [];
  let code = '';
  const flushCode = () => {
    if (code !== '') segments.push({ kind: 'code', text: code });
    code = '';
  };
  let i = 0;
  while (i < sql.length) {
    const char = sql[i]!;
    const pair = sql.slice(i, i + 2);
    let end: number;
    let kind: SqlSegmentKind;
    if (pair === '--') {
      const newline = sql.indexOf('\n', i);
      end = newline === -1 ? sql.length : newline;
      kind = 'comment';
    } else if (pair === '/*') {
      const close = sql.indexOf('*/', i + 2);
      end = close === -1 ? sql.length : close + 2;
      kind = 'comment';
    } else if (char in CLOSING_QUOTE) {
      end = closingQuoteEnd(sql, i, CLOSING_QUOTE[char]!);
      kind = char === "'" ? 'string' : 'quoted_identifier';
    } else if (char === ';') {
      end = i + 1;
      kind = 'semicolon';
    } else {
      code += char;
      i++;
      continue;
    }
    flushCode();
    segments.push({ kind, text: sql.slice(i, end) });
    i = end;
  }
  flushCode();
  return segments;
}

/** End index (exclusive) of a quoted token starting at `start`; a doubled quote escapes itself. */
function closingQuoteEnd(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (quote !== ']' && sql[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return sql.length;
}

/**
 * The statements of a SQL text, split on `;` outside literals and comments, each without its
 * semicolon and trimmed. Pieces holding only whitespace and comments are dropped, so a trailing
 * `;` or comment does not count as a statement.
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current: SqlSegment[] = [];
  const flush = () => {
    if (current.some((s) => s.kind !== 'comment' && s.text.trim() !== '')) {
      statements.push(
        current
          .map((s) => s.text)
          .join('')
          .trim(),
      );
    }
    current = [];
  };
  for (const segment of scanSql(sql)) {
    if (segment.kind === 'semicolon') flush();
    else current.push(segment);
  }
  flush();
  return statements;
}

/** The first keyword of a statement, upper-cased, skipping comments; empty when there is none. */
export function leadingKeyword(statement: string): string {
  for (const segment of scanSql(statement)) {
    if (segment.kind === 'comment') continue;
    if (segment.kind !== 'code') return '';
    const match = /^\s*([A-Za-z_]+)/.exec(segment.text);
    if (match) return match[1]!.toUpperCase();
    if (segment.text.trim() !== '') return '';
  }
  return '';
}

/** Applies `transform` to the text outside string literals and comments. */
export function mapCode(sql: string, transform: (code: string) => string): string {
  return scanSql(sql)
    .map((segment) => (segment.kind === 'code' ? transform(segment.text) : segment.text))
    .join('');
}
