/**
 * The official OTLP/HTTP exporters (JSON and protobuf) send traces from real tracer providers to
 * a running collector, and the nine tables hold the right rows.
 */
import { join } from 'node:path';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRecorder } from '@aitdr/sdk';
import { startCollector } from '../../src/start-collector.js';
import type { RunningCollector } from '../../src/start-collector.js';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';
import { eventually, selectAll, tableCounts } from './support.js';

const EXPORTERS = {
  json: (url: string, compression?: CompressionAlgorithm) =>
    new OtlpJsonExporter({
      url: `${url}/v1/traces`,
      ...(compression ? { compression } : {}),
    }) as SpanExporter,
  protobuf: (url: string, compression?: CompressionAlgorithm) =>
    new OtlpProtoExporter({
      url: `${url}/v1/traces`,
      ...(compression ? { compression } : {}),
    }) as SpanExporter,
} as const;

describe.each(Object.keys(EXPORTERS) as (keyof typeof EXPORTERS)[])(
  'collector fed by the official %s exporter',
  (encoding) => {
    let dir: { path: string; remove(): void };
    let collector: RunningCollector;
    let database: string;

    beforeEach(async () => {
      dir = createTemporaryDirectory('aitdr-collector-');
      database = join(dir.path, 'training.db');
      collector = await startCollector({
        store: `sqlite:${database}`,
        port: 0,
        stateDirectory: join(dir.path, 'spool'),
        waitMs: 100,
        maxWaitMs: 2000,
      });
    });
    afterEach(async () => {
      await collector.close();
      dir.remove();
    });

    it('stores a whole pipeline recorded with the SDK: every stage in its table, feedback linked', async () => {
      const recorder = await createRecorder({
        exporter: EXPORTERS[encoding](collector.url, CompressionAlgorithm.GZIP),
        serviceName: 'assistant-under-test',
      });
      const {
        queryId,
        rootSpanId,
        result: apiInteractionId,
      } = await recorder.recordQuery(
        { text: 'scrap rate per shift', context: { username: 'jsmith', sessionId: 's-9' } },
        async (query) => {
          query.classification({ category: 'quality', confidence: 0.8, complexity: 'moderate' });
          query.schemaContext({
            retrievalMethod: 'keyword',
            tables: ['QUALITY_CHECKS', 'SHIFTS'],
            tokenCount: 120,
          });
          const api = await query.modelInteraction(
            { source: 'api', operationName: 'chat', provider: 'openai', requestModel: 'gpt-4o' },
            (stage) => {
              stage.set({
                generatedSql: 'SELECT 1',
                inputTokens: 300,
                outputTokens: 12,
                finishReasons: ['stop'],
              });
              return Promise.resolve(stage.spanId);
            },
          );
          await query.fallback(
            { fromSource: 'api', toSource: 'local', reason: 'execution_error' },
            (fallback) =>
              fallback.modelInteraction(
                { source: 'local', operationName: 'chat', provider: 'ollama', requestModel: 'sqlcoder-7b' },
                (stage) => {
                  stage.set({ generatedSql: 'SELECT 2' });
                  return Promise.resolve();
                },
              ),
          );
          query.responseSelection({
            selectedSource: 'api',
            strategy: 'api_preferred',
            selectedInteractionId: api,
          });
          query.sqlProcessing({
            originalSql: 'SELECT 1',
            isValid: true,
            validationErrors: [],
            interactionId: api,
          });
          query.execution({
            queryText: 'SELECT 1',
            dbSystem: 'sqlite',
            success: true,
            returnedRows: 3,
            interactionId: api,
          });
          return api;
        },
      );
      await recorder.recordFeedback({ queryId, rootSpanId, rating: 5, isCorrect: true });
      await recorder.shutdown();

      await eventually(() => tableCounts(database).AI_USER_FEEDBACK === 1);
      expect(tableCounts(database)).toEqual({
        AI_TRAINING_QUERIES: 1,
        AI_QUERY_CLASSIFICATIONS: 1,
        AI_SCHEMA_CONTEXTS: 1,
        AI_MODEL_INTERACTIONS: 2,
        AI_RESPONSE_SELECTIONS: 1,
        AI_SQL_PROCESSING: 1,
        AI_EXECUTION_RESULTS: 1,
        AI_FALLBACK_EVENTS: 1,
        AI_USER_FEEDBACK: 1,
      });
      const [query] = selectAll<Record<string, unknown>>(database, 'SELECT * FROM AI_TRAINING_QUERIES');
      expect(query).toMatchObject({
        QUERY_ID: queryId,
        SPAN_ID: rootSpanId,
        QUERY_TEXT: 'scrap rate per shift',
        USERNAME: 'jsmith',
        SESSION_ID: 's-9',
        SERVICE_NAME: 'assistant-under-test',
        TRACE_STATUS: 'COMPLETE',
      });
      const interactions = selectAll<Record<string, unknown>>(
        database,
        'SELECT MODEL_SOURCE, REQUEST_MODEL, GENERATED_SQL, INPUT_TOKENS, FINISH_REASONS, PARENT_SPAN_ID FROM AI_MODEL_INTERACTIONS ORDER BY MODEL_SOURCE',
      );
      const [fallback] = selectAll<{ FALLBACK_ID: string }>(
        database,
        'SELECT FALLBACK_ID FROM AI_FALLBACK_EVENTS',
      );
      expect(interactions).toEqual([
        expect.objectContaining({
          MODEL_SOURCE: 'api',
          REQUEST_MODEL: 'gpt-4o',
          INPUT_TOKENS: 300,
          FINISH_REASONS: '["stop"]',
        }),
        expect.objectContaining({
          MODEL_SOURCE: 'local',
          GENERATED_SQL: 'SELECT 2',
          PARENT_SPAN_ID: fallback!.FALLBACK_ID,
        }),
      ]);
      const [selection] = selectAll<Record<string, unknown>>(
        database,
        'SELECT SELECTED_INTERACTION_ID FROM AI_RESPONSE_SELECTIONS',
      );
      expect(selection).toEqual({ SELECTED_INTERACTION_ID: apiInteractionId });
      const [feedback] = selectAll<Record<string, unknown>>(
        database,
        'SELECT QUERY_ID, RATING, IS_CORRECT, LINKS FROM AI_USER_FEEDBACK',
      );
      expect(feedback).toMatchObject({ QUERY_ID: queryId, RATING: 5, IS_CORRECT: 1 });
      expect(JSON.parse(feedback!.LINKS as string)).toEqual([
        expect.objectContaining({ traceId: queryId, spanId: rootSpanId }),
      ]);
    });

    it('assembles traces a plain batch processor splits over several requests', async () => {
      const provider = new BasicTracerProvider({
        resource: resourceFromAttributes({ 'service.name': 'plain-otel' }),
        spanProcessors: [
          new BatchSpanProcessor(EXPORTERS[encoding](collector.url), {
            maxExportBatchSize: 1,
            scheduledDelayMillis: 10,
          }),
        ],
      });
      const tracer = provider.getTracer('plain');
      const queryIds: string[] = [];
      for (let i = 0; i < 3; i++) {
        const root = tracer.startSpan('text_to_sql.query', {
          attributes: { 'text_to_sql.stage': 'query', 'text_to_sql.query.text': `question ${i}` },
        });
        const parent = trace.setSpan(ROOT_CONTEXT, root);
        for (const category of ['a', 'b']) {
          tracer
            .startSpan(
              'text_to_sql.classification',
              {
                attributes: {
                  'text_to_sql.stage': 'classification',
                  'text_to_sql.classification.category': category,
                },
              },
              parent,
            )
            .end();
        }
        root.end();
        queryIds.push(root.spanContext().traceId);
      }
      await provider.forceFlush();
      await provider.shutdown();
      await eventually(() => tableCounts(database).AI_QUERY_CLASSIFICATIONS === 6);
      const rows = selectAll<{ QUERY_ID: string; TRACE_STATUS: string }>(
        database,
        'SELECT QUERY_ID, TRACE_STATUS FROM AI_TRAINING_QUERIES ORDER BY QUERY_TEXT',
      );
      expect(rows).toEqual(queryIds.map((id) => ({ QUERY_ID: id, TRACE_STATUS: 'COMPLETE' })));
      // Each trace came in three requests (one span each) and was written as one.
      expect(collector.exporter.status().counters.received).toBe(3);
    });
  },
);
