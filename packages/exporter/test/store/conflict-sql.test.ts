/**
 * The conflict rules as each dialect spells them. Stage rows written again fill only the columns
 * still NULL (`fill`): PostgreSQL and SQLite with `ON CONFLICT (key) DO UPDATE SET c =
 * COALESCE(stored, incoming) WHERE some column gets a value`, Oracle with the same in its MERGE
 * (`NVL`), so a replay touches no row and a stored value always wins. Rows in the stores: the
 * store contract ("fills only the empty columns …"). Before the statement: a span sent twice is
 * kept as its copy with the most events, and rows of one key are merged.
 */
import { init, parse } from '@guanmingchiu/sqlparser-ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { AI_FALLBACK_EVENTS, AI_TRAINING_QUERIES } from '@aitdr/schema';
import { fillableColumns, insertSql } from '../../src/store/sql.js';
import { POSTGRES_SYNTAX } from '../../src/dialects/postgres/postgres-dialect.js';
import { SQLITE_SYNTAX } from '../../src/dialects/sqlite/sqlite-dialect.js';
import { mergeSql } from '../../src/dialects/oracle/oracle-statements.js';
import { writableColumns } from '../../src/mapping/rows.js';
import { groupByTrace } from '../../src/mapping/span-record.js';
import { mergeSameKey } from '../../src/store/batch-writer.js';
import { toSpanRecord } from '@aitdr/conventions';
import type { SpanRecord } from '@aitdr/conventions';
import { recordPipeline } from '../support/traces.js';

const table = AI_FALLBACK_EVENTS;
const FILL = { kind: 'fill' } as const;

beforeAll(async () => {
  await init();
});

