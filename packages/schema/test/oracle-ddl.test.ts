import { init, parse } from '@guanmingchiu/sqlparser-ts';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  SCHEMA_VERSION,
  schemaInstallScript,
  schemaInstallStatements,
  unwrapOracleBlock,
  upgradeStatements,
} from '@aitdr/schema';

// No Oracle server exists here: the Oracle DDL is checked by a real SQL parser (sqlparser-rs,
// oracle dialect) and by the shape of the statements. The parser does not know the `IS JSON`
// condition, so it is swapped for `IS NOT NULL`, which has the same grammar position.
const parsable = (sql: string) => sql.replaceAll(/(\w+) IS JSON/g, '$1 IS NOT NULL');

describe('Oracle install', () => {
  beforeAll(async () => {
    await init();
  });

  const statements = schemaInstallStatements('oracle');

  it('parses every statement with the Oracle dialect', () => {
    for (const statement of statements) {
      const sql = parsable(unwrapOracleBlock(statement));
      expect(() => parse(sql, 'oracle'), sql.slice(0, 80)).not.toThrow();
    }
  });

  it('creates every table and index in a block that ignores only "already exists"', () => {
    const creates = statements.filter((s) => /CREATE (TABLE|INDEX)/.test(s));
    // Ten tables; two indexes on the queries, one latest-row index on each of six tables.
    expect(creates).toHaveLength(10 + 8);
    for (const block of creates) {
      expect(block).toMatch(
        /^BEGIN\n {2}EXECUTE IMMEDIATE q'\[CREATE (TABLE|INDEX) [\s\S]*\]';\nEXCEPTION\n/,
      );
      expect(block).toContain('IF SQLCODE NOT IN (-955, -1408) THEN RAISE; END IF;');
    }
  });

  it('uses 19c types: CLOB with IS JSON for JSON, VARCHAR2 in characters, TIMESTAMP WITH TIME ZONE', () => {
    const queries = unwrapOracleBlock(
      statements.find((s) => s.includes('CREATE TABLE AI_TRAINING_QUERIES'))!,
    );
    expect(queries).toContain('ATTRIBUTES CLOB,');
    expect(queries).toContain('CONSTRAINT AI_QRY_ATTRIBUTES_CK CHECK (ATTRIBUTES IS JSON)');
    expect(queries).toContain('QUERY_ID VARCHAR2(32 CHAR) NOT NULL');
    expect(queries).toContain('START_TIME TIMESTAMP(6) WITH TIME ZONE');
    expect(queries).not.toMatch(/IF NOT EXISTS|BOOLEAN|JSONB/);
  });

  it('records the schema version with a MERGE, so a second run inserts nothing', () => {
    const merge = statements.at(-1)!;
    expect(merge).toMatch(
      new RegExp(`^MERGE INTO AI_SCHEMA_VERSION v\nUSING \\(SELECT ${SCHEMA_VERSION} AS VERSION`),
    );
    expect(() => parse(merge, 'oracle')).not.toThrow();
  });

  it('upgrades a version 1 store with ALTER TABLE blocks that ignore a column already added', () => {
    const upgrade = upgradeStatements('oracle', 1);
    const alterBlocks = upgrade.filter((s) => s.startsWith('BEGIN') && s.includes('ALTER TABLE'));
    const alters = alterBlocks.map(unwrapOracleBlock);
    expect(alters).toContain(
      "ALTER TABLE AI_MODEL_INTERACTIONS ADD SOURCE_SPAN_ID VARCHAR2(16 CHAR) CONSTRAINT AI_MDL_SOURCE_SPAN_ID_CK CHECK (REGEXP_LIKE(SOURCE_SPAN_ID, '^[0-9a-f]{16}$'))",
    );
    expect(alters).toHaveLength(4);
    expect(alterBlocks.every((s) => s.includes('SQLCODE != -1430'))).toBe(true);
    expect(upgrade).toContainEqual(
      expect.stringMatching(/^MERGE INTO AI_SCHEMA_VERSION v\nUSING \(SELECT 3 AS VERSION/),
    );
    for (const alter of alters) expect(() => parse(alter, 'oracle'), alter).not.toThrow();
  });

  it('renders a SQL*Plus script: blocks end with "/", it stops on error and commits', () => {
    const script = schemaInstallScript('oracle');
    expect(script).toContain('WHENEVER SQLERROR EXIT FAILURE ROLLBACK');
    expect(script.match(/^END;\n\/$/gm)).toHaveLength(18);
    expect(script.trimEnd().endsWith('COMMIT;')).toBe(true);
  });
});

describe('Oracle upgrade from version 3', () => {
  beforeAll(async () => {
    await init();
  });

  it("creates the install's latest-row indexes, drops the feedback index they replace, and records version 4", () => {
    const statements = upgradeStatements('oracle', 3);
    const install = schemaInstallStatements('oracle');
    const creates = statements.filter((s) => s.includes('CREATE INDEX'));
    expect(creates.map(unwrapOracleBlock)).toEqual([
      'CREATE INDEX AI_CLS_LATEST_IX ON AI_QUERY_CLASSIFICATIONS (QUERY_ID, START_TIME, CLASSIFICATION_ID)',
      'CREATE INDEX AI_SCX_LATEST_IX ON AI_SCHEMA_CONTEXTS (QUERY_ID, START_TIME, CONTEXT_ID)',
      'CREATE INDEX AI_SEL_LATEST_IX ON AI_RESPONSE_SELECTIONS (QUERY_ID, START_TIME, SELECTION_ID)',
      'CREATE INDEX AI_SQP_LATEST_IX ON AI_SQL_PROCESSING (QUERY_ID, START_TIME, PROCESSING_ID)',
      'CREATE INDEX AI_EXR_LATEST_IX ON AI_EXECUTION_RESULTS (QUERY_ID, START_TIME, EXECUTION_ID)',
      'CREATE INDEX AI_UFB_LATEST_IX ON AI_USER_FEEDBACK (QUERY_ID, FEEDBACK_TIME, FEEDBACK_ID)',
    ]);
    // The same blocks as the install's, so an upgraded store and a fresh one have the same indexes.
    for (const create of creates) expect(install).toContain(create);
    const drop = statements.find((s) => s.includes('DROP INDEX'))!;
    expect(unwrapOracleBlock(drop)).toBe('DROP INDEX AI_UFB_QUERY_IX');
    expect(drop).toContain('IF SQLCODE != -1418 THEN RAISE; END IF;');
    expect(statements.indexOf(drop)).toBeGreaterThan(statements.indexOf(creates.at(-1)!));
    expect(statements.at(-1)).toMatch(/^MERGE INTO AI_SCHEMA_VERSION v\nUSING \(SELECT 4 AS VERSION/);
    for (const statement of statements) {
      const sql = parsable(unwrapOracleBlock(statement));
      expect(() => parse(sql, 'oracle'), sql.slice(0, 80)).not.toThrow();
    }
  });
});

describe('Oracle upgrade from version 1', () => {
  beforeAll(async () => {
    await init();
  });

  it('replaces the view and records each later version, every statement parsing', () => {
    const statements = upgradeStatements('oracle', 1);
    expect(statements[0]).toMatch(/^CREATE OR REPLACE VIEW AI_TRAINING_EXAMPLES AS\n/);
    expect(statements.filter((s) => s.startsWith('MERGE INTO AI_SCHEMA_VERSION'))).toHaveLength(
      SCHEMA_VERSION - 1,
    );
    for (const statement of statements) {
      const sql = parsable(unwrapOracleBlock(statement));
      expect(() => parse(sql, 'oracle'), sql.slice(0, 80)).not.toThrow();
    }
  });
});
