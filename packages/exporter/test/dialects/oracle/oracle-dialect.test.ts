/**
 * The Oracle dialect against a fake of the `oracledb` module (no Oracle server exists here):
 * the statements it generates parse as Oracle SQL (sqlparser-rs), their binds and bindDefs fit,
 * and the fake runs them with Oracle's MERGE and batchErrors semantics, so idempotence, refused
 * rows and parking are shown through the real exporter. What a real server must still confirm is
 * listed in packages/exporter/README.md.
 */
import { init, parse } from '@guanmingchiu/sqlparser-ts';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RecordingError } from '@aitdr/conventions';
import {
  AI_MODEL_INTERACTIONS,
  AI_TRAINING_QUERIES,
  AI_USER_FEEDBACK,
  SCHEMA_VERSION,
  TABLES,
  unwrapOracleBlock,
} from '@aitdr/schema';
import { SchemaNotReadyError, TableExporter, readDeadLetters } from '@aitdr/exporter';
import type { OracleBindDef } from '@aitdr/exporter';
import { join } from 'node:path';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';
import { recordFeedback, recordPipeline } from '../../support/traces.js';
import { writableColumns as writableColumnsOf } from '../../../src/mapping/rows.js';
import { FakeOracleDb, oracleError, parseMerge } from './fake-oracledb.js';
import type { RecordedCall } from './fake-oracledb.js';
import { toSpanRecord } from '@aitdr/conventions';