describe('the fill conflict rule', () => {
  it('fills every writable column but the key', () => {
    const names = writableColumns(table).map((c) => c.name);
    expect(fillableColumns(table)).toEqual(names.filter((n) => !table.primaryKey.includes(n)));
    expect(fillableColumns(table)).toContain('ATTRIBUTES');
    expect(fillableColumns(table)).not.toContain('QUERY_ID');
  });

  for (const [dialect, syntax, parser] of [
    ['PostgreSQL', POSTGRES_SYNTAX, 'postgresql'],
    ['SQLite', SQLITE_SYNTAX, 'sqlite'],
  ] as const) {
    it(`${dialect}: ON CONFLICT (key) DO UPDATE SET c = COALESCE(stored, incoming) WHERE a NULL gets a value`, () => {
      const sql = insertSql(syntax, table, 2, FILL);
      const [, tail] = sql.split(` ON CONFLICT (${table.primaryKey.join(', ')}) DO UPDATE SET `);
      expect(tail, sql).toBeDefined();
      const [set, where] = tail!.split(' WHERE ');
      const columns = fillableColumns(table);
      expect(set).toBe(columns.map((c) => `${c} = COALESCE(${table.name}.${c}, EXCLUDED.${c})`).join(', '));
      expect(where).toBe(
        columns.map((c) => `(${table.name}.${c} IS NULL AND EXCLUDED.${c} IS NOT NULL)`).join(' OR '),
      );
      expect(() => parse(sql, parser)).not.toThrow();
      // The ignore and update rules are unchanged.
      expect(insertSql(syntax, table, 1, { kind: 'ignore' })).toMatch(/ ON CONFLICT DO NOTHING$/);
    });
  }

  it('Oracle: WHEN MATCHED THEN UPDATE SET t.c = NVL(t.c, s.c) WHERE a NULL gets a value, parsed as Oracle SQL', () => {
    const sql = mergeSql(table, FILL);
    const columns = fillableColumns(table);
    expect(sql.split('\n')[3]).toBe(
      `WHEN MATCHED THEN UPDATE SET ${columns.map((c) => `t.${c} = NVL(t.${c}, s.${c})`).join(', ')} WHERE ${columns
        .map((c) => `(t.${c} IS NULL AND s.${c} IS NOT NULL)`)
        .join(' OR ')}`,
    );
    expect(sql).toMatch(/\nWHEN NOT MATCHED THEN INSERT \(/);
    expect(() => parse(sql, 'oracle')).not.toThrow();
    // The query row keeps its own rules: ignore has no WHEN MATCHED.
    expect(mergeSql(AI_TRAINING_QUERIES, { kind: 'ignore' })).not.toContain('WHEN MATCHED');
  });
});

describe('a trace written again in one batch with its first copy', () => {
  const span = (spanId: string, events: string[]): SpanRecord => ({
    ...toSpanRecord(recordPipeline().spans[0]!),
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId,
    events: events.map((name) => ({ name, time: [1764057600, 0] as [number, number], attributes: {} })),
  });

  it('keeps, of a span seen twice, the copy with the most events (content from late log records)', () => {
    const first = span('b7ad6b7169203331', []);
    const late = span('b7ad6b7169203331', ['gen_ai.user.message', 'gen_ai.choice']);
    const other = span('00f067aa0ba902b7', []);
    const [spans] = [...groupByTrace([first, other, late, first]).values()];
    expect(spans).toEqual([late, other]);
  });

  it('gives one row per key, its values filled in arrival order, so no statement meets a key twice', () => {
    const key = { QUERY_ID: 'q', FALLBACK_ID: 'f' };
    const entries = [
      { traceId: 't', row: { ...key, FROM_SOURCE: 'local', TO_SOURCE: null, SUCCEEDED: null } },
      { traceId: 't', row: { ...key, FROM_SOURCE: 'api', TO_SOURCE: 'api', SUCCEEDED: null } },
      {
        traceId: 't',
        row: { QUERY_ID: 'q', FALLBACK_ID: 'g', FROM_SOURCE: null, TO_SOURCE: null, SUCCEEDED: true },
      },
    ];
    expect(mergeSameKey(AI_FALLBACK_EVENTS, entries).map((e) => e.row)).toEqual([
      { ...key, FROM_SOURCE: 'local', TO_SOURCE: 'api', SUCCEEDED: null },
      entries[2]!.row,
    ]);
  });

  it('keeps rows apart whose keys differ only in how their parts split or in a value’s type', () => {
    const entries = [
      { traceId: 't', row: { QUERY_ID: 'a', FALLBACK_ID: 'bc', FROM_SOURCE: 'local' } },
      { traceId: 't', row: { QUERY_ID: 'ab', FALLBACK_ID: 'c', FROM_SOURCE: 'api' } },
      { traceId: 't', row: { QUERY_ID: 'q', FALLBACK_ID: '1', FROM_SOURCE: 'local' } },
      { traceId: 't', row: { QUERY_ID: 'q', FALLBACK_ID: 1, FROM_SOURCE: 'api' } },
      { traceId: 't', row: { QUERY_ID: 'q', FALLBACK_ID: null, FROM_SOURCE: 'local' } },
      { traceId: 't', row: { QUERY_ID: 'q', FALLBACK_ID: 'null', FROM_SOURCE: 'api' } },
      { traceId: 't', row: { QUERY_ID: 'x\u0000sy', FALLBACK_ID: 'z', FROM_SOURCE: 'local' } },
      { traceId: 't', row: { QUERY_ID: 'x', FALLBACK_ID: 'y\u0000sz', FROM_SOURCE: 'api' } },
    ];
    expect(mergeSameKey(AI_FALLBACK_EVENTS, entries)).toEqual(entries);
  });

  it('keeps rows apart that share only a key’s last column, and merges those sharing all of it', () => {
    const entries = [
      { traceId: 'a', row: { QUERY_ID: 'qa', FALLBACK_ID: 'f', FROM_SOURCE: 'local', TO_SOURCE: null } },
      { traceId: 'b', row: { QUERY_ID: 'qb', FALLBACK_ID: 'f', FROM_SOURCE: 'api', TO_SOURCE: null } },
      { traceId: 'a', row: { QUERY_ID: 'qa', FALLBACK_ID: 'f', FROM_SOURCE: null, TO_SOURCE: 'api' } },
    ];
    expect(mergeSameKey(AI_FALLBACK_EVENTS, entries).map((e) => e.row)).toEqual([
      { QUERY_ID: 'qa', FALLBACK_ID: 'f', FROM_SOURCE: 'local', TO_SOURCE: 'api' },
      entries[1]!.row,
    ]);
    expect(mergeSameKey(AI_FALLBACK_EVENTS, entries.slice(0, 2))).toEqual(entries.slice(0, 2));
  });
});
