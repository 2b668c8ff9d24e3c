/**
 * What the table exporter must do on every store, run once per dialect (SQLite file, PostgreSQL
 * server, and Oracle's `oracledb` stand-in): rows and values, foreign keys, idempotence, late
 * parts, late feedback, dead letters. Each test records traces of its own, so the tests share one
 * database. A store that cannot run a case honestly (the stand-in is not a database) names it in
 * `cannotRun` with the reason, and the case is reported skipped with that reason.
 */
import type { AttributeValue } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RecordingError, stageOf } from '@aitdr/conventions';
import {
  AI_EXECUTION_RESULTS,
  AI_FALLBACK_EVENTS,
  AI_MODEL_INTERACTIONS,
  AI_QUERY_CLASSIFICATIONS,
  AI_RESPONSE_SELECTIONS,
  AI_SCHEMA_CONTEXTS,
  AI_SQL_PROCESSING,
  AI_TRAINING_QUERIES,
  AI_USER_FEEDBACK,
  TABLES,
  tableForStage,
} from '@aitdr/schema';
import type { ColumnDef, TableDef } from '@aitdr/schema';
import { createTableExporter, readDeadLetters } from '@aitdr/exporter';
import type { StoreOptions, TableExporter } from '@aitdr/exporter';
import { join } from 'node:path';
import type { StoreUnderTest, StoredRow } from '@aitdr/tests/support/stores.js';
import { recordFeedback, recordPipeline } from './traces.js';
import type { PipelineTrace } from './traces.js';
import { toSpanRecord } from '@aitdr/conventions';
import type { SpanRecord } from '@aitdr/conventions';

/** What a column filled from `value` must read back as (the probes parse JSON columns). */
function expectedStored(column: ColumnDef, value: AttributeValue): unknown {
  return column.type.kind === 'json' && typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
}

const spanOf = (trace: PipelineTrace, spanId: string): ReadableSpan =>
  trace.spans.find((s) => s.spanContext().spanId === spanId)!;

/** A store the contract runs on: a test store, or one given to the exporter as options (a driver handed in). */
export interface ContractStore extends Omit<StoreUnderTest, 'dialect'> {
  readonly dialect: StoreUnderTest['dialect'] | 'oracle';
  /** What the exporter is given instead of `url`. */
  readonly options?: StoreOptions;
  /** Cases (by title) this store cannot run honestly, each with the reason. */
  readonly cannotRun?: Readonly<Record<string, string>>;
}

