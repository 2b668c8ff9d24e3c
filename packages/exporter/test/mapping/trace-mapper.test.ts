import { describe, expect, it } from 'vitest';
import {
  ATTR_FEEDBACK_QUERY_ID,
  ATTR_FEEDBACK_SUBMITTED_AT,
  ATTR_SELECTION_INTERACTION_ID,
  ATTR_STAGE,
} from '@aitdr/conventions';
import {
  AI_EXECUTION_RESULTS,
  AI_MODEL_INTERACTIONS,
  AI_QUERY_CLASSIFICATIONS,
  AI_RESPONSE_SELECTIONS,
  AI_SCHEMA_CONTEXTS,
  AI_TRAINING_QUERIES,
  AI_USER_FEEDBACK,
  TABLES,
} from '@aitdr/schema';
import type { TableDef } from '@aitdr/schema';
import { toSpanRecord } from '@aitdr/conventions';
import type { SpanRecord } from '@aitdr/conventions';
import { mapTrace } from '@aitdr/exporter/internals';
import type { MappedTrace, Row } from '@aitdr/exporter/internals';
import { TraceRecorder, at, recordFeedback, recordPipeline } from '../support/traces.js';

const records = (spans: Parameters<typeof toSpanRecord>[0][]) => spans.map(toSpanRecord);

function mapped(spans: readonly SpanRecord[]): MappedTrace {
  const trace = mapTrace(spans);
  if (trace.kind !== 'mapped') throw new Error(`unmappable: ${trace.reason}`);
  return trace;
}

function rowsOf(trace: MappedTrace, table: TableDef): readonly Row[] {
  return trace.stageRows.find((r) => r.table === table)?.rows ?? [];
}

