/**
 * The cases an instrumentation of `pg` is put through against the local PostgreSQL, on both routes
 * to the tables: (1) its span under a hand-made execution stage span fills that stage's row
 * (namespace, operation, the SQL that ran); (2) its span alone under a query makes the row; never
 * two rows for one statement.
 */
import { createRequire } from 'node:module';
import type { TracerProvider } from '@opentelemetry/api';
import type pgType from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, executionRows, openDestination } from './support.js';
import type { Destination, ExecutionRow } from './support.js';

const POSTGRES_URL = process.env.AITDR_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const DATABASE = new URL(POSTGRES_URL).pathname.slice(1);
const SQL = 'SELECT n AS line_id, n * 10 AS minutes FROM generate_series(1, 3) AS n';

export interface PgLibrary {
  setTracerProvider(provider: TracerProvider): void;
}

/**
 * `pg` loaded after the instrumentation was constructed: constructing it hooks `require`, so this
 * CJS load is patched with no loader flag.
 */
function loadPg(): typeof pgType {
  return createRequire(import.meta.url)('pg') as typeof pgType;
}

function expectStatementRecorded(row: ExecutionRow): void {
  expect(row.EXECUTED_SQL).toBe(SQL);
  expect(row.DB_SYSTEM).toMatch(/^postgres/);
  expect(row.DB_NAMESPACE).toBe(DATABASE);
  // Neither version puts the operation in an attribute (only in the span name, `SELECT test` or
  // `pg.query:SELECT test`), so the row has none unless the application's stage span gave one.
  expect(row.OPERATION_NAME).toBeNull();
}

export function describePgLibrary(name: string, instrumentation: PgLibrary): void {
  const pg = loadPg();

  describe.each(ROUTES)(`${name} (%s)`, (route) => {
    let destination: Destination;
    let client: pgType.Client;

    beforeAll(async () => {
      destination = await openDestination(route);
      instrumentation.setTracerProvider(destination.recorder.tracerProvider);
      client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
    });
    afterAll(async () => {
      await client?.end();
      await destination?.close();
    });

    it('fills the execution stage row its span runs under, one row for the statement', async () => {
      const { queryId, result: stageSpanId } = await destination.recorder.recordQuery(
        { text: 'downtime by line' },
        async (query) =>
          query.execution({ queryText: SQL }, async (stage) => {
            const result = await client.query(SQL);
            stage.set({ success: true, returnedRows: result.rowCount ?? 0 });
            return stage.spanId;
          }),
      );
      const rows = await executionRows(destination, queryId);
      expect(rows).toHaveLength(1);
      expect(rows[0]!.EXECUTION_ID).toBe(stageSpanId);
      expect(rows[0]!.RETURNED_ROWS).toBe(3);
      expectStatementRecorded(rows[0]!);
    });

    it('makes the row from its span alone under a query', async () => {
      const { queryId } = await destination.recorder.recordQuery({ text: 'downtime by line' }, async () => {
        await client.query(SQL);
      });
      const rows = await executionRows(destination, queryId);
      expect(rows).toHaveLength(1);
      expectStatementRecorded(rows[0]!);
    });
  });
}
