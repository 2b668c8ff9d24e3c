import { describe, expect, it } from 'vitest';
import { looksLikeOneStatement, sqlFromResponse } from '../../src/mapping/generated-sql.js';

const output = (text: string) =>
  JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: text }], finish_reason: 'stop' }]);

describe('SQL from a response', () => {
  it('takes the first fenced sql block, without its trailing semicolon', () => {
    expect(
      sqlFromResponse(output('Try this:\n```sql\nSELECT a FROM t;\n```\nor\n```sql\nSELECT b FROM t\n```')),
    ).toEqual({ sql: 'SELECT a FROM t', origin: 'fenced_sql_block' });
    expect(sqlFromResponse(output('```SQL\nWITH x AS (SELECT 1) SELECT * FROM x\n```'))?.sql).toBe(
      'WITH x AS (SELECT 1) SELECT * FROM x',
    );
  });

  it('takes the whole text when it reads as one statement', () => {
    const sql = "SELECT name, 'a;b. c:' AS x -- note.\nFROM t\nWHERE (a = 1)";
    expect(sqlFromResponse(output(`${sql};`))).toEqual({ sql, origin: 'whole_response' });
    // Plain text, not messages JSON.
    expect(sqlFromResponse('select 1')).toEqual({ sql: 'select 1', origin: 'whole_response' });
  });

  it('refuses prose, two statements, unbalanced text and other languages', () => {
    for (const text of [
      'The answer is SELECT 1',
      'SELECT 1; SELECT 2',
      'SELECT (1',
      "SELECT 'open",
      'SELECT a FROM t\nThis query returns every row.',
      '```python\nprint(1)\n```',
      '',
    ]) {
      expect(sqlFromResponse(output(text)), text).toBeUndefined();
    }
    expect(looksLikeOneStatement('DROP TABLE t')).toBe(false);
  });
});