const placeholderCount = (sql: string) => new Set(sql.match(/(?<=[\s(]):\d+/g)).size;

describe('Oracle dialect (fake oracledb)', () => {
  let oracledb: FakeOracleDb;
  let dir: { path: string; remove(): void };
  let exporter: TableExporter;

  beforeAll(async () => {
    await init();
  });

  const create = (options: { rowsPerCall?: number; retries?: number } = {}) =>
    new TableExporter({
      store: {
        dialect: 'oracle',
        user: 'aitdr',
        password: 'secret',
        connectString: 'db.example:1521/FREEPDB1',
        poolSize: 3,
        ...(options.rowsPerCall ? { rowsPerCall: options.rowsPerCall } : {}),
        driver: oracledb,
      },
      stateDirectory: dir.path,
      installSchema: true,
      retry: { retries: options.retries ?? 2, minDelayMs: 1, maxDelayMs: 2 },
      replayIntervalMs: 600_000,
      parking: { retryIntervalMs: 600_000 },
    });

  beforeEach(() => {
    oracledb = new FakeOracleDb();
    dir = createTemporaryDirectory('aitdr-oracle-');
    exporter = create();
  });

  afterEach(async () => {
    await exporter.shutdown();
    dir.remove();
  });

  it('opens one fixed-size pool and installs the schema once', async () => {
    await exporter.writeTraces(recordPipeline().spans.map(toSpanRecord), { require: 'committed' });
    await exporter.writeTraces(recordPipeline().spans.map(toSpanRecord), { require: 'committed' });
    expect(oracledb.pools).toEqual([
      {
        user: 'aitdr',
        password: 'secret',
        connectString: 'db.example:1521/FREEPDB1',
        poolMin: 3,
        poolMax: 3,
        poolIncrement: 0,
        queueTimeout: 5000,
      },
    ]);
    const installs = oracledb
      .statements('execute')
      .filter((c) => /^(BEGIN|CREATE|MERGE INTO AI_SCHEMA_VERSION)/.test(c.sql!));
    expect(installs.length).toBeGreaterThan(10);
    expect(installs.filter((c) => c.sql!.includes('CREATE TABLE AI_TRAINING_QUERIES'))).toHaveLength(1);
  });

  it('without installSchema only checks the version: no schema refuses to start, an installed one runs no DDL', async () => {
    const checkOnly = new TableExporter({
      store: { dialect: 'oracle', user: 'app', connectString: 'db.example:1521/FREEPDB1', driver: oracledb },
      stateDirectory: join(dir.path, 'check-only'),
    });
    try {
      const refusal = await checkOnly.verifyStore().catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(SchemaNotReadyError);
      expect(String(refusal)).toMatch(/oracle:\/\/app@db\.example:1521\/FREEPDB1 has no recorder schema/);
      expect(String((refusal as SchemaNotReadyError).fix)).toMatch(/aitdr-schema install/);
      oracledb.schemaVersion = SCHEMA_VERSION;
      await checkOnly.verifyStore();
      await checkOnly.writeTraces(recordPipeline().spans.map(toSpanRecord), { require: 'committed' });
      expect(oracledb.statements('execute').filter((c) => /^(BEGIN|CREATE)/.test(c.sql!))).toEqual([]);
    } finally {
      await checkOnly.shutdown();
    }
  });

  it('passes any pool attribute (wallet, config dir, external auth) and sets the owner schema on each session', async () => {
    const writer = new TableExporter({
      store: {
        dialect: 'oracle',
        connectString: 'SALES_TLS',
        poolAttributes: { configDir: '/opt/oracle/tns', walletLocation: '/opt/wallet', externalAuth: true },
        schema: 'AITDR_OWNER',
        driver: oracledb,
      },
      stateDirectory: join(dir.path, 'writer'),
    });
    try {
      oracledb.schemaVersion = SCHEMA_VERSION;
      await writer.writeTraces(recordPipeline().spans.map(toSpanRecord), { require: 'committed' });
      expect(oracledb.pools[0]).toEqual({
        configDir: '/opt/oracle/tns',
        walletLocation: '/opt/wallet',
        externalAuth: true,
        connectString: 'SALES_TLS',
        poolMin: 4,
        poolMax: 4,
        poolIncrement: 0,
        queueTimeout: 5000,
      });
      expect(oracledb.connections.length).toBeGreaterThan(0);
      expect(oracledb.connections.map((c) => c.currentSchema)).toEqual(
        oracledb.connections.map(() => 'AITDR_OWNER'),
      );
    } finally {
      await writer.shutdown();
    }
  });

  it('generates statements that parse as Oracle SQL', async () => {
    const trace = recordPipeline();
    await exporter.writeTraces(trace.spans.map(toSpanRecord), { require: 'committed' });
    await exporter.writeTraces(trace.spans.slice(1).map(toSpanRecord), { require: 'committed' });
    const statements = oracledb.calls.filter((c) => c.sql !== undefined).map((c) => c.sql!);
    expect(statements.some((s) => s.startsWith('MERGE INTO AI_TRAINING_QUERIES'))).toBe(true);
    expect(statements.some((s) => / FOR UPDATE$/.test(s))).toBe(true);
    // The parser lacks IS JSON (used only by the install's CHECKs); it has the same grammar position as IS NOT NULL.
    for (const sql of new Set(statements)) {
      const parsable = unwrapOracleBlock(sql).replaceAll(/(\w+) IS JSON/g, '$1 IS NOT NULL');
      expect(() => parse(parsable, 'oracle'), sql.slice(0, 100)).not.toThrow();
    }
    // …and the check can fail.
    expect(() =>
      parse('MERGE INTO T t USING (SELECT :1 AS A FROM DUAL) s WHEN NOT MATCHED', 'oracle'),
    ).toThrow();
  });

  it('writes each table with one executeMany of a MERGE, parents first, bindDefs fitting the binds', async () => {
    const trace = recordPipeline();
    await exporter.writeTraces(trace.spans.map(toSpanRecord), { require: 'committed' });
    const calls = oracledb.statements('executeMany');
    expect(calls.map((c) => parseMerge(c.sql!).table.name)).toEqual(
      TABLES.filter((t) => t !== AI_USER_FEEDBACK).map((t) => t.name),
    );
    for (const call of calls) {
      const merge = parseMerge(call.sql!);
      const columns = writableColumnsOf(merge.table);
      const { bindDefs, batchErrors, autoCommit } = call.options as {
        bindDefs: OracleBindDef[];
        batchErrors: boolean;
        autoCommit: boolean;
      };
      expect({ batchErrors, autoCommit }).toEqual({ batchErrors: true, autoCommit: false });
      expect(bindDefs).toHaveLength(placeholderCount(call.sql!));
      expect(merge.keys).toEqual([...merge.table.primaryKey]);
      expect(merge.insert).toEqual(columns.map((c) => c.name));
      for (const row of call.binds as unknown[][]) {
        expect(row).toHaveLength(bindDefs.length);
        columns.forEach((column, i) => {
          const def = bindDefs[i]!;
          const value = row[i];
          if (['integer', 'bigint', 'double', 'decimal', 'boolean'].includes(column.type.kind)) {
            expect(def.type, column.name).toBe(oracledb.DB_TYPE_NUMBER);
            expect(value === null || typeof value === 'number', column.name).toBe(true);
          } else {
            expect(def.type, column.name).toBe(oracledb.DB_TYPE_VARCHAR);
            if (typeof value === 'string')
              expect(def.maxSize).toBeGreaterThanOrEqual(Buffer.byteLength(value));
          }
          if (column.type.kind === 'boolean' && value !== null) expect([0, 1]).toContain(value);
        });
      }
    }
    // Timestamps travel as text with microseconds and are read as UTC on the server.
    const queries = calls[0]!;
    expect(queries.sql).toContain(
      `FROM_TZ(TO_TIMESTAMP(:17, 'YYYY-MM-DD"T"HH24:MI:SS.FF6"Z"'), '+00:00') AS START_TIME`,
    );
    expect((queries.binds as unknown[][])[0]![16]).toBe('2025-11-25T08:00:00.123456Z');
    expect(oracledb.rows('AI_TRAINING_QUERIES')[0]).toMatchObject({
      QUERY_TEXT: 'show production efficiency trends for line 3',
    });
  });

  it('upgrades the placeholder with WHEN MATCHED … WHERE TRACE_STATUS, and is idempotent', async () => {
    const trace = recordPipeline();
    const isRoot = (s: (typeof trace.spans)[number]) => s.spanContext().spanId === trace.spanIds.query;
    const root = trace.spans.find(isRoot)!;
    await exporter.writeTraces(trace.spans.filter((s) => !isRoot(s)).map(toSpanRecord), {
      require: 'committed',
    });
    expect(oracledb.rows('AI_TRAINING_QUERIES')[0]).toMatchObject({
      TRACE_STATUS: 'INCOMPLETE',
      QUERY_TEXT: null,
    });
    await exporter.writeTraces([root].map(toSpanRecord), { require: 'committed' });
    await exporter.writeTraces(trace.spans.map(toSpanRecord), { require: 'committed' });
    expect(oracledb.rows('AI_TRAINING_QUERIES')).toEqual([
      expect.objectContaining({
        TRACE_STATUS: 'COMPLETE',
        QUERY_TEXT: 'show production efficiency trends for line 3',
      }),
    ]);
    expect(oracledb.rows('AI_MODEL_INTERACTIONS')).toHaveLength(2);
    expect(JSON.parse(oracledb.rows('AI_TRAINING_QUERIES')[0]!.OTHER_SPANS as string)).toHaveLength(1);
    const upgrade = oracledb
      .statements('executeMany')
      .find(
        (c) => c.sql!.startsWith(`MERGE INTO ${AI_TRAINING_QUERIES.name}`) && c.sql!.includes('WHEN MATCHED'),
      )!;
    expect(upgrade.sql).toMatch(
      /WHEN MATCHED THEN UPDATE SET t\.SPAN_ID = s\.SPAN_ID, .* WHERE t\.TRACE_STATUS = :26\n/,
    );
    expect((upgrade.binds as unknown[][])[0]!.at(-1)).toBe('INCOMPLETE');
  });

  it('dead-letters the trace of a row reported in batchErrors, maps offsets across chunks, commits the rest', async () => {
    await exporter.shutdown();
    exporter = create({ rowsPerCall: 2 });
    const traces = [
      recordPipeline(),
      recordPipeline(),
      recordPipeline(undefined, { queryExtra: { 'session.id': 's'.repeat(300) } }),
    ];
    const result = await exporter.writeTraces(traces.flatMap((t) => t.spans).map(toSpanRecord));
    expect(result).toEqual({ committed: 2, spooled: 0, parked: 0, deadLettered: 1 });
    // The refused query row was the third, so offset 0 of the second executeMany call.
    const first = oracledb.statements('executeMany')[0]!;
    const queriesCalls = oracledb.statements('executeMany').filter((c) => c.sql === first.sql);
    expect(queriesCalls.slice(0, 2).map((c) => c.binds!.length)).toEqual([2, 1]);
    expect(oracledb.statements('rollback').length).toBeGreaterThan(0);
    expect(
      oracledb
        .rows('AI_TRAINING_QUERIES')
        .map((r) => r.QUERY_ID)
        .sort(),
    ).toEqual([traces[0]!.traceId, traces[1]!.traceId].sort());
    expect(oracledb.rows('AI_MODEL_INTERACTIONS')).toHaveLength(4);
    const [letter] = await readDeadLetters(join(dir.path, 'dead-letter'));
    expect(letter).toMatchObject({
      traceId: traces[2]!.traceId,
      error: { code: 12899, message: expect.stringContaining('SESSION_ID') },
    });
  });

  it('binds strings longer than 4000 bytes as CLOB', async () => {
    const big = recordPipeline(undefined, { queryExtra: { 'text_to_sql.query.text': 'é'.repeat(2500) } });
    await exporter.writeTraces(big.spans.map(toSpanRecord), { require: 'committed' });
    const queries = oracledb
      .statements('executeMany')
      .find((c) => c.sql!.startsWith(`MERGE INTO ${AI_TRAINING_QUERIES.name}`))!;
    const defs = (queries.options as { bindDefs: OracleBindDef[] }).bindDefs;
    const position = writableColumnsOf(AI_TRAINING_QUERIES).findIndex((c) => c.name === 'QUERY_TEXT');
    expect(defs[position]).toEqual({ type: oracledb.DB_TYPE_CLOB });
    expect(oracledb.rows('AI_TRAINING_QUERIES')[0]!.QUERY_TEXT).toBe('é'.repeat(2500));
  });

  it('parks feedback refused for its missing query (ORA-02291) and stores it when the query arrives', async () => {
    const trace = recordPipeline();
    const feedback = recordFeedback(trace.traceId, trace.spanIds.query);
    const parked = exporter.writeTraces(feedback.spans.map(toSpanRecord), { require: 'committed' });
    await expect(parked).rejects.toBeInstanceOf(RecordingError);
    await expect(parked).rejects.toMatchObject({ code: 'PARKED' });
    await exporter.writeTraces(trace.spans.map(toSpanRecord), { require: 'committed' });
    await exporter.forceFlush();
    expect(oracledb.rows('AI_USER_FEEDBACK')).toEqual([
      expect.objectContaining({ QUERY_ID: trace.traceId, IS_CORRECT: 0 }),
    ]);
  });

  it('retries recoverable errors (ORA-03113, NJS-500), dropping the broken connection', async () => {
    await exporter.writeTraces(recordPipeline().spans.map(toSpanRecord), { require: 'committed' });
    oracledb.failNext('executeMany', oracleError(3113, 'end-of-file on communication channel'));
    oracledb.failNext(
      'getConnection',
      Object.assign(new Error('NJS-500: connection to the Oracle Database was broken'), { code: 'NJS-500' }),
    );
    const trace = recordPipeline();
    await expect(
      exporter.writeTraces(trace.spans.map(toSpanRecord), { require: 'committed' }),
    ).resolves.toMatchObject({
      committed: 1,
    });
    expect(exporter.status().counters.retried).toBe(2);
    expect(oracledb.connections.filter((c) => c.closedWith?.drop === true)).toHaveLength(1);
    expect(oracledb.rows(AI_MODEL_INTERACTIONS.name)).toHaveLength(4);
  });

  it('dead-letters data errors without retrying them', async () => {
    const trace = recordPipeline();
    oracledb.failNext('executeMany', oracleError(1722, 'invalid number'));
    const result = await exporter.writeTraces(trace.spans.map(toSpanRecord));
    expect(result).toMatchObject({ committed: 0, deadLettered: 1 });
    expect(exporter.status().counters.retried).toBe(0);
  });

  it('reads OTHER_SPANS as a string (fetchInfo) under FOR UPDATE, and merges late spans once', async () => {
    const trace = recordPipeline();
    await exporter.writeTraces(trace.spans.map(toSpanRecord), { require: 'committed' });
    const other = trace.spans.find((s) => s.spanContext().spanId === trace.spanIds.other)!;
    await exporter.writeTraces([other].map(toSpanRecord), { require: 'committed' });
    const lock = oracledb.calls.find((c: RecordedCall) => c.sql?.endsWith('FOR UPDATE'))!;
    expect(lock.options).toMatchObject({
      outFormat: oracledb.OUT_FORMAT_ARRAY,
      fetchInfo: { OTHER_SPANS: { type: oracledb.DB_TYPE_VARCHAR } },
    });
    expect(JSON.parse(oracledb.rows('AI_TRAINING_QUERIES')[0]!.OTHER_SPANS as string)).toHaveLength(1);
  });
});
