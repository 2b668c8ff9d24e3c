import { afterAll, afterEach, beforeAll, describe, expect, expectTypeOf, it, vi } from 'vitest';
import {
  context,
  createContextKey,
  diag,
  DiagLogLevel,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { loggingErrorHandler, setGlobalErrorHandler } from '@opentelemetry/core';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import {
  ATTR_CLASSIFICATION_CATEGORY,
  ATTR_CLASSIFICATION_CONFIDENCE,
  ATTR_ERROR_TYPE,
  ATTR_FEEDBACK_QUERY_ID,
  ATTR_FEEDBACK_RATING,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_MODEL_GENERATED_SQL,
  ATTR_STAGE,
  CLASSIFICATION,
  RecordingError,
  STAGES,
  StoreUnavailableError,
  stageOf,
  stageSpanName,
  toStageAttributes,
} from '@aitdr/conventions';
import type { ClassificationAttributes, ModelInteractionFields, Stage } from '@aitdr/conventions';
import type { QueryScope, StageScope } from '@aitdr/sdk';
import {
  FakeTraceWriter,
  HeldExporter,
  HEALTHY_WRITER,
  nextTurn,
  recorderWith,
  RecordingExporter,
} from './helpers.js';

const HEX32 = /^[0-9a-f]{32}$/;
const API_INTERACTION: ModelInteractionFields = {
  source: 'api',
  operationName: 'chat',
  provider: 'openai',
  requestModel: 'gpt-4o',
};

class ModelTimeoutError extends Error {}

function byStage(spans: readonly ReadableSpan[], stage: Stage): ReadableSpan[] {
  return spans.filter((span) => stageOf(span.attributes) === stage);
}

function only(spans: readonly ReadableSpan[], stage: Stage): ReadableSpan {
  const found = byStage(spans, stage);
  expect(found, stage).toHaveLength(1);
  return found[0]!;
}

afterEach(() => {
  diag.disable();
  setGlobalErrorHandler(loggingErrorHandler());
});

describe('Recorder', () => {
  describe('recordQuery', () => {
    it('resolves with the query ID (the root span’s trace ID), its span ID and the callback’s result', async () => {
      const exporter = new RecordingExporter();
      const { recorder } = recorderWith(exporter);
      const outcome = await recorder.recordQuery('show downtime by line', () => 42);
      await recorder.forceFlush();

      const [root] = exporter.getFinishedSpans();
      expect(outcome.result).toBe(42);
      expect(outcome.queryId).toMatch(HEX32);
      expect(outcome.queryId).toBe(root!.spanContext().traceId);
      expect(outcome.rootSpanId).toBe(root!.spanContext().spanId);
      expect(root!.parentSpanContext).toBeUndefined();
      expect(root!.name).toBe('text_to_sql.query');
      expect(root!.attributes).toEqual({
        [ATTR_STAGE]: 'query',
        'text_to_sql.query.text': 'show downtime by line',
      });
    });

    it('records every stage helper as a child with its span name, kind and typed attributes', async () => {
      const exporter = new RecordingExporter();
      const { recorder } = recorderWith(exporter);
      const { queryId } = await recorder.recordQuery({ text: 'show downtime by line' }, async (query) => {
        query.classification({ category: 'downtime', confidence: 0.9, complexity: 'simple' });
        query.schemaContext({ retrievalMethod: 'keyword' }, (schema) => {
          schema.set({ tables: ['DOWNTIME', 'LINES'], tokenCount: 412 });
        });
        const api = await query.modelInteraction(API_INTERACTION, async (interaction) => {
          await Promise.resolve();
          interaction.set({ generatedSql: 'SELECT 1 FROM DUAL', inputTokens: 820, finishReasons: ['stop'] });
          return interaction.spanId;
        });
        query.responseSelection({
          selectedSource: 'api',
          strategy: 'only_candidate',
          selectedInteractionId: api,
        });
        query.sqlProcessing({ originalSql: 'SELECT 1 FROM DUAL', isValid: true, interactionId: api });
        query.execution({
          queryText: 'SELECT 1 FROM DUAL',
          returnedRows: 1,
          success: true,
          interactionId: api,
        });
      });
      await recorder.forceFlush();
      const spans = exporter.getFinishedSpans();
      const root = only(spans, 'query');

      const expected: [Stage, Record<string, unknown>][] = [
        ['classification', { category: 'downtime', confidence: 0.9, complexity: 'simple' }],
        ['schema_context', { retrievalMethod: 'keyword', tables: ['DOWNTIME', 'LINES'], tokenCount: 412 }],
        [
          'model_interaction',
          {
            ...API_INTERACTION,
            generatedSql: 'SELECT 1 FROM DUAL',
            inputTokens: 820,
            finishReasons: ['stop'],
          },
        ],
      ];
      for (const [stage, fields] of expected) {
        const span = only(spans, stage);
        expect(span.attributes, stage).toEqual(toStageAttributes(stage, fields as never));
        expect(span.kind, stage).toBe(STAGES[stage].spanKind);
        expect(span.name, stage).toBe(stageSpanName(stage, span.attributes));
        expect(span.parentSpanContext?.spanId, stage).toBe(root.spanContext().spanId);
        expect(span.spanContext().traceId, stage).toBe(queryId);
      }
      const interaction = only(spans, 'model_interaction');
      expect(interaction.name).toBe('chat gpt-4o');
      expect(interaction.kind).toBe(SpanKind.CLIENT);
      expect(only(spans, 'execution').kind).toBe(SpanKind.CLIENT);
      const interactionId = interaction.spanContext().spanId;
      expect(only(spans, 'response_selection').attributes).toEqual(
        toStageAttributes('response_selection', {
          selectedSource: 'api',
          strategy: 'only_candidate',
          selectedInteractionId: interactionId,
        }),
      );
      expect(only(spans, 'sql_processing').attributes).toEqual(
        toStageAttributes('sql_processing', {
          originalSql: 'SELECT 1 FROM DUAL',
          isValid: true,
          interactionId,
        }),
      );
      expect(only(spans, 'execution').attributes).toEqual(
        toStageAttributes('execution', {
          queryText: 'SELECT 1 FROM DUAL',
          returnedRows: 1,
          success: true,
          interactionId,
        }),
      );
      for (const stage of ['response_selection', 'sql_processing', 'execution'] as const) {
        expect(only(spans, stage).kind, stage).toBe(STAGES[stage].spanKind);
        expect(only(spans, stage).parentSpanContext?.spanId, stage).toBe(root.spanContext().spanId);
      }
    });

    it('records the replacement model interaction as a child of the fallback span', async () => {
      const exporter = new RecordingExporter();
      const { recorder } = recorderWith(exporter);
      await recorder.recordQuery('show downtime', async (query) => {
        await query
          .modelInteraction(API_INTERACTION, () => Promise.reject(new ModelTimeoutError('no answer in 10 s')))
          .catch(() => undefined);
        await query.fallback(
          { fromSource: 'api', toSource: 'local', reason: 'timeout' },
          async (fallback) => {
            await fallback.modelInteraction(
              { source: 'local', operationName: 'chat', provider: 'ollama', requestModel: 'sqlcoder-7b' },
              async (local) => {
                await Promise.resolve(); // the local model answering
                local.set({ generatedSql: 'SELECT 1' });
              },
            );
            fallback.set({ succeeded: true });
          },
        );
      });
      await recorder.forceFlush();
      const spans = exporter.getFinishedSpans();

      const fallback = only(spans, 'fallback');
      const [apiCall, localCall] = byStage(spans, 'model_interaction').sort((a) =>
        a.name === 'chat gpt-4o' ? -1 : 1,
      );
      expect(apiCall!.parentSpanContext?.spanId).toBe(only(spans, 'query').spanContext().spanId);
      expect(localCall!.name).toBe('chat sqlcoder-7b');
      expect(localCall!.parentSpanContext?.spanId).toBe(fallback.spanContext().spanId);
      expect(fallback.attributes).toEqual(
        toStageAttributes('fallback', {
          fromSource: 'api',
          toSource: 'local',
          reason: 'timeout',
          succeeded: true,
        }),
      );
      expect(fallback.name).toBe('text_to_sql.fallback');
    });

    it('merges the per-query context over the recorder’s context', async () => {
      const exporter = new RecordingExporter();
      const { recorder } = recorderWith(exporter, {
        context: { clientInfo: 'web-ui/2.4.1', databaseType: 'oracle', queryMode: 'interactive' },
      });
      await recorder.recordQuery(
        {
          text: 'show downtime',
          context: { sessionId: 'sess-7f3a', username: 'jsmith', queryMode: 'batch' },
        },
        () => undefined,
      );
      await recorder.forceFlush();
      expect(exporter.getFinishedSpans()[0]!.attributes).toEqual(
        toStageAttributes('query', {
          text: 'show downtime',
          clientInfo: 'web-ui/2.4.1',
          databaseType: 'oracle',
          queryMode: 'batch',
          sessionId: 'sess-7f3a',
          username: 'jsmith',
        }),
      );
    });

    it('types each helper’s fields by stage', () => {
      expectTypeOf<QueryScope['classification']>().toBeCallableWith({ category: 'downtime' });
      expectTypeOf<StageScope<'model_interaction'>['set']>().parameter(0).toHaveProperty('source');
      const check = (query: QueryScope) => {
        // @ts-expect-error category is required when a stage is recorded at once
        query.classification({ confidence: 0.5 });
        // @ts-expect-error source is api or local
        query.modelInteraction({ ...API_INTERACTION, source: 'cloud' });
        // With a callback, fields may come later through set().
        query.sqlProcessing({ originalSql: 'SELECT 1' }, (processing) => processing.set({ isValid: true }));
      };
      void check;
    });
  });

  describe('when the app already has an active span', () => {
    let contextManager: AsyncLocalStorageContextManager;
    beforeAll(() => {
      contextManager = new AsyncLocalStorageContextManager().enable();
      context.setGlobalContextManager(contextManager);
    });
    afterAll(() => context.disable());

    it('starts the query as the root of a trace of its own, linked to the active span', async () => {
      const exporter = new RecordingExporter();
      const { recorder } = recorderWith(exporter);
      const appTracer = new BasicTracerProvider().getTracer('http');
      const { queryId, httpSpan } = await appTracer.startActiveSpan('GET /ask', async (httpSpan) => {
        const outcome = await recorder.recordQuery('show downtime', () => undefined);
        httpSpan.end();
        return { queryId: outcome.queryId, httpSpan: httpSpan.spanContext() };
      });
      await recorder.forceFlush();

      const root = exporter.getFinishedSpans()[0]!;
      expect(queryId).not.toBe(httpSpan.traceId);
      expect(root.parentSpanContext).toBeUndefined();
      expect(root.links.map((link) => link.context)).toEqual([httpSpan]);
    });

    it('makes the stage span active inside its callback, so plain OpenTelemetry spans nest under it', async () => {
      const exporter = new RecordingExporter();
      const { recorder, provider } = recorderWith(exporter);
      const tracer = provider.getTracer('app');
      await recorder.recordQuery('show downtime', (query) =>
        query.execution({ queryText: 'SELECT 1' }, () =>
          tracer.startActiveSpan('pg.query', (span) => span.end()),
        ),
      );
      await recorder.forceFlush();
      const spans = exporter.getFinishedSpans();
      const driverSpan = spans.find((span) => span.name === 'pg.query')!;
      expect(driverSpan.parentSpanContext?.spanId).toBe(only(spans, 'execution').spanContext().spanId);
    });

    it('keeps the values of the app’s context in the callbacks of the query and its stages', async () => {
      const { recorder } = recorderWith(new RecordingExporter());
      const tenant = createContextKey('tenant');
      const outcome = await context.with(context.active().setValue(tenant, 'acme'), () =>
        recorder.recordQuery('show downtime', (query) => [
          context.active().getValue(tenant),
          trace.getActiveSpan()?.spanContext().spanId === query.spanId,
          query.execution({ queryText: 'SELECT 1' }, () => context.active().getValue(tenant)),
        ]),
      );
      expect(outcome.result).toEqual(['acme', true, 'acme']);
    });
  });

  describe('errors', () => {
    it('rethrows the callback’s error unchanged and records it on the span', async () => {
      const exporter = new RecordingExporter();
      const { recorder } = recorderWith(exporter);
      const thrown = new ModelTimeoutError('no answer in 10 s');

      const outcome = recorder.recordQuery('show downtime', (query) =>
        query.modelInteraction(API_INTERACTION, async () => {
          await Promise.resolve();
          throw thrown;
        }),
      );
      await expect(outcome).rejects.toBe(thrown);
      await recorder.forceFlush();

      const spans = exporter.getFinishedSpans();
      for (const span of [only(spans, 'model_interaction'), only(spans, 'query')]) {
        expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'no answer in 10 s' });
        expect(span.attributes[ATTR_ERROR_TYPE]).toBe('ModelTimeoutError');
        expect(span.events.map((event) => [event.name, event.attributes?.['exception.message']])).toEqual([
          ['exception', 'no answer in 10 s'],
        ]);
      }
    });

    it('rethrows an error thrown synchronously by a stage callback, and records it', async () => {
      const exporter = new RecordingExporter();
      const { recorder } = recorderWith(exporter);
      const thrown = new TypeError('bad input');
      await expect(
        recorder.recordQuery('q', (query) =>
          query.classification({ category: 'x' }, () => {
            throw thrown;
          }),
        ),
      ).rejects.toBe(thrown);
      await recorder.forceFlush();
      expect(only(exporter.getFinishedSpans(), 'classification').attributes[ATTR_ERROR_TYPE]).toBe(
        'TypeError',
      );
    });

    it('keeps an error.type the app set, and records handled errors with recordError', async () => {
      const exporter = new RecordingExporter();
      const { recorder } = recorderWith(exporter);
      await recorder.recordQuery('q', (query) =>
        query.execution({ queryText: 'SELECT * FROM NOPE', errorType: 'ORA-00942' }, (execution) => {
          execution.recordError(new Error('table or view does not exist'));
          execution.set({ success: false, errorCode: 'ORA-00942' });
        }),
      );
      await recorder.forceFlush();
      const execution = only(exporter.getFinishedSpans(), 'execution');
      expect(execution.attributes[ATTR_ERROR_TYPE]).toBe('ORA-00942');
      expect(execution.status.code).toBe(SpanStatusCode.ERROR);
    });

    it('never lets an exporter failure reach the app', async () => {
      setGlobalErrorHandler(() => undefined);
      const exporter = new HeldExporter();
      exporter.export = () => {
        throw new Error('driver crashed');
      };
      const { recorder } = recorderWith(exporter);
      const outcome = await recorder.recordQuery('q', () => 'answer');
      await recorder.forceFlush();
      expect(outcome.result).toBe('answer');
      expect(recorder.status().processor.exportFailures).toBe(1);
    });

    it('records attributes of the wrong type as given and reports them once through diag, without throwing', async () => {
      const logger = { error: vi.fn(), warn: vi.fn(), info: vi.fn(), debug: vi.fn(), verbose: vi.fn() };
      diag.setLogger(logger, DiagLogLevel.WARN);
      const exporter = new RecordingExporter();
      const { recorder } = recorderWith(exporter);
      await recorder.recordQuery('q', (query) => {
        query.classification({ category: 42 as never });
        query.classification({ category: 43 as never });
      });
      await recorder.forceFlush();
      expect(
        byStage(exporter.getFinishedSpans(), 'classification').map(
          (s) => s.attributes[ATTR_CLASSIFICATION_CATEGORY],
        ),
      ).toEqual([42, 43]);
      expect(logger.warn).toHaveBeenCalledTimes(1);
      expect(String(logger.warn.mock.calls[0]![0])).toContain(
        'text_to_sql.classification.category must be string',
      );
    });
  });

  describe('plain OpenTelemetry', () => {
    it('produces the same span as a helper when written with startActiveSpan and the constants', async () => {
      const exporter = new RecordingExporter();
      const { recorder, provider } = recorderWith(exporter);
      const tracer = provider.getTracer('app');
      await recorder.recordQuery('q', (query) => {
        query.classification({ category: 'downtime', confidence: 0.92 });
        const attributes: ClassificationAttributes = {
          [ATTR_STAGE]: 'classification',
          [ATTR_CLASSIFICATION_CATEGORY]: 'downtime',
          [ATTR_CLASSIFICATION_CONFIDENCE]: 0.92,
        };
        tracer.startActiveSpan(
          CLASSIFICATION.spanName,
          { attributes, kind: CLASSIFICATION.spanKind },
          trace.setSpan(context.active(), query.span),
          (span) => span.end(),
        );
      });
      await recorder.forceFlush();
      const [helper, plain] = byStage(exporter.getFinishedSpans(), 'classification');
      expect([plain!.name, plain!.kind, plain!.attributes, plain!.parentSpanContext?.spanId]).toEqual([
        helper!.name,
        helper!.kind,
        helper!.attributes,
        helper!.parentSpanContext?.spanId,
      ]);
    });
  });

  describe('recordFeedback', () => {
    it('records a trace of its own naming the query, linked to the root span when its ID is known', async () => {
      const exporter = new RecordingExporter();
      const { recorder } = recorderWith(exporter);
      const query = await recorder.recordQuery('show downtime', () => undefined);
      const feedback = await recorder.recordFeedback({
        ...query,
        rating: 2,
        isCorrect: false,
        correctedSql: 'SELECT 2',
      });
      await recorder.forceFlush();

      const span = only(exporter.getFinishedSpans(), 'user_feedback');
      expect(feedback).toEqual({
        feedbackId: span.spanContext().spanId,
        feedbackTraceId: span.spanContext().traceId,
        queryId: query.queryId,
      });
      expect(feedback.feedbackTraceId).not.toBe(query.queryId);
      expect(span.parentSpanContext).toBeUndefined();
      expect(span.name).toBe('text_to_sql.user_feedback');
      expect(span.attributes[ATTR_FEEDBACK_QUERY_ID]).toBe(query.queryId);
      expect(span.attributes[ATTR_FEEDBACK_RATING]).toBe(2);
      expect(span.links.map((link) => [link.context.traceId, link.context.spanId])).toEqual([
        [query.queryId, query.rootSpanId],
      ]);
    });

    it('from the query ID alone: names the query in the attribute and adds no link', async () => {
      const exporter = new RecordingExporter();
      const { recorder } = recorderWith(exporter);
      const queryId = '4BF92F3577B34DA6A3CE929D0E0E4736';
      await recorder.recordFeedback({ queryId, rating: 5 });
      await recorder.forceFlush();
      const span = only(exporter.getFinishedSpans(), 'user_feedback');
      expect(span.attributes[ATTR_FEEDBACK_QUERY_ID]).toBe(queryId.toLowerCase());
      expect(span.links).toEqual([]);
    });
    it('reads the start time, attributes and link of a plain object or of any other object alike', async () => {
      const exporter = new RecordingExporter();
      const { recorder } = recorderWith(exporter);
      const query = await recorder.recordQuery('show downtime', () => undefined);
      const startTime = new Date('2026-10-01T08:00:00Z');
      // A class instance: its members are read by property, getters on the prototype included.
      class Feedback {
        readonly attributes = { 'app.origin': 'class' };
        constructor(
          readonly queryId: string,
          private readonly root: string,
        ) {}
        get rootSpanId(): string {
          return this.root;
        }
        get startTime(): Date {
          return startTime;
        }
        get rating(): number {
          return 3;
        }
      }
      await recorder.recordFeedback({
        ...query,
        rating: 4,
        startTime,
        attributes: { 'app.origin': 'plain' },
      });
      await recorder.recordFeedback(new Feedback(query.queryId, query.rootSpanId));
      await recorder.forceFlush();

      const spans = exporter.getFinishedSpans().filter((span) => span.name === 'text_to_sql.user_feedback');
      expect(
        spans.map((span) => [
          span.attributes['app.origin'],
          span.attributes[ATTR_FEEDBACK_RATING],
          span.startTime[0] * 1000 + span.startTime[1] / 1e6,
          span.links.map((link) => link.context.spanId),
        ]),
      ).toEqual([
        ['plain', 4, startTime.getTime(), [query.rootSpanId]],
        ['class', 3, startTime.getTime(), [query.rootSpanId]],
      ]);
    });
  });

  describe('recording modes', () => {
    it('async (default): resolves without waiting for the exporter', async () => {
      const exporter = new HeldExporter();
      const { recorder } = recorderWith(exporter);
      const outcome = await recorder.recordQuery('q', () => 'answer');
      expect(outcome.result).toBe('answer');
      expect(exporter.calls).toHaveLength(0);
      await nextTurn();
      expect(exporter.calls).toHaveLength(1);
    });

    it('sync per query: resolves once the trace is committed', async () => {
      const writer = new FakeTraceWriter();
      const { recorder } = recorderWith(writer);
      const { queryId } = await recorder.recordQuery(
        'q',
        (query) => query.classification({ category: 'x' }),
        {
          mode: 'sync',
        },
      );
      expect(writer.writes.map((write) => write.require)).toEqual(['committed']);
      expect(new Set(writer.spans.map((span) => span.spanContext().traceId))).toEqual(new Set([queryId]));
      expect(writer.spans).toHaveLength(2);
    });

    it('sync: rejects with the typed error when the trace cannot be committed', async () => {
      const writer = new FakeTraceWriter();
      writer.failWith = new StoreUnavailableError('breaker open');
      const { recorder } = recorderWith(writer, { mode: 'sync' });
      await expect(recorder.recordQuery('q', () => undefined)).rejects.toBe(writer.failWith);
      await expect(
        recorder.recordFeedback({ queryId: '4bf92f3577b34da6a3ce929d0e0e4736' }),
      ).rejects.toBeInstanceOf(RecordingError);
    });

    it('sync: the callback’s own error wins over the recording’s', async () => {
      const writer = new FakeTraceWriter();
      writer.failWith = new StoreUnavailableError('breaker open');
      const { recorder } = recorderWith(writer, { mode: 'sync' });
      const thrown = new Error('model down');
      await expect(
        recorder.recordQuery('q', () => {
          throw thrown;
        }),
      ).rejects.toBe(thrown);
    });

    it('a sync recorder can record one query in the background, and feedback in sync', async () => {
      const writer = new FakeTraceWriter();
      const { recorder } = recorderWith(writer, { mode: 'sync' });
      await recorder.recordQuery('q', () => undefined, { mode: 'async' });
      expect(writer.writes).toHaveLength(0);
      await nextTurn();
      expect(writer.writes.map((write) => write.require)).toEqual(['accepted']);

      await recorder.recordFeedback(
        { queryId: '4bf92f3577b34da6a3ce929d0e0e4736', rating: 4 },
        { mode: 'sync' },
      );
      expect(writer.writes.map((write) => write.require)).toEqual(['accepted', 'committed']);
    });

    it('buffered: exports complete queries together in one call', async () => {
      const exporter = new RecordingExporter();
      const { recorder } = recorderWith(exporter, { mode: 'buffered' }, { batchSize: 2 });
      await recorder.recordQuery('first', () => undefined);
      await nextTurn();
      expect(exporter.calls).toHaveLength(0);
      await recorder.recordQuery('second', () => undefined);
      await nextTurn();
      expect(exporter.calls.map((call) => call.length)).toEqual([2]);
    });
  });

  describe('status', () => {
    it('combines the processor’s counters with the writer’s health and breaker state', async () => {
      const writer = new FakeTraceWriter();
      writer.currentStatus = {
        ...HEALTHY_WRITER,
        healthy: false,
        breaker: 'open',
        lastError: { message: 'connection refused', at: '2026-11-25T09:30:00.000Z' },
      };
      const { recorder } = recorderWith(writer);
      await recorder.recordQuery('q', () => undefined, { mode: 'sync' });
      const status = recorder.status();
      expect(status).toMatchObject({
        healthy: false,
        breaker: 'open',
        shutDown: false,
        writer: writer.currentStatus,
        lastError: { message: 'connection refused' },
        processor: { tracesCompleted: 1, spansExported: 1, spansDropped: 0 },
      });
    });

    it('reports healthy without a breaker for a plain exporter whose exports succeed', async () => {
      const { recorder } = recorderWith(new RecordingExporter());
      await recorder.recordQuery('q', () => undefined);
      await recorder.forceFlush();
      const status = recorder.status();
      expect(status.healthy).toBe(true);
      expect(status.breaker).toBeUndefined();
      expect(status.writer).toBeUndefined();
    });
  });

  describe('shutdown', () => {
    it('flushes what it holds and runs once', async () => {
      const exporter = new RecordingExporter();
      const { recorder } = recorderWith(exporter);
      const query = recorder.startQuery('still running');
      query.classification({ category: 'x' });
      const first = recorder.shutdown();
      expect(recorder.shutdown()).toBe(first);
      await first;
      // calls, not getFinishedSpans(): an InMemorySpanExporter forgets its spans when shut down.
      expect(exporter.calls.flat().map((span) => span.attributes[ATTR_STAGE])).toEqual(['classification']);
      expect(recorder.status().shutDown).toBe(true);
      await query.end();
      expect(recorder.status().processor.spansEndedAfterShutdown).toBe(1);
    });
  });
});

