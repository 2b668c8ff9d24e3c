import { describe, expect, it } from 'vitest';
import { SpanStatusCode } from '@opentelemetry/api';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import {
  ATTR_ERROR_TYPE,
  ATTR_SELECTION_INTERACTION_ID,
  ATTR_SQL_INTERACTION_ID,
  stageOf,
  toStageAttributes,
} from '@aitdr/conventions';
import type { Stage } from '@aitdr/conventions';
import type { ProcessingFlow } from '@aitdr/sdk';
import { FakeTraceWriter, recorderWith, RecordingExporter } from './helpers.js';

const at = (seconds: number) => `2026-11-25T09:00:${String(seconds).padStart(2, '0')}.000Z`;
const millis = (seconds: number) => Date.parse(at(seconds));
const startOf = (span: ReadableSpan) => hrTimeToMilliseconds(span.startTime);
const endOf = (span: ReadableSpan) => hrTimeToMilliseconds(span.endTime);

const GPT = { operationName: 'chat', provider: 'openai', requestModel: 'gpt-4o' } as const;
const LOCAL = { operationName: 'chat', provider: 'ollama', requestModel: 'sqlcoder-7b' } as const;

const FLOW: ProcessingFlow = {
  query: { text: 'show downtime by line', context: { sessionId: 'sess-7f3a', databaseType: 'oracle' } },
  classification: { category: 'downtime', confidence: 0.9, startTime: at(1), endTime: at(2) },
  schemaContext: { retrievalMethod: 'keyword', tables: ['DOWNTIME'], startTime: at(2), endTime: at(3) },
  modelInteractions: [
    {
      ...LOCAL,
      source: 'local',
      ref: 'local',
      startTime: at(3),
      endTime: at(13),
      failure: { type: 'timeout' },
    },
  ],
  fallbacks: [
    {
      fromSource: 'local',
      toSource: 'api',
      reason: 'timeout',
      startTime: at(13),
      endTime: at(20),
      modelInteraction: {
        ...GPT,
        source: 'api',
        ref: 'api',
        generatedSql: 'SELECT 1',
        startTime: at(14),
        endTime: at(19),
      },
    },
  ],
  responseSelection: { selectedSource: 'api', strategy: 'fallback', selectedRef: 'api', startTime: at(20) },
  sqlProcessing: [
    { originalSql: 'SELECT 1', isValid: true, interactionRef: 'api', startTime: at(21), endTime: at(22) },
  ],
  executions: [
    { queryText: 'SELECT 1', returnedRows: 1, interactionRef: 'api', startTime: at(22), endTime: at(25) },
  ],
};

function byStage(spans: readonly ReadableSpan[], stage: Stage): ReadableSpan[] {
  return spans.filter((span) => stageOf(span.attributes) === stage);
}

describe('Recorder.recordFlow', () => {
  it('records every stage of a finished run in one trace, with the real times', async () => {
    const exporter = new RecordingExporter();
    const { recorder } = recorderWith(exporter);
    const { queryId, rootSpanId } = await recorder.recordFlow(FLOW);
    await recorder.forceFlush();
    const spans = exporter.getFinishedSpans();

    expect(new Set(spans.map((span) => span.spanContext().traceId))).toEqual(new Set([queryId]));
    const [root] = byStage(spans, 'query');
    expect(root!.spanContext().spanId).toBe(rootSpanId);
    expect(root!.attributes).toEqual(
      toStageAttributes('query', {
        text: 'show downtime by line',
        sessionId: 'sess-7f3a',
        databaseType: 'oracle',
      }),
    );
    // Without times of its own the root spans its stages.
    expect([startOf(root!), endOf(root!)]).toEqual([millis(1), millis(25)]);

    const [classification] = byStage(spans, 'classification');
    expect([startOf(classification!), endOf(classification!)]).toEqual([millis(1), millis(2)]);
    expect(classification!.attributes).toEqual(
      toStageAttributes('classification', { category: 'downtime', confidence: 0.9 }),
    );
    // A stage given only a start takes no time.
    const [selection] = byStage(spans, 'response_selection');
    expect([startOf(selection!), endOf(selection!)]).toEqual([millis(20), millis(20)]);
    expect(spans).toHaveLength(9);
  });

  it('resolves refs to model interactions and nests the replacement interaction under its fallback', async () => {
    const exporter = new RecordingExporter();
    const { recorder } = recorderWith(exporter);
    await recorder.recordFlow(FLOW);
    await recorder.forceFlush();
    const spans = exporter.getFinishedSpans();

    const interactions = byStage(spans, 'model_interaction');
    const api = interactions.find((span) => span.name === 'chat gpt-4o')!;
    const local = interactions.find((span) => span.name === 'chat sqlcoder-7b')!;
    const [fallback] = byStage(spans, 'fallback');
    const [root] = byStage(spans, 'query');
    expect(api.parentSpanContext?.spanId).toBe(fallback!.spanContext().spanId);
    expect(local.parentSpanContext?.spanId).toBe(root!.spanContext().spanId);

    const apiId = api.spanContext().spanId;
    expect(byStage(spans, 'response_selection')[0]!.attributes[ATTR_SELECTION_INTERACTION_ID]).toBe(apiId);
    expect(byStage(spans, 'sql_processing')[0]!.attributes[ATTR_SQL_INTERACTION_ID]).toBe(apiId);
    expect(byStage(spans, 'execution')[0]!.attributes[ATTR_SQL_INTERACTION_ID]).toBe(apiId);
  });

  it('records a stage’s failure as an error on its span', async () => {
    const exporter = new RecordingExporter();
    const { recorder } = recorderWith(exporter);
    await recorder.recordFlow(FLOW);
    await recorder.forceFlush();
    const local = byStage(exporter.getFinishedSpans(), 'model_interaction').find(
      (span) => span.name === 'chat sqlcoder-7b',
    )!;
    expect(local.attributes[ATTR_ERROR_TYPE]).toBe('timeout');
    expect(local.status).toEqual({ code: SpanStatusCode.ERROR, message: 'timeout' });
    expect(local.events.map((event) => event.name)).toEqual(['exception']);
  });

  it('keeps the root’s own times when the flow gives them, and honours the mode', async () => {
    const writer = new FakeTraceWriter();
    const { recorder } = recorderWith(writer);
    const flow: ProcessingFlow = {
      query: { text: 'q', startTime: new Date(millis(0)), endTime: millis(30) },
      classification: { category: 'downtime' },
    };
    await recorder.recordFlow(flow, { mode: 'sync' });

    expect(writer.writes.map((write) => write.require)).toEqual(['committed']);
    const [classification, root] = writer.spans;
    expect([startOf(root!), endOf(root!)]).toEqual([millis(0), millis(30)]);
    // A stage without times sits at the start of the root.
    expect([startOf(classification!), endOf(classification!)]).toEqual([millis(0), millis(0)]);
  });
});
