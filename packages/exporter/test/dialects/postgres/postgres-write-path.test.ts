/**
 * The PostgreSQL write path: a transaction's inserts held and sent as one statement (JSON rows,
 * data-modifying CTEs), BEGIN only when another statement follows. What it must keep: rows as the
 * separate INSERTs stored them, foreign keys and conflicts as before, all or nothing.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AI_QUERY_CLASSIFICATIONS, AI_TRAINING_QUERIES } from '@aitdr/schema';
import { createTemporaryDatabase } from '@aitdr/tests/support/postgres.js';
import type { TemporaryDatabase } from '@aitdr/tests/support/postgres.js';
import { GENERIC_PLAN_MIN_CHARS, rowsJson } from '../../../src/dialects/postgres/postgres-batch.js';
import { PostgresDialect } from '../../../src/dialects/postgres/postgres-dialect.js';
import type { ConflictAction } from '../../../src/store/dialect.js';

const IGNORE: ConflictAction = { kind: 'ignore' };
const FILL: ConflictAction = { kind: 'fill' };
const UPGRADE: ConflictAction = {
  kind: 'update',
  columns: ['TRACE_STATUS', 'QUERY_TEXT'],
  where: { column: 'TRACE_STATUS', equals: 'INCOMPLETE' },
};

const id = (n: number) => n.toString(16).padStart(32, '0');
const query = (n: number, status: string, text: string | null = null) => ({
  QUERY_ID: id(n),
  TRACE_STATUS: status,
  STATUS_CODE: 'OK',
  QUERY_TEXT: text,
  ATTRIBUTES: '{"k":"v"}',
  START_TIME: '2026-12-07T01:02:03.123456Z',
  DURATION_MS: 1.5,
});
const classification = (n: number, category: string | null) => ({
  CLASSIFICATION_ID: '00000000000000a1',
  QUERY_ID: id(n),
  SPAN_ID: '00000000000000a1',
  SPAN_NAME: 'classify',
  CATEGORY: category,
  CONFIDENCE: 0.25,
  START_TIME: '2026-12-07T01:02:03.000001Z',
  END_TIME: '2026-12-07T01:02:04.000001Z',
  DURATION_MS: 1000,
  STATUS_CODE: 'OK',
});

describe('PostgreSQL write path', () => {
  let database: TemporaryDatabase;
  let dialect: PostgresDialect;
  let reader: pg.Client;

  beforeAll(async () => {
    database = await createTemporaryDatabase();
    dialect = new PostgresDialect({ dialect: 'postgres', connectionString: database.url }, false);
    reader = new pg.Client({ connectionString: database.url });
    await reader.connect();
  });
  afterAll(async () => {
    await reader?.end();
    await dialect?.close();
    await database?.drop();
  });

  const queryRow = async (n: number) =>
    (await reader.query('SELECT * FROM AI_TRAINING_QUERIES WHERE QUERY_ID = $1', [id(n)])).rows[0] as
      Record<string, unknown> | undefined;

  it('stores a stage row beside its query row inserted in the same statement, values typed as the columns', async () => {
    await dialect.transaction(async (tx) => {
      await tx.insert(AI_TRAINING_QUERIES, [query(1, 'COMPLETE', 'how many?')], IGNORE);
      await tx.insert(AI_QUERY_CLASSIFICATIONS, [classification(1, 'count')], FILL);
    });
    const row = await queryRow(1);
    expect(row).toMatchObject({ query_text: 'how many?', trace_status: 'COMPLETE', attributes: { k: 'v' } });
    expect(row!.duration_ms).toBe('1.500');
    const { rows } = await reader.query(
      "SELECT category, confidence, to_char(start_time AT TIME ZONE 'UTC', 'HH24:MI:SS.US') AS at FROM AI_QUERY_CLASSIFICATIONS WHERE QUERY_ID = $1",
      [id(1)],
    );
    expect(rows).toEqual([{ category: 'count', confidence: 0.25, at: '01:02:03.000001' }]);
  });

  it('refuses a stage row whose query row is stored nowhere, as a missing parent, and stores nothing of the transaction', async () => {
    const failure = await dialect
      .transaction(async (tx) => {
        await tx.insert(AI_TRAINING_QUERIES, [query(2, 'COMPLETE')], IGNORE);
        await tx.insert(AI_QUERY_CLASSIFICATIONS, [classification(3, 'orphan')], FILL);
      })
      .catch((error: unknown) => error);
    expect(dialect.classify(failure)).toBe('missing-parent');
    expect(await queryRow(2)).toBeUndefined();
  });

  it('writes a placeholder and the complete row of one query in one transaction as separate statements would', async () => {
    await dialect.transaction(async (tx) => {
      await tx.insert(AI_TRAINING_QUERIES, [query(4, 'INCOMPLETE')], IGNORE);
      await tx.insert(AI_TRAINING_QUERIES, [query(4, 'COMPLETE', 'late root')], UPGRADE);
    });
    // The batch writer's order: complete rows first, then placeholders.
    await dialect.transaction(async (tx) => {
      await tx.insert(AI_TRAINING_QUERIES, [query(12, 'COMPLETE', 'root')], UPGRADE);
      await tx.insert(AI_TRAINING_QUERIES, [query(12, 'INCOMPLETE')], IGNORE);
    });
    expect(await queryRow(4)).toMatchObject({ trace_status: 'COMPLETE', query_text: 'late root' });
    expect(await queryRow(12)).toMatchObject({ trace_status: 'COMPLETE', query_text: 'root' });
  });

  it('fills a stored row’s empty columns only (a trace written again with more)', async () => {
    await dialect.transaction((tx) => tx.insert(AI_QUERY_CLASSIFICATIONS, [classification(1, null)], FILL));
    await dialect.transaction(async (tx) => {
      await tx.insert(AI_TRAINING_QUERIES, [query(5, 'COMPLETE')], IGNORE);
      await tx.insert(AI_QUERY_CLASSIFICATIONS, [{ ...classification(1, 'other'), COMPLEXITY: 'low' }], FILL);
    });
    const { rows } = await reader.query(
      'SELECT category, complexity FROM AI_QUERY_CLASSIFICATIONS WHERE QUERY_ID = $1',
      [id(1)],
    );
    expect(rows).toEqual([{ category: 'count', complexity: 'low' }]);
  });

  it('sees its own inserts in a read later in the transaction', async () => {
    const seen = await dialect.transaction(async (tx) => {
      await tx.insert(AI_TRAINING_QUERIES, [query(6, 'INCOMPLETE')], IGNORE);
      return tx.existingQueryIds([id(6), id(7)]);
    });
    expect([...seen]).toEqual([id(6)]);
  });

  it('rolls back inserts written before a read when the work fails after it', async () => {
    await expect(
      dialect.transaction(async (tx) => {
        await tx.insert(AI_TRAINING_QUERIES, [query(8, 'INCOMPLETE')], IGNORE);
        await tx.existingQueryIds([id(8)]);
        throw new Error('work failed');
      }),
    ).rejects.toThrow('work failed');
    expect(await queryRow(8)).toBeUndefined();
  });

  it('stores an unpaired surrogate as U+FFFD, and the text of an escape as that text', async () => {
    await dialect.transaction((tx) =>
      tx.insert(
        AI_TRAINING_QUERIES,
        [query(9, 'COMPLETE', 'a\ud800b \\ud800 \\\\udc00 \ud83d\ude00')],
        IGNORE,
      ),
    );
    expect((await queryRow(9))!.query_text).toBe('a\ufffdb \\ud800 \\\\udc00 \ud83d\ude00');
  });

  it('refuses U+0000 naming the column, and keeps the text of its JSON escape in a text column', async () => {
    await expect(
      dialect.transaction((tx) =>
        tx.insert(AI_TRAINING_QUERIES, [query(10, 'COMPLETE', 'a\u0000b')], IGNORE),
      ),
    ).rejects.toThrow('AI_TRAINING_QUERIES.QUERY_TEXT');
    await dialect.transaction((tx) =>
      tx.insert(AI_TRAINING_QUERIES, [query(11, 'COMPLETE', 'C:\\u0000')], IGNORE),
    );
    expect((await queryRow(11))!.query_text).toBe('C:\\u0000');
    expect(await queryRow(10)).toBeUndefined();
  });

  it('refuses the JSON escape of U+0000 in a JSON column, naming it', async () => {
    await expect(
      dialect.transaction((tx) =>
        tx.insert(
          AI_TRAINING_QUERIES,
          [{ ...query(13, 'COMPLETE'), ATTRIBUTES: '{"k":"a\\u0000b"}' }],
          IGNORE,
        ),
      ),
    ).rejects.toThrow('AI_TRAINING_QUERIES.ATTRIBUTES');
    expect(await queryRow(13)).toBeUndefined();
  });

  it('tells whether the rows’ JSON holds a \\u escape, which only a control character, a lone surrogate or the text of an escape writes', () => {
    expect(rowsJson([{ A: 'plain "quoted"\n text \ud83d\ude00', B: 1 }]).unicodeEscapes).toBe(false);
    for (const value of ['a\u0000b', 'a\u0001b', 'a\ud800b', '{"k":"\\u0000"}', 'C:\\u0000'])
      expect(rowsJson([{ A: value }]).unicodeEscapes).toBe(true);
    expect(rowsJson([{ A: 'a\ud800b' }]).json).toBe('[{"A":"a\ufffdb"}]');
  });

  it('writes more rows than one part holds', async () => {
    const many = new PostgresDialect(
      { dialect: 'postgres', connectionString: database.url, rowsPerStatement: 3 },
      false,
    );
    try {
      await many.transaction((tx) =>
        tx.insert(
          AI_TRAINING_QUERIES,
          Array.from({ length: 10 }, (_, i) => query(100 + i, 'INCOMPLETE')),
          IGNORE,
        ),
      );
    } finally {
      await many.close();
    }
    const { rows } = await reader.query<{ n: string }>(
      'SELECT COUNT(*) AS n FROM AI_TRAINING_QUERIES WHERE QUERY_ID >= $1 AND QUERY_ID <= $2',
      [id(100), id(109)],
    );
    expect(rows[0]!.n).toBe('10');
  });

  describe('a batch large enough for a generic plan', () => {
    // Query texts long enough that 40 rows pass the size from which the insert runs on a generic plan.
    const longText = (n: number) => `${'x'.repeat(GENERIC_PLAN_MIN_CHARS / 20)} ${n}`;
    const batch = (first: number, status: string) =>
      Array.from({ length: 40 }, (_, i) => query(first + i, status, longText(first + i)));
    /** One connection, so that each write meets what the one before it left on the connection. */
    let single: PostgresDialect;
    beforeAll(() => {
      single = new PostgresDialect(
        { dialect: 'postgres', connectionString: database.url, poolSize: 1 },
        false,
      );
    });
    afterAll(() => single?.close());

    /** 1 while the connection plans as it does by default (a lookup's IN list must keep its index). */
    const AUTO_PLANS = "SELECT CASE current_setting('plan_cache_mode') WHEN 'auto' THEN 1 ELSE 0 END";
    const planCacheMode = () => single.transaction((tx) => tx.count(AUTO_PLANS, []));

    it('writes its rows and conflicts as a small batch does, batch after batch on one connection', async () => {
      await single.transaction((tx) => tx.insert(AI_TRAINING_QUERIES, batch(1000, 'INCOMPLETE'), IGNORE));
      // The same statement again: a placeholder upgraded, a stage row written beside it.
      await single.transaction(async (tx) => {
        await tx.insert(AI_TRAINING_QUERIES, batch(1000, 'COMPLETE'), UPGRADE);
        await tx.insert(AI_QUERY_CLASSIFICATIONS, [classification(1000, 'count')], FILL);
      });
      const afterInsert = await single.transaction(async (tx) => {
        await tx.insert(AI_TRAINING_QUERIES, batch(1100, 'COMPLETE'), UPGRADE);
        await tx.insert(AI_QUERY_CLASSIFICATIONS, [classification(1100, 'sum')], FILL);
        return tx.count(AUTO_PLANS, []);
      });
      expect(afterInsert).toBe(1);
      expect(await queryRow(1000)).toMatchObject({ trace_status: 'COMPLETE', query_text: longText(1000) });
      expect(await queryRow(1139)).toMatchObject({ trace_status: 'COMPLETE', query_text: longText(1139) });
      const { rows } = await reader.query<{ n: string }>(
        'SELECT COUNT(*) AS n FROM AI_TRAINING_QUERIES WHERE QUERY_ID >= $1 AND QUERY_ID <= $2',
        [id(1000), id(1139)],
      );
      expect(rows[0]!.n).toBe('80');
      expect(await planCacheMode()).toBe(1);
    });

    it('leaves the connection as it found it when the database refuses the batch, in a transaction or alone', async () => {
      const orphan = async (tx: Parameters<Parameters<PostgresDialect['transaction']>[0]>[0]) => {
        await tx.insert(AI_TRAINING_QUERIES, batch(1200, 'COMPLETE'), IGNORE);
        await tx.insert(AI_QUERY_CLASSIFICATIONS, [classification(1299, 'orphan')], FILL);
      };
      // Alone: the insert is the whole transaction.
      const alone = await single.transaction(orphan).catch((error: unknown) => error);
      expect(single.classify(alone)).toBe('missing-parent');
      expect(await planCacheMode()).toBe(1);
      // In a transaction: a lookup before it begins one.
      const inTransaction = await single
        .transaction(async (tx) => {
          await tx.existingQueryIds([id(1200)]);
          await orphan(tx);
          await tx.existingQueryIds([id(1200)]);
        })
        .catch((error: unknown) => error);
      expect(single.classify(inTransaction)).toBe('missing-parent');
      expect(await planCacheMode()).toBe(1);
      expect(await queryRow(1200)).toBeUndefined();
      // The connection still writes.
      await single.transaction((tx) => tx.insert(AI_TRAINING_QUERIES, batch(1200, 'COMPLETE'), IGNORE));
      expect(await queryRow(1239)).toMatchObject({ query_text: longText(1239) });
    });
  });
});
