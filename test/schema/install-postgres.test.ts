import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION, TABLES, schemaInstallStatements, selectedSqlOf } from '@aitdr/schema';
import type { ColumnType } from '@aitdr/schema';
import { createTemporaryDatabase } from '../support/postgres.js';
import type { TemporaryDatabase } from '../support/postgres.js';
import { INSTALLED_TABLES, MISSING_QUERY_ID, QUERY_ID, SPAN_ID } from './schema-expectations.js';

const run = promisify(execFile);
const scriptPath = fileURLToPath(new URL('../../sql/postgres/install.sql', import.meta.url));

/** information_schema.columns.data_type for each portable type. */
function postgresDataType(type: ColumnType): string {
  const names: Record<ColumnType['kind'], string> = {
    id: 'character varying',
    varchar: 'character varying',
    text: 'text',
    json: 'jsonb',
    integer: 'integer',
    bigint: 'bigint',
    double: 'double precision',
    decimal: 'numeric',
    boolean: 'boolean',
    timestamp: 'timestamp with time zone',
  };
  return names[type.kind];
}

describe('PostgreSQL install on a database created for the test', () => {
  let database: TemporaryDatabase;
  let client: pg.Client;

  beforeAll(async () => {
    database = await createTemporaryDatabase('aitdr_test', { schema: false });
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    for (const statement of schemaInstallStatements('postgres')) await client.query(statement);
    // The committed script, run the way an operator would, on top: a second install changes nothing.
    await run('psql', ['--no-psqlrc', '--quiet', '-d', database.url, '-f', scriptPath]);
  });

  afterAll(async () => {
    await client?.end();
    await database?.drop();
  });

  it('creates every table with every column, its type, nullability and key', async () => {
    for (const table of INSTALLED_TABLES) {
      const { rows } = await client.query<{
        column_name: string;
        data_type: string;
        is_nullable: string;
        character_maximum_length: number | null;
      }>(
        `SELECT column_name, data_type, is_nullable, character_maximum_length FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
        [table.name.toLowerCase()],
      );
      expect(
        rows.map((r) => r.column_name.toUpperCase()),
        table.name,
      ).toEqual(table.columns.map((c) => c.name));
      for (const column of table.columns) {
        const row = rows.find((r) => r.column_name.toUpperCase() === column.name)!;
        expect(row.data_type, `${table.name}.${column.name}`).toBe(postgresDataType(column.type));
        expect(row.is_nullable === 'YES', `${table.name}.${column.name} nullable`).toBe(column.nullable);
        if (column.type.kind === 'varchar' || column.type.kind === 'id') {
          expect(row.character_maximum_length).toBe(column.type.length);
        }
      }
      const { rows: key } = await client.query<{ column_name: string }>(
        `SELECT a.attname AS column_name FROM pg_index i
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
         WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)`,
        [table.name.toLowerCase()],
      );
      expect(key.map((r) => r.column_name.toUpperCase())).toEqual(table.primaryKey);
    }
  });

  it('records the schema version once and creates the view', async () => {
    const { rows } = await client.query('SELECT version FROM ai_schema_version');
    expect(rows).toEqual([{ version: SCHEMA_VERSION }]);
    const view = await client.query('SELECT * FROM AI_TRAINING_EXAMPLES');
    expect(view.fields.map((f) => f.name)).toContain('corrected_sql');
    // The export's subquery for the selected interaction's SQL runs here too.
    await client.query(
      `SELECT v.QUERY_ID, CASE WHEN v.CORRECTED_SQL IS NOT NULL THEN ${selectedSqlOf('v.QUERY_ID')} END AS GENERATED_SQL
       FROM AI_TRAINING_EXAMPLES v`,
    );
  });

  it('refuses a stage row whose query row does not exist, in every stage table', async () => {
    for (const table of TABLES.slice(1)) {
      const id = table.columns[0]!.name;
      const extra = table.name === 'AI_USER_FEEDBACK' ? ', FEEDBACK_TRACE_ID, FEEDBACK_TIME' : '';
      const extraValues = table.name === 'AI_USER_FEEDBACK' ? `, '${'e'.repeat(32)}', now()` : '';
      const success = table.name === 'AI_EXECUTION_RESULTS' ? ', SUCCESS' : '';
      await expect(
        client.query(
          `INSERT INTO ${table.name} (${id}, QUERY_ID, SPAN_ID, SPAN_NAME, START_TIME, END_TIME, DURATION_MS, STATUS_CODE${extra}${success})
           VALUES ($1, $2, $1, 'x', now(), now(), 0, 'OK'${extraValues}${success ? ', true' : ''})`,
          [SPAN_ID, MISSING_QUERY_ID],
        ),
        table.name,
      ).rejects.toThrow(/violates foreign key constraint "ai_\w+_query_id_fk"/);
    }
  });

  it('keeps microseconds and cascades deletes from the query', async () => {
    await client.query(
      `INSERT INTO AI_TRAINING_QUERIES (QUERY_ID, TRACE_STATUS, STATUS_CODE, START_TIME) VALUES ($1, 'COMPLETE', 'OK', $2)`,
      [QUERY_ID, '2026-11-25T08:00:00.123456Z'],
    );
    const { rows } = await client.query<{ t: string }>(
      `SELECT to_char(START_TIME AT TIME ZONE 'UTC', 'HH24:MI:SS.US') AS t FROM AI_TRAINING_QUERIES`,
    );
    expect(rows[0]?.t).toBe('08:00:00.123456');
    await client.query(
      `INSERT INTO AI_QUERY_CLASSIFICATIONS (CLASSIFICATION_ID, QUERY_ID, SPAN_ID, SPAN_NAME, START_TIME, END_TIME, DURATION_MS, STATUS_CODE, CATEGORY)
       VALUES ($1, $2, $1, 'c', now(), now(), 0, 'OK', 'downtime')`,
      [SPAN_ID, QUERY_ID],
    );
    await client.query('DELETE FROM AI_TRAINING_QUERIES WHERE QUERY_ID = $1', [QUERY_ID]);
    const { rows: left } = await client.query('SELECT COUNT(*)::int AS n FROM AI_QUERY_CLASSIFICATIONS');
    expect(left).toEqual([{ n: 0 }]);
  });

  it('refuses IDs that are not lower-case hex', async () => {
    await expect(
      client.query(
        `INSERT INTO AI_TRAINING_QUERIES (QUERY_ID, TRACE_STATUS, STATUS_CODE) VALUES ($1, 'COMPLETE', 'OK')`,
        [QUERY_ID.toUpperCase()],
      ),
    ).rejects.toThrow(/ai_qry_query_id_ck/);
  });
});