describe('mapTrace', () => {
  const pipeline = recordPipeline();
  const trace = mapped(records(pipeline.spans));

  it('makes a complete query row of the root span, with resource attributes split by column', () => {
    expect(trace.query?.complete).toBe(true);
    expect(trace.query?.row).toMatchObject({
      QUERY_ID: pipeline.traceId,
      SPAN_ID: pipeline.spanIds.query,
      PARENT_SPAN_ID: null,
      SPAN_NAME: 'text_to_sql.query',
      QUERY_TEXT: 'show production efficiency trends for line 3',
      USERNAME: 'jsmith',
      USER_ID: 'u-10442',
      SESSION_ID: 'sess-7f3a',
      CLIENT_INFO: 'web-ui/2.4.1',
      DATABASE_TYPE: 'oracle',
      QUERY_MODE: 'interactive',
      SERVICE_NAME: 'assistant',
      SERVICE_VERSION: '2.4.1',
      TRACE_STATUS: 'COMPLETE',
      START_TIME: '2025-11-25T08:00:00.123456Z',
      END_TIME: '2025-11-25T08:00:01.123456Z',
      DURATION_MS: 1000,
      STATUS_CODE: 'OK',
      ERROR_TYPE: 'timeout',
      ERROR_MESSAGE: null,
    });
    expect(JSON.parse(trace.query?.row.RESOURCE_ATTRIBUTES as string)).toMatchObject({
      'host.name': 'build-host',
    });
    expect(JSON.parse(trace.query?.row.RESOURCE_ATTRIBUTES as string)).not.toHaveProperty('service.name');
    // Attributes without a column are kept; the stage attribute is implied by the table.
    expect(JSON.parse(trace.query?.row.ATTRIBUTES as string)).toEqual({ 'app.tenant': 'acme' });
  });

  it('puts each stage span in its table, parents first, keyed by span ID', () => {
    expect(trace.stageRows.map((r) => r.table.name)).toEqual(
      TABLES.filter((t) => t !== AI_TRAINING_QUERIES && t !== AI_USER_FEEDBACK).map((t) => t.name),
    );
    expect(rowsOf(trace, AI_QUERY_CLASSIFICATIONS)).toEqual([
      expect.objectContaining({
        CLASSIFICATION_ID: pipeline.spanIds.classification,
        QUERY_ID: pipeline.traceId,
        PARENT_SPAN_ID: pipeline.spanIds.query,
        CATEGORY: 'production_efficiency',
        CONFIDENCE: 0.92,
        START_TIME: '2025-11-25T08:00:00.124456Z',
        DURATION_MS: 2,
        ATTRIBUTES: null,
      }),
    ]);
    expect(rowsOf(trace, AI_SCHEMA_CONTEXTS)[0]).toMatchObject({
      TABLES: '["PRODUCTION_RUNS","LINES"]',
      TOKEN_COUNT: 412,
    });
    expect(rowsOf(trace, AI_MODEL_INTERACTIONS).map((r) => [r.MODEL_SOURCE, r.LATENCY_MS])).toEqual([
      ['api', 1234.5],
      ['local', 1234.5],
    ]);
  });

  it('keeps unknown attributes, events and links as JSON', () => {
    const api = rowsOf(trace, AI_MODEL_INTERACTIONS).find((r) => r.MODEL_SOURCE === 'api')!;
    expect(JSON.parse(api.ATTRIBUTES as string)).toEqual({ 'gen_ai.request.top_p': 0.9 });
    const local = rowsOf(trace, AI_MODEL_INTERACTIONS).find((r) => r.MODEL_SOURCE === 'local')!;
    expect(local).toMatchObject({
      STATUS_CODE: 'ERROR',
      ERROR_MESSAGE: 'request timed out',
      PARENT_SPAN_ID: pipeline.spanIds.fallback,
    });
    expect(JSON.parse(local.EVENTS as string)).toEqual([
      {
        name: 'exception',
        time: '2025-11-25T08:00:01.023456Z',
        attributes: {
          'exception.type': 'TimeoutError',
          'exception.message': 'request timed out after 10000 ms',
        },
      },
    ]);
  });

  it('takes a column from its fallback source when the first has no value', () => {
    // SUCCESS comes from the attribute; LATENCY_MS from the attribute, else the span duration.
    expect(rowsOf(trace, AI_EXECUTION_RESULTS)[0]).toMatchObject({ SUCCESS: true, RETURNED_ROWS: 42 });
    const recorder = new TraceRecorder();
    const span = recorder.stage(
      'execution',
      { queryText: 'SELECT 1 FROM DUAL' },
      { startMs: 0, durationMs: 7 },
    );
    span.setStatus({ code: 2 });
    const [row] = rowsOf(mapped(records(recorder.take())), AI_EXECUTION_RESULTS);
    expect(row).toMatchObject({ SUCCESS: true, STATUS_CODE: 'UNSET' });
    const other = new TraceRecorder();
    const failed = other.start('text_to_sql.execution', {
      attributes: { [ATTR_STAGE]: 'execution' },
      startTime: at(0),
    });
    failed.setStatus({ code: 2, message: 'ORA-00942' });
    failed.end(at(3));
    expect(rowsOf(mapped(records(other.take())), AI_EXECUTION_RESULTS)[0]).toMatchObject({
      SUCCESS: false,
      ERROR_MESSAGE: 'ORA-00942',
    });
  });

  it('keeps spans of no known stage whole in OTHER_SPANS', () => {
    const others = JSON.parse(trace.query?.row.OTHER_SPANS as string) as {
      spanId: string;
      name: string;
      kind: string;
    }[];
    expect(others).toEqual([
      expect.objectContaining({
        spanId: pipeline.spanIds.other,
        name: 'GET /metadata',
        kind: 'CLIENT',
        startTime: '2025-11-25T08:00:00.127456Z',
        attributes: { 'http.request.method': 'GET', 'url.full': 'http://metadata/tables' },
      }),
    ]);
    expect(trace.otherSpans).toMatchObject({ queryId: pipeline.traceId, onlyIfStored: false });
  });

  it('gives a part without its root span an INCOMPLETE placeholder query row', () => {
    const part = pipeline.spans.filter((s) => s.spanContext().spanId !== pipeline.spanIds.query);
    const incomplete = mapped(records(part));
    expect(incomplete.query?.complete).toBe(false);
    expect(incomplete.query?.row).toMatchObject({
      QUERY_ID: pipeline.traceId,
      TRACE_STATUS: 'INCOMPLETE',
      STATUS_CODE: 'UNSET',
      SPAN_ID: null,
      QUERY_TEXT: null,
      SERVICE_NAME: 'assistant',
    });
    expect(incomplete.stageRows.flatMap((r) => r.rows)).toHaveLength(8);
  });

  it('maps feedback to its query by attribute, else by the span link', () => {
    const feedback = recordFeedback(pipeline.traceId, pipeline.spanIds.query, { rating: 2 });
    const byAttribute = mapped(records(feedback.spans));
    expect(byAttribute.query).toBeUndefined();
    expect(byAttribute.requiredQueryIds).toEqual([pipeline.traceId]);
    expect(rowsOf(byAttribute, AI_USER_FEEDBACK)[0]).toMatchObject({
      FEEDBACK_ID: feedback.spanId,
      FEEDBACK_TRACE_ID: feedback.traceId,
      QUERY_ID: pipeline.traceId,
      RATING: 2,
      IS_CORRECT: false,
      FEEDBACK_TIME: '2026-11-25T09:30:00.000000Z',
    });
    const [span] = records(feedback.spans);
    const viaLink = {
      ...span!,
      attributes: { ...span!.attributes, [ATTR_FEEDBACK_QUERY_ID]: 'not-a-trace-id' },
    };
    const linked = mapped([viaLink]);
    expect(rowsOf(linked, AI_USER_FEEDBACK)[0]?.QUERY_ID).toBe(pipeline.traceId);
    // The value that could not be used stays in ATTRIBUTES.
    expect(JSON.parse(rowsOf(linked, AI_USER_FEEDBACK)[0]?.ATTRIBUTES as string)).toEqual({
      [ATTR_FEEDBACK_QUERY_ID]: 'not-a-trace-id',
    });
  });

  it('keeps the submitted time with its zone in UTC, else uses the span start', () => {
    const [span] = records(recordFeedback(pipeline.traceId, pipeline.spanIds.query).spans);
    const withZone = {
      ...span!,
      attributes: { ...span!.attributes, [ATTR_FEEDBACK_SUBMITTED_AT]: '2026-11-25T10:30:00.1234567+01:00' },
    };
    expect(rowsOf(mapped([withZone]), AI_USER_FEEDBACK)[0]?.FEEDBACK_TIME).toBe(
      '2026-11-25T09:30:00.123456Z',
    );
    const garbled = {
      ...span!,
      attributes: { ...span!.attributes, [ATTR_FEEDBACK_SUBMITTED_AT]: 'yesterday' },
    };
    expect(rowsOf(mapped([garbled]), AI_USER_FEEDBACK)[0]?.FEEDBACK_TIME).toBe('2025-11-25T08:01:00.123456Z');
  });

  it('moves a selected interaction ID that is not 16 hex to ATTRIBUTES', () => {
    const [selection] = records(pipeline.spans).filter((s) => s.spanId === pipeline.spanIds.selection);
    const bad = {
      ...selection!,
      attributes: { ...selection!.attributes, [ATTR_SELECTION_INTERACTION_ID]: 'api-call-1' },
    };
    const [row] = rowsOf(mapped([bad]), AI_RESPONSE_SELECTIONS);
    expect(row?.SELECTED_INTERACTION_ID).toBeNull();
    expect(JSON.parse(row?.ATTRIBUTES as string)).toEqual({ [ATTR_SELECTION_INTERACTION_ID]: 'api-call-1' });
  });

  it('refuses a trace it cannot key, and a feedback span that names no query', () => {
    const [span] = records(pipeline.spans);
    expect(mapTrace([{ ...span!, traceId: 'XYZ' }])).toMatchObject({ kind: 'unmappable' });
    const [feedback] = records(recordFeedback(pipeline.traceId, pipeline.spanIds.query).spans);
    const { [ATTR_FEEDBACK_QUERY_ID]: _dropped, ...attributes } = feedback!.attributes;
    expect(mapTrace([{ ...feedback!, attributes, links: [] }])).toEqual({
      kind: 'unmappable',
      traceId: feedback!.traceId,
      reason: `user_feedback span ${feedback!.spanId} has no value for QUERY_ID`,
    });
  });

  it('marks a trace of no stage at all to be kept only with a stored query', () => {
    const recorder = new TraceRecorder();
    recorder.start('GET /health', { startTime: at(0) }).end(at(1));
    const lone = mapped(records(recorder.take()));
    expect(lone.query).toBeUndefined();
    expect(lone.stageRows).toEqual([]);
    expect(lone.otherSpans?.onlyIfStored).toBe(true);
  });
});
