import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLES, TRAINING_EXAMPLES_VIEW } from '@aitdr/schema';
import { createTableExporter, MissingTablesError, openTableReader, StoreOpenError } from '@aitdr/exporter';
import type { ReadRow, TableReader } from '@aitdr/exporter';
import { createTemporaryDatabase } from '@aitdr/tests/support/postgres.js';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';
import { FakeOracleDb } from '../dialects/oracle/fake-oracledb.js';
import { postgresStore, sqliteStore } from '@aitdr/tests/support/stores.js';
import type { StoreUnderTest } from '@aitdr/tests/support/stores.js';
import { recordFeedback, recordPipeline, T0 } from '../support/traces.js';
import type { PipelineTrace } from '../support/traces.js';
import { toSpanRecord } from '@aitdr/conventions';

const collect = async (rows: AsyncIterable<ReadRow>): Promise<ReadRow[]> => {
  const all: ReadRow[] = [];
  for await (const row of rows) all.push(row);
  return all;
};

describe.each([
  ['a SQLite file', sqliteStore],
  ['PostgreSQL', postgresStore],
])('openTableReader on %s', (_name, makeStore) => {
  let store: StoreUnderTest;
  let reader: TableReader;
  let traces: PipelineTrace[];

  beforeAll(async () => {
    store = await makeStore();
    const exporter = createTableExporter({ store: store.url, stateDirectory: store.stateDirectory });
    traces = Array.from({ length: 5 }, () => recordPipeline());
    await exporter.writeTraces(traces.flatMap((t) => t.spans).map(toSpanRecord), { require: 'committed' });
    const feedback = recordFeedback(traces[0]!.traceId, traces[0]!.spanIds.query, { rating: 2 });
    await exporter.writeTraces(feedback.spans.map(toSpanRecord), { require: 'committed' });
    await exporter.shutdown();
    reader = await openTableReader(store.url, { batchSize: 2 });
  });

  afterAll(async () => {
    await reader?.close();
    await store?.close();
  });

  it('reads rows with upper-case keys and values in one form on every store', async () => {
    const binds = reader.binds();
    const [row] = await reader.query(
      `SELECT QUERY_ID, START_TIME, DURATION_MS, ATTRIBUTES, TRACE_STATUS FROM AI_TRAINING_QUERIES WHERE QUERY_ID = ${binds.add(traces[0]!.traceId)}`,
      binds,
    );
    expect(row).toEqual({
      QUERY_ID: traces[0]!.traceId,
      START_TIME: '2025-11-25T08:00:00.123456Z',
      DURATION_MS: 1000,
      ATTRIBUTES: expect.any(String),
      TRACE_STATUS: 'COMPLETE',
    });
    expect(JSON.parse(row!.ATTRIBUTES as string)).toMatchObject({ 'app.tenant': 'acme' });
  });

  it('binds booleans and instants as each store compares them', async () => {
    const count = async (sql: (binds: ReturnType<TableReader['binds']>) => string) => {
      const binds = reader.binds();
      const [row] = await reader.query(sql(binds), binds);
      return row!.N;
    };
    expect(
      await count((b) => `SELECT COUNT(*) AS N FROM AI_SQL_PROCESSING WHERE IS_VALID = ${b.add(true)}`),
    ).toBe(5);
    expect(
      await count((b) => `SELECT COUNT(*) AS N FROM AI_SQL_PROCESSING WHERE IS_VALID = ${b.add(false)}`),
    ).toBe(0);
    const start = new Date(T0 * 1000);
    expect(
      await count((b) => `SELECT COUNT(*) AS N FROM AI_TRAINING_QUERIES WHERE START_TIME >= ${b.add(start)}`),
    ).toBe(5);
    // 123.456 ms after T0: the queries started at 123.456 ms, so the microseconds decide.
    const justAfter = new Date(T0 * 1000 + 124);
    expect(
      await count(
        (b) => `SELECT COUNT(*) AS N FROM AI_TRAINING_QUERIES WHERE START_TIME >= ${b.add(justAfter)}`,
      ),
    ).toBe(0);
  });

  it('streams more rows than one batch and reads the training-examples view', async () => {
    const rows = await collect(
      reader.stream(
        `SELECT QUERY_ID, RATING, SELECTED_SOURCE FROM ${TRAINING_EXAMPLES_VIEW} ORDER BY QUERY_ID`,
      ),
    );
    expect(rows.map((r) => r.QUERY_ID)).toEqual(traces.map((t) => t.traceId).sort());
    expect(rows.find((r) => r.QUERY_ID === traces[0]!.traceId)!.RATING).toBe(2);
    expect(new Set(rows.map((r) => r.SELECTED_SOURCE))).toEqual(new Set(['api']));
  });

  it('reads the same rows on a thread of its own (ownThread), in batches, read-only', async () => {
    const sql = `SELECT QUERY_ID, RATING, QUERY_TIME FROM ${TRAINING_EXAMPLES_VIEW} ORDER BY QUERY_ID`;
    const own = await openTableReader(store.url, { ownThread: true, batchSize: 2 });
    try {
      expect(await own.query(sql)).toEqual(await reader.query(sql));
      // Left after the first batch: the statement is released, the next one runs.
      for await (const _row of own.stream('SELECT QUERY_ID FROM AI_TRAINING_QUERIES')) break;
      expect(await own.query('SELECT COUNT(*) AS N FROM AI_MODEL_INTERACTIONS')).toEqual([{ N: 10 }]);
      if (own.dialect === 'sqlite') {
        await expect(own.query('DELETE FROM AI_USER_FEEDBACK RETURNING FEEDBACK_ID')).rejects.toThrow(
          /readonly/,
        );
      }
    } finally {
      await own.close();
    }
  });

  it('releases the statement when a stream is left early', async () => {
    for await (const _row of reader.stream('SELECT QUERY_ID FROM AI_TRAINING_QUERIES')) break;
    const [row] = await reader.query('SELECT COUNT(*) AS N FROM AI_MODEL_INTERACTIONS');
    expect(row!.N).toBe(10);
  });
});

