import { init, parse } from '@guanmingchiu/sqlparser-ts';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  SCHEMA_VERSION,
  schemaInstallScript,
  schemaInstallStatements,
  selectedSqlOf,
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

  it('parses the subquery giving one query’s selected SQL (the export reads it in a CASE)', () => {
    const sql = `SELECT v.QUERY_ID, CASE WHEN v.CORRECTED_SQL IS NOT NULL THEN ${selectedSqlOf('v.QUERY_ID')} END AS GENERATED_SQL FROM AI_TRAINING_EXAMPLES v`;
    expect(() => parse(sql, 'oracle')).not.toThrow();
  });

  it('creates every table and index in a block that ignores only "already exists"', () => {
    const creates = statements.filter((s) => /CREATE (TABLE|INDEX)/.test(s));
    expect(creates).toHaveLength(10 + 3);
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
    const alters = upgrade.filter((s) => s.startsWith('BEGIN')).map(unwrapOracleBlock);
    expect(alters).toContain(
      "ALTER TABLE AI_MODEL_INTERACTIONS ADD SOURCE_SPAN_ID VARCHAR2(16 CHAR) CONSTRAINT AI_MDL_SOURCE_SPAN_ID_CK CHECK (REGEXP_LIKE(SOURCE_SPAN_ID, '^[0-9a-f]{16}$'))",
    );
    expect(upgrade.filter((s) => s.startsWith('BEGIN')).every((s) => s.includes('SQLCODE != -1430'))).toBe(
      true,
    );
    expect(upgrade.at(-1)).toMatch(/^MERGE INTO AI_SCHEMA_VERSION v\nUSING \(SELECT 3 AS VERSION/);
    for (const alter of alters) expect(() => parse(alter, 'oracle'), alter).not.toThrow();
  });

  it('renders a SQL*Plus script: blocks end with "/", it stops on error and commits', () => {
    const script = schemaInstallScript('oracle');
    expect(script).toContain('WHENEVER SQLERROR EXIT FAILURE ROLLBACK');
    expect(script.match(/^END;\n\/$/gm)).toHaveLength(13);
    expect(script.trimEnd().endsWith('COMMIT;')).toBe(true);
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
