import { describe, expect, it } from 'vitest';
import { SYSTEM_INSTRUCTIONS, extractSql, inputMessagesJson, outputMessagesJson } from '@aitdr/demo';

describe('prompt', () => {
  it('records the system prompt with the schema, then the question, as GenAI input messages', () => {
    const messages = JSON.parse(
      inputMessagesJson('CREATE TABLE plants (plant_id INTEGER);', 'how many plants?'),
    );
    expect(messages).toEqual([
      {
        role: 'system',
        parts: [
          {
            type: 'text',
            content: `${SYSTEM_INSTRUCTIONS}\n\nSchema:\nCREATE TABLE plants (plant_id INTEGER);`,
          },
        ],
      },
      { role: 'user', parts: [{ type: 'text', content: 'how many plants?' }] },
    ]);
  });

  it('records the reply and its finish reason as GenAI output messages', () => {
    expect(JSON.parse(outputMessagesJson('SELECT 1', 'stop'))).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: 'SELECT 1' }], finish_reason: 'stop' },
    ]);
  });

  it.each([
    ['```sql\nSELECT 1\n```', 'SELECT 1'],
    ['Here is the query:\n```sql\nSELECT *\nFROM plants\n```\nIt lists the plants.', 'SELECT *\nFROM plants'],
    ['```\nWITH x AS (SELECT 1) SELECT * FROM x\n```', 'WITH x AS (SELECT 1) SELECT * FROM x'],
    ['Sure! SELECT name FROM shifts', 'SELECT name FROM shifts'],
    ['  select 1  ', 'select 1'],
  ])('extracts the SQL from %j', (content, sql) => {
    expect(extractSql(content)).toBe(sql);
  });
});