describe('openTableReader refuses what it cannot read', () => {
  const dir = createTemporaryDirectory('aitdr-reader-');
  afterAll(() => dir.remove());

  it('names the tables a SQLite file lacks', async () => {
    const file = join(dir.path, 'empty.db');
    new Database(file).close();
    const error = await openTableReader(`sqlite:${file}`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingTablesError);
    expect((error as MissingTablesError).missing).toEqual([
      ...TABLES.map((t) => t.name),
      TRAINING_EXAMPLES_VIEW,
    ]);
    expect((error as Error).message).toContain(`sqlite:${file} has no AI_TRAINING_QUERIES`);
  });

  it('does not create a SQLite file that is not there', async () => {
    const file = join(dir.path, 'missing.db');
    const error = await openTableReader(`sqlite:${file}`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreOpenError);
    expect((error as Error).message).toBe(`cannot open sqlite:${file}: no such file: ${file}`);
    expect(() => new Database(file, { fileMustExist: true })).toThrow();
  });

  it('names the tables an empty PostgreSQL database lacks', async () => {
    const database = await createTemporaryDatabase('aitdr_reader', { schema: false });
    try {
      const error = await openTableReader(database.url).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MissingTablesError);
      expect((error as MissingTablesError).missing).toContain('AI_USER_FEEDBACK');
    } finally {
      await database.drop();
    }
  });

  it('reports a PostgreSQL server that does not answer, password hidden', async () => {
    const error = await openTableReader('postgres://me:secret@127.0.0.1:1/none').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreOpenError);
    expect((error as Error).message).toMatch(
      /^cannot open postgres:\/\/me:\*\*\*@127\.0\.0\.1:1\/none: .*ECONNREFUSED/,
    );
  });

  it('refuses a store URL it does not know', async () => {
    await expect(openTableReader('mysql://localhost/db')).rejects.toThrow(
      /unsupported store URL mysql:\/\/localhost\/db/,
    );
  });

  it('refuses a file that is not a database', async () => {
    const file = join(dir.path, 'not-a-db.txt');
    writeFileSync(file, 'hello, this is text and not SQLite at all'.repeat(20));
    await expect(openTableReader(`sqlite:${file}`)).rejects.toBeInstanceOf(StoreOpenError);
  });
});

