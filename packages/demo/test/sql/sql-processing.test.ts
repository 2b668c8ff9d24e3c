import { beforeAll, describe, expect, it } from 'vitest';
import { stageProblems } from '../support/stage-fields.js';
import { loadSqlParser, processSql, splitStatements } from '@aitdr/demo';
import type { SqlParser } from '@aitdr/demo';

describe('processSql', () => {
  let parser: SqlParser;
  beforeAll(async () => {
    parser = await loadSqlParser();
  });

  describe('accepts a single read-only query', () => {
    it.each([
      'SELECT line_id, SUM(minutes) FROM downtime_events GROUP BY line_id',
      'select * from plants;',
      'WITH totals AS (SELECT line_id, SUM(minutes) AS m FROM downtime_events GROUP BY line_id) SELECT * FROM totals',
      'SELECT name FROM plants UNION SELECT name FROM production_lines',
      "SELECT 'a;b' AS text, \"name\" FROM shifts -- a comment; with a semicolon",
    ])('%s', (sql) => {
      const { fields, processedSql } = processSql(sql, parser);
      expect(fields).toMatchObject({ isValid: true, blockedByPolicy: false, statementType: 'SELECT' });
      expect(fields.validationErrors).toBeUndefined();
      expect(processedSql).toBeDefined();
    });
  });

  it('adds a row limit on its own line when the query has none, so a trailing comment cannot hide it', () => {
    const { fields, processedSql } = processSql('SELECT * FROM plants -- all of them', parser, { maxRows: 50 });
    expect(processedSql).toBe('SELECT * FROM plants -- all of them\nLIMIT 50');
    expect(fields.transformations).toEqual(['added row limit 50']);
    expect(fields.originalSql).toBe('SELECT * FROM plants -- all of them');
    const [query] = parser.parse(processedSql!);
    expect((query!.Query as { limit_clause?: unknown }).limit_clause).toBeDefined();

    expect(processSql('SELECT * FROM plants; -- all of them', parser, { maxRows: 50 }).processedSql).toBe(
      'SELECT * FROM plants\nLIMIT 50',
    );
  });

  it('keeps an existing limit, and adds one outside a limited subquery', () => {
    expect(processSql('SELECT * FROM plants LIMIT 2', parser)).toMatchObject({
      processedSql: 'SELECT * FROM plants LIMIT 2',
      fields: { transformations: [] },
    });
    expect(processSql('SELECT * FROM (SELECT * FROM plants LIMIT 2)', parser).processedSql).toMatch(/\nLIMIT 1000$/);
  });

  describe('refuses by policy', () => {
    it.each([
      ['DELETE FROM downtime_events', 'DELETE', /not read-only: DELETE/],
      ['UPDATE production_runs SET actual_units = 0', 'UPDATE', /not read-only: UPDATE/],
      ['INSERT INTO plants VALUES (9, 1, 2, 3, 4)', 'INSERT', /not read-only: INSERT/],
      ['DROP TABLE downtime_events', 'DROP', /not read-only: DROP/],
      ['CREATE TEMP TABLE report AS SELECT * FROM plants', 'CREATE TABLE', /not read-only: CREATE TABLE/],
      ['PRAGMA foreign_keys', 'PRAGMA', /not read-only: PRAGMA/],
      ['PRAGMA foreign_keys = OFF', 'PRAGMA', /not read-only: PRAGMA/],
      ['pragma table_info(plants)', 'PRAGMA', /not read-only: PRAGMA/],
      ["ATTACH DATABASE '/tmp/x.db' AS x", 'ATTACH', /not read-only: ATTACH/],
      ['DETACH DATABASE x', 'DETACH', /not read-only: DETACH/],
      ['VACUUM', 'VACUUM', /not read-only: VACUUM/],
      ['SELECT * FROM plants; DROP TABLE plants', 'SELECT; DROP', /only one statement is allowed, found 2: SELECT, DROP/],
      ['SELECT 1; SELECT 2', 'SELECT; SELECT', /only one statement is allowed, found 2/],
      ['WITH gone AS (DELETE FROM plants RETURNING *) SELECT * FROM gone', 'SELECT', /DELETE inside a query/],
      ["SELECT load_extension('/tmp/evil.so')", 'SELECT', /function is not allowed: load_extension/],
    ])('%s', (sql, statementType, error) => {
      const { fields, processedSql } = processSql(sql, parser);
      expect(processedSql).toBeUndefined();
      expect(fields).toMatchObject({ isValid: false, blockedByPolicy: true, statementType, errorType: 'policy_violation' });
      expect(fields.validationErrors!.join('\n')).toMatch(error);
    });
  });

  it('reports syntax errors with the parser message, not as a policy refusal', () => {
    const { fields } = processSql('SELECT name FORM plants', parser);
    expect(fields).toMatchObject({ isValid: false, blockedByPolicy: false, errorType: 'syntax_error' });
    expect(fields.validationErrors).toEqual([expect.stringMatching(/^syntax error: Expected: end of statement, found: plants/)]);
    expect(processSql('  ;  -- nothing', parser).fields.validationErrors).toEqual(['no SQL statement found']);
  });

  it('produces valid sql_processing stage fields, valid or not', () => {
    for (const sql of ['SELECT 1', 'DELETE FROM plants', 'SELEC 1']) {
      const { fields } = processSql(sql, parser);
      expect(stageProblems('sql_processing', fields), sql).toEqual([]);
    }
  });
});

describe('splitStatements', () => {
  it('splits on semicolons outside literals, identifiers and comments, dropping empty pieces', () => {
    expect(splitStatements("SELECT ';' AS a; SELECT \"x;y\" FROM t /* ; */ ;\n-- done;\n")).toEqual([
      "SELECT ';' AS a",
      'SELECT "x;y" FROM t /* ; */',
    ]);
    expect(splitStatements("SELECT 'it''s; fine'")).toEqual(["SELECT 'it''s; fine'"]);
  });
});