describe('Recorder with a clock of its own', () => {
  it('takes every time no helper was given from the clock: starts, ends, errors, feedback', async () => {
    const exporter = new RecordingExporter();
    // A simulation's clock, days in the past, that moves only when told to.
    let now = Date.UTC(2026, 10, 2, 9, 30);
    const { recorder } = recorderWith(exporter, { clock: () => now });
    const started = now;
    const query = await recorder.recordQuery('show downtime', async (scope) => {
      now += 5;
      scope.modelInteraction(API_INTERACTION, {
        startTime: now,
        endTime: now + 900,
        error: new ModelTimeoutError('late'),
      });
      now += 900;
      await scope.fallback({ fromSource: 'api', toSource: 'local', reason: 'timeout' }, (fallback) => {
        now += 300; // the local model answering
        fallback.modelInteraction({ ...API_INTERACTION, source: 'local', requestModel: 'sqlcoder-7b' });
        now += 20;
        return Promise.resolve();
      });
      now += 40;
    });
    now += 60_000;
    await recorder.recordFeedback({ queryId: query.queryId, rating: 4 });
    await recorder.forceFlush();
    const spans = exporter.getFinishedSpans();
    const ms = (time: readonly [number, number]) => time[0] * 1000 + time[1] / 1e6;

    expect(ms(only(spans, 'query').startTime)).toBe(started);
    expect(ms(only(spans, 'query').endTime)).toBe(started + 5 + 900 + 320 + 40);
    expect([ms(only(spans, 'fallback').startTime), ms(only(spans, 'fallback').endTime)]).toEqual([
      started + 905,
      started + 1225,
    ]);
    const [apiCall, localCall] = byStage(spans, 'model_interaction').sort((a) =>
      a.name === 'chat gpt-4o' ? -1 : 1,
    );
    expect([ms(apiCall!.startTime), ms(apiCall!.endTime)]).toEqual([started + 5, started + 905]);
    // The error's event carries the clock's time, not the wall clock's.
    expect(apiCall!.events.map((event) => ms(event.time))).toEqual([started + 5]);
    expect([ms(localCall!.startTime), ms(localCall!.endTime)]).toEqual([started + 1205, started + 1205]);
    expect(ms(only(spans, 'user_feedback').startTime)).toBe(started + 1265 + 60_000);
  });
});

