/**
 * No Oracle server exists here: the export and the stats run on the fake oracledb of the
 * exporter's tests, which records every statement. Each must parse as Oracle SQL (sqlparser-rs)
 * and bind its values as Oracle wants them: `:n` in order, booleans as 0/1.
 */
import { join } from 'node:path';
import { init, parse } from '@guanmingchiu/sqlparser-ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTableReader } from '@aitdr/exporter';
import { collectStats, exportDataset, DEFAULT_GOLD_RULES } from '@aitdr/cli';
import { FakeOracleDb } from '@aitdr/exporter/test/dialects/oracle/fake-oracledb.js';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';

describe('the export and the stats on Oracle (fake driver)', () => {
  const dir = createTemporaryDirectory('aitdr-cli-oracle-');
  const driver = new FakeOracleDb();
  const store = { dialect: 'oracle', user: 'aitdr', connectString: 'db:1521/FREEPDB1', driver } as const;

  beforeAll(async () => {
    await init();
    // Every query answers with no rows: what matters here is what was sent.
    driver.queryResults.push({ sql: /[\s\S]*/, columns: [], rows: [] });
    await exportDataset({
      store,
      outDirectory: join(dir.path, 'export'),
      format: 'chat',
      rules: DEFAULT_GOLD_RULES,
      filters: {
        from: new Date('2026-11-01T00:00:00Z'),
        until: new Date('2026-11-25T00:00:00Z'),
        source: 'local',
        minRating: 4,
        categories: ['downtime', 'quality'],
      },
      dedupe: true,
      validationRatio: 0.1,
      seed: '42',
    });
    const reader = await openTableReader(store);
    try {
      await collectStats(reader, {
        period: { from: new Date('2026-11-01T00:00:00Z'), until: new Date('2026-11-25T00:00:00Z') },
      });
    } finally {
      await reader.close();
    }
  });

  afterAll(() => dir.remove());

  it('sends statements that parse as Oracle SQL', () => {
    const statements = driver.statements('queryStream');
    expect(statements.length).toBeGreaterThan(15);
    for (const { sql } of statements) expect(() => parse(sql!, 'oracle'), sql).not.toThrow();
    // …and the check can fail.
    expect(() =>
      parse('SELECT QUERY_ID FROM AI_TRAINING_QUERIES ORDER BY QUERY_ID NULLS', 'oracle'),
    ).toThrow();
  });

  it('uses nothing Oracle lacks, which the lenient parser would let through', () => {
    // LIMIT, casts with ::, boolean literals, AS before a table alias, other dialects' placeholders.
    const foreign = /\bLIMIT\b|::|\b(TRUE|FALSE)\b|\b(FROM|JOIN)\s+\w+\s+AS\s|\$\d|\?/i;
    for (const { sql } of driver.statements('queryStream')) expect(sql).not.toMatch(foreign);
  });

  it('numbers its binds :1, :2, … in order, booleans as 0/1 and instants as dates', () => {
    for (const { sql, binds } of driver.statements('queryStream')) {
      const placeholders = [...sql!.matchAll(/:(\d+)/g)].map((m) => Number(m[1]));
      expect(placeholders, sql).toEqual(binds!.map((_, i) => i + 1));
      expect(
        binds!.every((b) => typeof b !== 'boolean'),
        sql,
      ).toBe(true);
    }
    const exported = driver
      .statements('queryStream')
      .find((c) => c.sql!.includes('ORDER BY CASE WHEN CORRECTED_SQL'))!;
    expect(exported.binds).toEqual([
      new Date('2026-11-01T00:00:00Z'),
      new Date('2026-11-25T00:00:00Z'),
      'local',
      4,
      'downtime',
      'quality',
    ]);
    const validation = driver.statements('queryStream').find((c) => c.sql!.includes('VALIDATION_ERRORS'))!;
    expect(validation.binds).toEqual([0, new Date('2026-11-01T00:00:00Z'), new Date('2026-11-25T00:00:00Z')]);
    // The models' answers: the two flags first, then the filters of the subquery, as the SQL uses them.
    const answers = driver.statements('queryStream').find((c) => c.sql!.includes('FAILED_RUNS'))!;
    expect(answers.binds!.slice(0, 3)).toEqual([0, 0, new Date('2026-11-01T00:00:00Z')]);
  });
});