export function describeStoreContract(name: string, makeStore: () => Promise<ContractStore>): void {
  describe(`TableExporter on ${name}`, () => {
    let store: ContractStore;
    let exporter: TableExporter;
    const it = (title: string, body: () => Promise<void> | void) =>
      test(title, async (context) => {
        const reason = store.cannotRun?.[title];
        if (reason !== undefined) context.skip(reason);
        await body();
      });

    const rowsOf = async (table: TableDef, column: string, value: string): Promise<StoredRow[]> =>
      (await store.rows(table)).filter((row) => row[column] === value);
    const rowsOfQuery = (table: TableDef, queryId: string) => rowsOf(table, 'QUERY_ID', queryId);
    const countsOf = async (queryId: string) => {
      const counts: Record<string, number> = {};
      for (const table of TABLES) counts[table.name] = (await rowsOfQuery(table, queryId)).length;
      return counts;
    };

    beforeAll(async () => {
      store = await makeStore();
      exporter = createTableExporter({
        store: store.options ?? store.url,
        stateDirectory: store.stateDirectory,
        retry: { retries: 1, minDelayMs: 10 },
        // The tests drive replays and parking passes with forceFlush(), not timers.
        replayIntervalMs: 600_000,
        parking: { retryIntervalMs: 600_000, maxAttempts: 3 },
      });
    });

    afterAll(async () => {
      await exporter?.shutdown();
      await store?.close();
    });

    it('stores every stage of a trace in its table with the values recorded', async () => {
      const trace = recordPipeline();
      await expect(
        exporter.writeTraces(trace.spans.map(toSpanRecord), { require: 'committed' }),
      ).resolves.toEqual({
        committed: 1,
        spooled: 0,
        parked: 0,
        deadLettered: 0,
      });
      expect(await countsOf(trace.traceId)).toEqual({
        AI_TRAINING_QUERIES: 1,
        AI_QUERY_CLASSIFICATIONS: 1,
        AI_SCHEMA_CONTEXTS: 1,
        AI_MODEL_INTERACTIONS: 2,
        AI_RESPONSE_SELECTIONS: 1,
        AI_SQL_PROCESSING: 1,
        AI_EXECUTION_RESULTS: 1,
        AI_FALLBACK_EVENTS: 1,
        AI_USER_FEEDBACK: 0,
      });

      const [query] = await rowsOfQuery(AI_TRAINING_QUERIES, trace.traceId);
      expect(query).toMatchObject({
        SPAN_ID: trace.spanIds.query,
        QUERY_TEXT: 'show production efficiency trends for line 3',
        SERVICE_NAME: 'assistant',
        SERVICE_VERSION: '2.4.1',
        TRACE_STATUS: 'COMPLETE',
        START_TIME: '2025-11-25T08:00:00.123456Z',
        END_TIME: '2025-11-25T08:00:01.123456Z',
        DURATION_MS: 1000,
        STATUS_CODE: 'OK',
        ATTRIBUTES: { 'app.tenant': 'acme' },
        RESOURCE_ATTRIBUTES: expect.objectContaining({ 'host.name': 'build-host' }),
        OTHER_SPANS: [expect.objectContaining({ spanId: trace.spanIds.other, name: 'GET /metadata' })],
      });
      expect(query!.RECORDED_AT).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3,6}Z$/);

      // Every column filled from an attribute reads back as the attribute's value.
      const stageSpans = trace.spans.filter(
        (s) => stageOf(s.attributes) !== 'query' && stageOf(s.attributes),
      );
      for (const span of stageSpans) {
        const table = tableForStage(stageOf(span.attributes)!);
        const [row] = await rowsOf(table, table.columns[0]!.name, span.spanContext().spanId);
        expect(row, `${table.name} row of ${span.name}`).toBeDefined();
        for (const column of table.columns) {
          const source = column.sources[0];
          const value = source?.kind === 'attribute' ? span.attributes[source.key] : undefined;
          if (value === undefined) continue;
          expect(row![column.name], `${table.name}.${column.name}`).toEqual(expectedStored(column, value));
        }
        expect(row!.PARENT_SPAN_ID).toBe(span.parentSpanContext?.spanId);
      }

      const [classification] = await rowsOfQuery(AI_QUERY_CLASSIFICATIONS, trace.traceId);
      expect(classification).toMatchObject({
        START_TIME: '2025-11-25T08:00:00.124456Z',
        END_TIME: '2025-11-25T08:00:00.126456Z',
        DURATION_MS: 2,
      });
      const [selection] = await rowsOfQuery(AI_RESPONSE_SELECTIONS, trace.traceId);
      expect(selection!.SELECTED_INTERACTION_ID).toBe(trace.spanIds.apiInteraction);
      const local = (await rowsOfQuery(AI_MODEL_INTERACTIONS, trace.traceId)).find(
        (r) => r.MODEL_SOURCE === 'local',
      );
      expect(local).toMatchObject({
        STATUS_CODE: 'ERROR',
        ERROR_MESSAGE: 'request timed out',
        LATENCY_MS: 1234.5,
      });
      expect(local!.EVENTS).toEqual([
        expect.objectContaining({ name: 'exception', time: '2025-11-25T08:00:01.023456Z' }),
      ]);
      const [fallback] = await rowsOfQuery(AI_FALLBACK_EVENTS, trace.traceId);
      expect(fallback).toMatchObject({ FROM_SOURCE: 'local', TO_SOURCE: 'api', SUCCEEDED: true });
    });

    it('leaves no stage row without its query row', async () => {
      for (const table of TABLES.filter((t) => t !== AI_TRAINING_QUERIES)) {
        const orphans = await store.scalar(
          `SELECT COUNT(*) FROM ${table.name} x WHERE NOT EXISTS (SELECT 1 FROM AI_TRAINING_QUERIES q WHERE q.QUERY_ID = x.QUERY_ID)`,
        );
        expect(Number(orphans), table.name).toBe(0);
      }
      expect(await store.count(AI_QUERY_CLASSIFICATIONS)).toBeGreaterThan(0);
    });

    it('leaves exactly one set of rows when a trace is exported again', async () => {
      const trace = recordPipeline();
      await exporter.writeTraces(trace.spans.map(toSpanRecord), { require: 'committed' });
      const before = await countsOf(trace.traceId);
      // Again through writeTraces, and through the SpanExporter interface with the spans shuffled.
      await expect(
        exporter.writeTraces(trace.spans.map(toSpanRecord), { require: 'committed' }),
      ).resolves.toMatchObject({
        committed: 1,
      });
      const result = await new Promise((resolve) => exporter.export([...trace.spans].reverse(), resolve));
      expect(result).toEqual({ code: 0 });
      expect(await countsOf(trace.traceId)).toEqual(before);
      expect(before.AI_MODEL_INTERACTIONS).toBe(2);
    });

    it('fills only the empty columns of stored stage rows when a trace is written again with more', async () => {
      const trace = recordPipeline();
      const isApi = (span: SpanRecord) => span.spanId === trace.spanIds.apiInteraction;
      const keyOf = (name: string) => {
        const source = AI_MODEL_INTERACTIONS.columns.find((c) => c.name === name)!.sources[0]!;
        if (source.kind !== 'attribute') throw new Error(`${name} is not filled from an attribute`);
        return source.key;
      };
      const [promptKey, responseKey, temperatureKey] = [
        keyOf('PROMPT'),
        keyOf('RESPONSE_TEXT'),
        keyOf('TEMPERATURE'),
      ];
      const records = trace.spans.map(toSpanRecord);
      const withApi = (change: (attributes: Record<string, unknown>) => void) =>
        records.map((span) => {
          if (!isApi(span)) return span;
          const attributes: Record<string, unknown> = { ...span.attributes };
          change(attributes);
          return { ...span, attributes: attributes as SpanRecord['attributes'] };
        });
      const apiRow = async () =>
        (await rowsOf(AI_MODEL_INTERACTIONS, 'INTERACTION_ID', trace.spanIds.apiInteraction))[0]!;
      const stored = records.find(isApi)!.attributes;
      expect(stored[promptKey]).toBeDefined();
      expect(stored[responseKey]).toBeDefined();

      // First written without its content (it came later, e.g. in log records).
      const withoutContent = withApi((a) => {
        delete a[promptKey];
        delete a[responseKey];
      });
      await exporter.writeTraces(withoutContent, { require: 'committed' });
      expect(await apiRow()).toMatchObject({
        PROMPT: null,
        RESPONSE_TEXT: null,
        TEMPERATURE: stored[temperatureKey],
      });
      const before = await countsOf(trace.traceId);

      // Written again with the content, and a value that differs from the one stored: the content
      // lands, the stored value stays.
      const withContent = withApi((a) => {
        a[temperatureKey] = 1.5;
      });
      await exporter.writeTraces(withContent, { require: 'committed' });
      const filled = await apiRow();
      expect(filled).toMatchObject({ PROMPT: stored[promptKey], RESPONSE_TEXT: stored[responseKey] });
      expect(filled.TEMPERATURE).toBe(stored[temperatureKey]);
      expect(filled.TEMPERATURE).not.toBe(1.5);
      expect(await countsOf(trace.traceId)).toEqual(before);

      // A replay (once with every span sent twice, as a retry can), and the first part again,
      // change nothing.
      const snapshot = async () => {
        const rows: Record<string, StoredRow[]> = {};
        for (const table of TABLES) rows[table.name] = await rowsOfQuery(table, trace.traceId);
        return rows;
      };
      const after = await snapshot();
      await exporter.writeTraces(withContent, { require: 'committed' });
      await exporter.writeTraces([...withContent, ...withContent], { require: 'committed' });
      await exporter.writeTraces(withoutContent, { require: 'committed' });
      expect(await snapshot()).toEqual(after);
    });

    it('keeps a trace that arrives in parts: placeholder first, root later, late spans merged once', async () => {
      const trace = recordPipeline();
      const root = spanOf(trace, trace.spanIds.query);
      const other = spanOf(trace, trace.spanIds.other);
      const stages = trace.spans.filter((s) => s !== root && s !== other);

      await exporter.writeTraces(stages.map(toSpanRecord), { require: 'committed' });
      const [placeholder] = await rowsOfQuery(AI_TRAINING_QUERIES, trace.traceId);
      expect(placeholder).toMatchObject({
        TRACE_STATUS: 'INCOMPLETE',
        STATUS_CODE: 'UNSET',
        QUERY_TEXT: null,
        OTHER_SPANS: null,
      });
      expect((await countsOf(trace.traceId)).AI_MODEL_INTERACTIONS).toBe(2);

      // A late part with only a span of no stage joins the stored query row.
      await exporter.writeTraces([other].map(toSpanRecord), { require: 'committed' });
      await exporter.writeTraces([root].map(toSpanRecord), { require: 'committed' });
      await exporter.writeTraces([other, root].map(toSpanRecord), { require: 'committed' });
      const [complete] = await rowsOfQuery(AI_TRAINING_QUERIES, trace.traceId);
      expect(complete).toMatchObject({
        TRACE_STATUS: 'COMPLETE',
        STATUS_CODE: 'OK',
        SPAN_ID: trace.spanIds.query,
        QUERY_TEXT: 'show production efficiency trends for line 3',
        START_TIME: '2025-11-25T08:00:00.123456Z',
      });
      expect(complete!.OTHER_SPANS).toEqual([expect.objectContaining({ spanId: trace.spanIds.other })]);
      expect((await countsOf(trace.traceId)).AI_TRAINING_QUERIES).toBe(1);
    });

    it('ignores a trace with no stage whose query is not stored', async () => {
      const trace = recordPipeline();
      const other = spanOf(trace, trace.spanIds.other);
      const before = exporter.status().counters.ignored;
      await expect(
        exporter.writeTraces([other].map(toSpanRecord), { require: 'committed' }),
      ).resolves.toEqual({
        committed: 0,
        spooled: 0,
        parked: 0,
        deadLettered: 0,
      });
      expect(exporter.status().counters.ignored).toBe(before + 1);
      expect(await rowsOfQuery(AI_TRAINING_QUERIES, trace.traceId)).toEqual([]);
    });

    describe('with unattached spans parked (several collectors on one store)', () => {
      let parking: TableExporter;
      beforeAll(() => {
        parking = createTableExporter({
          store: store.options ?? store.url,
          stateDirectory: join(store.stateDirectory, 'unattached'),
          replayIntervalMs: 600_000,
          parking: { retryIntervalMs: 600_000, maxAttempts: 3, unattachedSpans: true },
        });
      });
      afterAll(() => parking?.shutdown());

      it('parks spans of no stage that come before their query row, and merges them once it is stored', async () => {
        const trace = recordPipeline();
        const other = spanOf(trace, trace.spanIds.other);
        // Another instance got the rest of the trace and writes it a moment later.
        await expect(parking.writeTraces([other].map(toSpanRecord))).resolves.toMatchObject({
          parked: 1,
          committed: 0,
        });
        expect(parking.status().parked.traces).toBe(1);
        await exporter.writeTraces(trace.spans.filter((span) => span !== other).map(toSpanRecord), {
          require: 'committed',
        });
        await parking.forceFlush();
        expect(parking.status().parked.traces).toBe(0);
        const [query] = await rowsOfQuery(AI_TRAINING_QUERIES, trace.traceId);
        expect(query!.OTHER_SPANS).toEqual([expect.objectContaining({ spanId: trace.spanIds.other })]);
      });

      it('ignores at once spans of no stage that hold their trace root: no recorder trace', async () => {
        const trace = recordPipeline();
        const other = spanOf(trace, trace.spanIds.other);
        const asRoot = { ...other, parentSpanContext: undefined } as ReadableSpan;
        Object.setPrototypeOf(asRoot, Object.getPrototypeOf(other) as object);
        const before = parking.status().counters.ignored;
        await expect(parking.writeTraces([asRoot].map(toSpanRecord))).resolves.toMatchObject({
          parked: 0,
          committed: 0,
        });
        expect(parking.status().parked.traces).toBe(0);
        expect(parking.status().counters.ignored).toBe(before + 1);
      });

      it('counts them as ignored, not dead-lettered, when no query row comes', async () => {
        const trace = recordPipeline();
        const other = spanOf(trace, trace.spanIds.other);
        const before = parking.status().counters;
        await parking.writeTraces([other].map(toSpanRecord));
        await parking.forceFlush();
        await parking.forceFlush();
        expect(parking.status().parked.traces).toBe(0);
        expect(parking.status().counters).toMatchObject({
          ignored: before.ignored + 1,
          deadLettered: before.deadLettered,
        });
        expect(await rowsOfQuery(AI_TRAINING_QUERIES, trace.traceId)).toEqual([]);
      });
    });

    it('parks feedback that arrives before its query, and stores it once the query is', async () => {
      const trace = recordPipeline();
      const feedback = recordFeedback(trace.traceId, trace.spanIds.query, { rating: 5, isCorrect: true });
      const parkedBefore = exporter.status().counters.parked;
      const rejection = exporter.writeTraces(feedback.spans.map(toSpanRecord), { require: 'committed' });
      await expect(rejection).rejects.toBeInstanceOf(RecordingError);
      await expect(rejection).rejects.toMatchObject({ code: 'PARKED' });
      expect(exporter.status().counters.parked).toBe(parkedBefore + 1);
      expect(exporter.status().parked.traces).toBe(1);
      expect(await rowsOf(AI_USER_FEEDBACK, 'FEEDBACK_TRACE_ID', feedback.traceId)).toEqual([]);

      await exporter.writeTraces(trace.spans.map(toSpanRecord), { require: 'committed' });
      await exporter.forceFlush();
      expect(exporter.status().parked.traces).toBe(0);
      const [stored] = await rowsOf(AI_USER_FEEDBACK, 'FEEDBACK_TRACE_ID', feedback.traceId);
      expect(stored).toMatchObject({
        FEEDBACK_ID: feedback.spanId,
        QUERY_ID: trace.traceId,
        RATING: 5,
        IS_CORRECT: true,
        FEEDBACK_TIME: '2026-11-25T09:30:00.000000Z',
        LINKS: [{ traceId: trace.traceId, spanId: trace.spanIds.query }],
      });
      // Written again (a replay), it stays one row.
      await exporter.writeTraces(feedback.spans.map(toSpanRecord), { require: 'committed' });
      expect(await rowsOf(AI_USER_FEEDBACK, 'FEEDBACK_TRACE_ID', feedback.traceId)).toHaveLength(1);
    });

    it('dead-letters parked feedback whose query never comes, after its attempts', async () => {
      const trace = recordPipeline();
      const feedback = recordFeedback(trace.traceId, trace.spanIds.query);
      await expect(
        exporter.writeTraces(feedback.spans.map(toSpanRecord), { require: 'committed' }),
      ).rejects.toMatchObject({
        code: 'PARKED',
      });
      await exporter.forceFlush(); // second attempt
      expect(exporter.status().parked.traces).toBe(1);
      const deadBefore = exporter.status().counters.deadLettered;
      await exporter.forceFlush(); // third and last
      expect(exporter.status().parked.traces).toBe(0);
      expect(exporter.status().counters.deadLettered).toBe(deadBefore + 1);
      const letters = await readDeadLetters(join(store.stateDirectory, 'dead-letter'));
      expect(letters.find((l) => l.traceId === feedback.traceId)).toMatchObject({
        reason: expect.stringMatching(
          new RegExp(`query ${trace.traceId} is not stored yet; gave up after 3 attempt`),
        ),
        spans: [expect.objectContaining({ spanId: feedback.spanId })],
      });
    });

    it('dead-letters a trace the database refuses and commits the rest of its batch', async () => {
      const good = recordPipeline();
      const tooLong = recordPipeline(undefined, { queryExtra: { 'user.name': 'x'.repeat(300) } });
      const alsoGood = recordPipeline();
      const spans = [...good.spans, ...tooLong.spans, ...alsoGood.spans];
      await expect(exporter.writeTraces(spans.map(toSpanRecord), { require: 'accepted' })).resolves.toEqual({
        committed: 2,
        spooled: 0,
        parked: 0,
        deadLettered: 1,
      });
      expect((await countsOf(good.traceId)).AI_MODEL_INTERACTIONS).toBe(2);
      expect((await countsOf(alsoGood.traceId)).AI_MODEL_INTERACTIONS).toBe(2);
      expect(Object.values(await countsOf(tooLong.traceId)).every((n) => n === 0)).toBe(true);
      const letters = await readDeadLetters(join(store.stateDirectory, 'dead-letter'));
      const letter = letters.find((l) => l.traceId === tooLong.traceId);
      expect(letter?.reason).toMatch(/^refused by the database: /);
      expect(letter?.error?.message).toMatch(
        store.dialect === 'oracle'
          ? /ORA-12899: value too large for column/
          : store.dialect === 'sqlite'
            ? /CHECK constraint failed: AI_QRY_USERNAME_CK/
            : /value too long/,
      );
      expect(letter?.spans).toHaveLength(tooLong.spans.length);
    });

    it('rejects a committed write the store refuses, with the trace dead-lettered', async () => {
      const trace = recordPipeline();
      await exporter.writeTraces(trace.spans.map(toSpanRecord), { require: 'committed' });
      const outOfRange = recordFeedback(trace.traceId, trace.spanIds.query, { rating: 9 });
      const rejection = exporter.writeTraces(outOfRange.spans.map(toSpanRecord), { require: 'committed' });
      await expect(rejection).rejects.toMatchObject({ code: 'DEAD_LETTERED' });
      const letters = await readDeadLetters(join(store.stateDirectory, 'dead-letter'));
      expect(letters.find((l) => l.traceId === outOfRange.traceId)?.error?.message).toMatch(
        /ai_ufb_rating_ck/i,
      );
    });

    it('counts what it did', () => {
      const { counters, healthy, breaker, spool } = exporter.status();
      expect({ healthy, breaker, spoolTraces: spool.traces }).toEqual({
        healthy: true,
        breaker: 'closed',
        spoolTraces: 0,
      });
      expect(counters).toMatchObject({ spooled: 0, replayed: 0, dropped: 0, deadLettered: 3, parked: 2 });
      expect(counters.written).toBeGreaterThanOrEqual(12);
      expect(counters.ignored).toBe(1);
    });

    it('replays dead letters: stores those whose cause is gone, keeps the rest with the new reason', async () => {
      const directory = join(store.stateDirectory, 'dead-letter');
      const trace = recordPipeline();
      const feedback = recordFeedback(trace.traceId, trace.spanIds.query);
      await exporter.writeTraces(feedback.spans.map(toSpanRecord)); // parked: its query is not stored yet
      await exporter.forceFlush();
      await exporter.forceFlush(); // third attempt: dead-lettered
      const tooLong = recordPipeline(undefined, { queryExtra: { 'user.name': 'y'.repeat(300) } });
      await exporter.writeTraces(tooLong.spans.map(toSpanRecord));
      const before = await readDeadLetters(directory);
      const letterOf = (letters: typeof before, traceId: string) =>
        letters.filter((l) => l.traceId === traceId);
      expect(letterOf(before, feedback.traceId)).toHaveLength(1);
      expect(letterOf(before, tooLong.traceId)).toHaveLength(1);

      // The query arrives after its feedback gave up; the username column stays too short.
      await exporter.writeTraces(trace.spans.map(toSpanRecord), { require: 'committed' });
      const replay = await exporter.replayDeadLetters(new Set([feedback.traceId, tooLong.traceId]));

      expect(replay).toMatchObject({
        replayed: 2,
        committed: 1,
        deadLettered: 1,
        spooled: 0,
        parked: 0,
        left: 0,
      });
      expect(await rowsOf(AI_USER_FEEDBACK, 'FEEDBACK_TRACE_ID', feedback.traceId)).toHaveLength(1);
      const after = await readDeadLetters(directory);
      expect(after).toEqual(replay.remaining);
      expect(letterOf(after, feedback.traceId)).toEqual([]);
      const [refusedAgain] = letterOf(after, tooLong.traceId);
      expect(letterOf(after, tooLong.traceId)).toHaveLength(1);
      expect(refusedAgain!.reason).toMatch(/^refused by the database: /);
      expect(refusedAgain!.deadLetteredAt >= letterOf(before, tooLong.traceId)[0]!.deadLetteredAt).toBe(true);
      // Letters of other traces are left as they were, in their order.
      const others = (letters: typeof before) =>
        letters.filter((l) => l.traceId !== feedback.traceId && l.traceId !== tooLong.traceId);
      expect(others(after)).toEqual(others(before));
      // Nothing left to replay for the feedback; the exporter still writes after the file was replaced.
      await expect(exporter.replayDeadLetters(new Set([feedback.traceId]))).resolves.toMatchObject({
        replayed: 0,
      });
      const later = recordPipeline(undefined, { queryExtra: { 'user.name': 'z'.repeat(300) } });
      await exporter.writeTraces(later.spans.map(toSpanRecord));
      expect(letterOf(await readDeadLetters(directory), later.traceId)).toHaveLength(1);
    });

    it('uses every table', async () => {
      for (const table of [
        AI_TRAINING_QUERIES,
        AI_QUERY_CLASSIFICATIONS,
        AI_SCHEMA_CONTEXTS,
        AI_MODEL_INTERACTIONS,
        AI_RESPONSE_SELECTIONS,
        AI_SQL_PROCESSING,
        AI_EXECUTION_RESULTS,
        AI_FALLBACK_EVENTS,
        AI_USER_FEEDBACK,
      ]) {
        expect(await store.count(table), table.name).toBeGreaterThan(0);
      }
    });
  });
}