describe('Recorder.startQuery', () => {
  it('records a query that spans several callbacks, ended explicitly', async () => {
    const exporter = new RecordingExporter();
    const { recorder } = recorderWith(exporter);
    const query = recorder.startQuery({ text: 'show downtime', context: { sessionId: 's1' } });
    query.modelInteraction({ ...API_INTERACTION, generatedSql: 'SELECT 1' });
    const record = await query.end();
    await recorder.forceFlush();
    const spans = exporter.getFinishedSpans();
    expect(record.queryId).toBe(query.queryId);
    expect(only(spans, 'model_interaction').attributes[ATTR_MODEL_GENERATED_SQL]).toBe('SELECT 1');
    expect(only(spans, 'model_interaction').attributes[ATTR_GEN_AI_REQUEST_MODEL]).toBe('gpt-4o');
  });

  it('ends a query once: a second end (after recordQuery or end) warns and resolves with the same record', async () => {
    const logger = { error: vi.fn(), warn: vi.fn(), info: vi.fn(), debug: vi.fn(), verbose: vi.fn() };
    diag.setLogger(logger, DiagLogLevel.WARN);
    const exporter = new RecordingExporter();
    const { recorder } = recorderWith(exporter);
    let scope: QueryScope | undefined;
    const outcome = await recorder.recordQuery('q', (query) => {
      scope = query;
    });
    const again = scope!.end();
    expect(scope!.end()).toBe(again);
    await expect(again).resolves.toEqual({ queryId: outcome.queryId, rootSpanId: outcome.rootSpanId });
    const query = recorder.startQuery('explicit');
    const ended = query.end();
    expect(query.end()).toBe(ended);
    await expect(ended).resolves.toEqual({ queryId: query.queryId, rootSpanId: query.rootSpanId });
    await recorder.forceFlush();
    expect(logger.warn.mock.calls.map((call) => String(call[0]))).toEqual([
      '@aitdr/sdk: query ended twice',
      '@aitdr/sdk: query ended twice',
      '@aitdr/sdk: query ended twice',
    ]);
    expect(byStage(exporter.getFinishedSpans(), 'query')).toHaveLength(2);
  });
});