describe('openTableReader on Oracle (fake driver)', () => {
  const store = (driver: FakeOracleDb) =>
    ({ dialect: 'oracle', user: 'aitdr', connectString: 'db:1521/FREEPDB1', driver }) as const;

  it('streams objects with :n binds, CLOBs as text and instants in the portable form', async () => {
    const driver = new FakeOracleDb();
    driver.queryResults.push({
      sql: /^SELECT QUERY_ID, QUERY_TEXT, START_TIME, IS_VALID FROM AI_TRAINING_EXAMPLES/,
      columns: [
        { name: 'QUERY_ID', dbType: driver.DB_TYPE_VARCHAR },
        { name: 'QUERY_TEXT', dbType: driver.DB_TYPE_CLOB },
        { name: 'START_TIME', dbType: { name: 'DB_TYPE_TIMESTAMP_TZ' } },
        { name: 'IS_VALID', dbType: driver.DB_TYPE_NUMBER },
      ],
      rows: [['a'.repeat(32), 'scrap rate per shift', new Date('2026-11-25T08:00:00.123Z'), 1]],
    });
    const reader = await openTableReader(store(driver), { batchSize: 250 });
    const binds = reader.binds();
    const sql = `SELECT QUERY_ID, QUERY_TEXT, START_TIME, IS_VALID FROM AI_TRAINING_EXAMPLES WHERE IS_VALID = ${binds.add(true)} AND START_TIME >= ${binds.add(new Date('2026-11-01T00:00:00Z'))}`;
    const rows = await reader.query(sql, binds);
    await reader.close();

    expect(rows).toEqual([
      {
        QUERY_ID: 'a'.repeat(32),
        QUERY_TEXT: 'scrap rate per shift',
        START_TIME: '2026-11-25T08:00:00.123000Z',
        IS_VALID: 1,
      },
    ]);
    const streamed = driver.statements('queryStream').at(-1)!;
    expect(streamed.sql).toContain('WHERE IS_VALID = :1 AND START_TIME >= :2');
    expect(streamed.binds).toEqual([1, new Date('2026-11-01T00:00:00Z')]);
    expect(driver.streamedBatchSizes.at(-1)).toBe(250);
    expect(driver.pools[0]).toMatchObject({ user: 'aitdr', connectString: 'db:1521/FREEPDB1', poolMax: 2 });
    expect(driver.connections.every((c) => c.closedWith !== undefined)).toBe(true);
    expect(driver.closedPools).toBe(1);
  });

  it('names the tables the schema lacks', async () => {
    const driver = new FakeOracleDb();
    driver.catalog.delete('AI_USER_FEEDBACK');
    driver.catalog.delete(TRAINING_EXAMPLES_VIEW);
    const error = await openTableReader(store(driver)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingTablesError);
    expect((error as MissingTablesError).missing).toEqual(['AI_USER_FEEDBACK', TRAINING_EXAMPLES_VIEW]);
    expect(driver.closedPools).toBe(1);
  });

  it('reports a listener that refuses', async () => {
    const driver = new FakeOracleDb();
    driver.failNext(
      'createPool',
      Object.assign(new Error('ORA-12541: Cannot connect. No listener'), { errorNum: 12541 }),
    );
    await expect(openTableReader(store(driver))).rejects.toThrow(
      'cannot open oracle://aitdr@db:1521/FREEPDB1: ORA-12541: Cannot connect. No listener',
    );
  });
});
