/**
 * The deletion's statements per dialect, without a server: they parse (sqlparser-rs, Oracle
 * dialect too, since no Oracle server runs here) and bind each value where its placeholder
 * appears, which is what `?` and Oracle's positional binds need. The statements' effect is tested
 * on SQLite and PostgreSQL by the CLI's delete-command test.
 */
import { init, parse } from '@guanmingchiu/sqlparser-ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLES } from '@aitdr/schema';
import { deletionStatements } from '../../src/retention/delete-records.js';
import type { DeletionCriteria } from '../../src/retention/delete-records.js';
import { ORACLE_SYNTAX } from '../../src/dialects/oracle/oracle-statements.js';
import { POSTGRES_SYNTAX } from '../../src/dialects/postgres/postgres-dialect.js';
import { SQLITE_SYNTAX } from '../../src/dialects/sqlite/sqlite-dialect.js';

const EVERY_CRITERION: DeletionCriteria = {
  user: 'alice',
  queryId: 'a'.repeat(32),
  before: new Date('2026-01-31T00:00:00Z'),
};

describe('deletionStatements', () => {
  beforeAll(async () => {
    await init();
  });

  it.each([
    ['oracle', ORACLE_SYNTAX, /:(\d+)/g],
    ['postgresql', POSTGRES_SYNTAX, /\$(\d+)/g],
  ] as const)('%s: parse, with placeholders numbered in order of appearance', (dialect, syntax, pattern) => {
    for (const criteria of [{ user: 'alice' }, { before: new Date(0) }, EVERY_CRITERION]) {
      const { counts, deletes } = deletionStatements(syntax, criteria);
      expect(counts.map((c) => c.table)).toEqual(TABLES.map((t) => t.name));
      for (const { sql, binds } of [...counts, ...deletes]) {
        expect(() => parse(sql, dialect), sql).not.toThrow();
        // Placeholders outside string literals ('+00:00' is not one).
        const positions = [...sql.replaceAll(/'[^']*'/g, "''").matchAll(pattern)].map((m) => Number(m[1]));
        expect(positions, sql).toEqual(binds.map((_, i) => i + 1));
      }
    }
  });

  it('sqlite: one ? per bind; timestamps as six-decimal UTC text', () => {
    const { counts, deletes } = deletionStatements(SQLITE_SYNTAX, EVERY_CRITERION);
    for (const { sql, binds } of [...counts, ...deletes]) {
      expect(() => parse(sql, 'sqlite'), sql).not.toThrow();
      expect(sql.split('?').length - 1).toBe(binds.length);
    }
    expect(deletes.at(-1)?.binds).toEqual(['alice', 'alice', 'a'.repeat(32), '2026-01-31T00:00:00.000000Z']);
  });

  it('oracle: a date is read as UTC text with microseconds', () => {
    const [deleteQueries] = deletionStatements(ORACLE_SYNTAX, {
      before: new Date('2026-01-31T00:00:00Z'),
    }).deletes;
    expect(deleteQueries?.sql).toBe(
      `DELETE FROM AI_TRAINING_QUERIES WHERE COALESCE(START_TIME, RECORDED_AT) < FROM_TZ(TO_TIMESTAMP(:1, 'YYYY-MM-DD"T"HH24:MI:SS.FF6"Z"'), '+00:00')`,
    );
  });
});
