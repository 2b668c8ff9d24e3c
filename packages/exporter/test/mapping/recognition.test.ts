import { describe, expect, it } from 'vitest';
import { SpanKind } from '@opentelemetry/api';
import type { Attributes, Span } from '@opentelemetry/api';
import { ATTR_RECOGNITION_FAMILIES, ATTR_RECOGNITION_SPAN_IDS, ATTR_STAGE } from '@aitdr/conventions';
import {
  AI_EXECUTION_RESULTS,
  AI_MODEL_INTERACTIONS,
  AI_QUERY_CLASSIFICATIONS,
  AI_USER_FEEDBACK,
} from '@aitdr/schema';
import type { TableDef } from '@aitdr/schema';
import { mapTrace, toSpanRecord } from '@aitdr/exporter';
import type { MappedTrace, Row } from '@aitdr/exporter';
import { TraceRecorder, at } from '../support/traces.js';
import {
  ANSWER_SQL,
  ANSWER_TEXT,
  QUESTION,
  SYSTEM_PROMPT,
  contribOpenAiSpan,
  openInferenceSpan,
  pg071Span,
  pgConnectSpan,
  pgCurrentSpan,
  traceloop022Span,
} from '../support/library-spans.js';

function mapped(recorder: TraceRecorder): MappedTrace {
  const trace = mapTrace(recorder.take().map(toSpanRecord));
  if (trace.kind !== 'mapped') throw new Error(`unmappable: ${trace.reason}`);
  return trace;
}

const rowsOf = (trace: MappedTrace, table: TableDef): readonly Row[] =>
  trace.stageRows.find((r) => r.table === table)?.rows ?? [];

const json = (value: unknown): unknown => (typeof value === 'string' ? JSON.parse(value) : value);
const otherSpanIds = (trace: MappedTrace) => (trace.otherSpans?.spans ?? []).map((s) => s.spanId);
const id = (span: Span) => span.spanContext().spanId;

/** A query root span, and a helper opening stage spans under it with plain attributes. */
function query(recorder: TraceRecorder) {
  const root = recorder.start('text_to_sql.query', {
    attributes: { [ATTR_STAGE]: 'query', 'text_to_sql.query.text': QUESTION },
    startTime: at(0),
  });
  const stage = (stage: string, attributes: Attributes, startMs: number, kind = SpanKind.CLIENT) =>
    recorder.start(`text_to_sql.${stage}`, {
      parent: root,
      attributes: { [ATTR_STAGE]: stage, ...attributes },
      startTime: at(startMs),
      kind,
    });
  const end = () => root.end(at(1000));
  return { root, stage, end };
}

const EXPECTED_PROMPT = [
  { role: 'system', parts: [{ type: 'text', content: SYSTEM_PROMPT }] },
  { role: 'user', parts: [{ type: 'text', content: QUESTION }] },
];

describe('a model call an instrumentation library traced', () => {
  it('fills the empty columns of the model_interaction stage span it runs under (contrib, content in log events)', () => {
    const recorder = new TraceRecorder();
    const q = query(recorder);
    const stage = q.stage(
      'model_interaction',
      {
        'text_to_sql.model.source': 'api',
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'app-named-model',
      },
      10,
    );
    const library = contribOpenAiSpan(recorder, { parent: stage, startMs: 11 });
    stage.end(at(30));
    q.end();
    const trace = mapped(recorder);

    const rows = rowsOf(trace, AI_MODEL_INTERACTIONS);
    expect(rows).toHaveLength(1);
    const row = rows[0] as Row;
    expect(row).toMatchObject({
      INTERACTION_ID: id(stage),
      MODEL_SOURCE: 'api',
      PROVIDER: 'openai',
      // What the application set wins over the library's value.
      REQUEST_MODEL: 'app-named-model',
      RESPONSE_MODEL: 'gpt-4o-mini-2024-07-18',
      RESPONSE_ID: 'chatcmpl-contrib-1',
      INPUT_TOKENS: 42,
      OUTPUT_TOKENS: 17,
      TEMPERATURE: 0,
      MAX_TOKENS: 256,
      GENERATED_SQL: ANSWER_SQL,
      GENERATED_SQL_FROM: 'fenced_sql_block',
      SOURCE_SPAN_ID: id(library),
    });
    expect(json(row.FINISH_REASONS)).toEqual(['stop']);
    expect(json(row.PROMPT)).toEqual(EXPECTED_PROMPT);
    expect(json(row.RESPONSE_TEXT)).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: ANSWER_TEXT }], finish_reason: 'stop' },
    ]);
    const attributes = json(row.ATTRIBUTES) as Record<string, unknown>;
    expect(attributes).toMatchObject({
      [ATTR_RECOGNITION_SPAN_IDS]: [id(library)],
      [ATTR_RECOGNITION_FAMILIES]: ['gen_ai', 'gen_ai_previous'],
      'server.address': '127.0.0.1',
      // The library's model name, overruled by the application's, is kept.
      'gen_ai.request.model': 'gpt-4o-mini',
    });
    expect((json(row.EVENTS) as { name: string }[]).map((e) => e.name)).toEqual([
      'gen_ai.system.message',
      'gen_ai.user.message',
      'gen_ai.choice',
    ]);
    expect(otherSpanIds(trace)).not.toContain(id(library));
  });

  it('is a row of its own under the query span alone (OpenLLMetry 0.22 names)', () => {
    const recorder = new TraceRecorder();
    const q = query(recorder);
    const library = traceloop022Span(recorder, { parent: q.root, startMs: 10 });
    q.end();
    const trace = mapped(recorder);

    const rows = rowsOf(trace, AI_MODEL_INTERACTIONS);
    expect(rows).toHaveLength(1);
    const row = rows[0] as Row;
    expect(row).toMatchObject({
      INTERACTION_ID: id(library),
      QUERY_ID: library.spanContext().traceId,
      SPAN_NAME: 'openai.chat',
      MODEL_SOURCE: null,
      OPERATION_NAME: 'chat',
      PROVIDER: 'OpenAI',
      REQUEST_MODEL: 'gpt-4o-mini',
      RESPONSE_MODEL: 'gpt-4o-mini-2024-07-18',
      INPUT_TOKENS: 40,
      OUTPUT_TOKENS: 12,
      TEMPERATURE: 0.2,
      MAX_TOKENS: 256,
      GENERATED_SQL: ANSWER_SQL,
      GENERATED_SQL_FROM: 'whole_response',
      SOURCE_SPAN_ID: id(library),
      STATUS_CODE: 'OK',
    });
    expect(json(row.PROMPT)).toEqual(EXPECTED_PROMPT);
    expect(json(row.RESPONSE_TEXT)).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: ANSWER_SQL }], finish_reason: 'stop' },
    ]);
    expect(json(row.FINISH_REASONS)).toEqual(['stop']);
    const attributes = json(row.ATTRIBUTES) as Record<string, unknown>;
    expect(attributes).toMatchObject({
      [ATTR_RECOGNITION_SPAN_IDS]: [id(library)],
      [ATTR_RECOGNITION_FAMILIES]: ['gen_ai', 'gen_ai_previous', 'derived'],
      'llm.usage.total_tokens': 52,
    });
    // Attributes a rename read are in their columns, not again in ATTRIBUTES.
    expect(Object.keys(attributes).filter((k) => k.startsWith('gen_ai.prompt.'))).toEqual([]);
    expect(attributes['gen_ai.usage.prompt_tokens']).toBeUndefined();
    expect(otherSpanIds(trace)).toEqual([]);
  });

  it('reads OpenInference names, invocation parameters and bodies', () => {
    const recorder = new TraceRecorder();
    const q = query(recorder);
    const library = openInferenceSpan(recorder, { parent: q.root, startMs: 10 });
    q.end();
    const row = rowsOf(mapped(recorder), AI_MODEL_INTERACTIONS)[0] as Row;
    expect(row).toMatchObject({
      INTERACTION_ID: id(library),
      PROVIDER: 'openai',
      REQUEST_MODEL: 'gpt-4o-mini',
      RESPONSE_MODEL: 'gpt-4o-mini-2024-07-18',
      RESPONSE_ID: 'chatcmpl-oi-1',
      INPUT_TOKENS: 44,
      OUTPUT_TOKENS: 19,
      TEMPERATURE: 0.1,
      MAX_TOKENS: 300,
      GENERATED_SQL: ANSWER_SQL,
    });
    expect(json(row.PROMPT)).toEqual(EXPECTED_PROMPT);
    expect(json(row.RESPONSE_TEXT)).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: ANSWER_TEXT }] },
    ]);
    expect(json(row.FINISH_REASONS)).toBeNull();
  });

  it('reads the messages from the bodies when no message attribute is there', () => {
    const recorder = new TraceRecorder();
    const q = query(recorder);
    const library = openInferenceSpan(recorder, { parent: q.root, startMs: 10 });
    q.end();
    const spans = recorder.take().map(toSpanRecord);
    const trimmed = spans.map((s) =>
      s.spanId === id(library)
        ? {
            ...s,
            attributes: Object.fromEntries(
              Object.entries(s.attributes).filter(([k]) => !/^llm\.(input|output)_messages\./.test(k)),
            ),
          }
        : s,
    );
    const trace = mapTrace(trimmed);
    if (trace.kind !== 'mapped') throw new Error(trace.reason);
    const row = rowsOf(trace, AI_MODEL_INTERACTIONS)[0] as Row;
    expect(json(row.PROMPT)).toEqual(EXPECTED_PROMPT);
    expect(json(row.RESPONSE_TEXT)).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: ANSWER_TEXT }], finish_reason: 'stop' },
    ]);
    expect(json(row.FINISH_REASONS)).toEqual(['stop']);
  });

  it('reads the current inference details event (gen_ai.input.messages / gen_ai.output.messages)', () => {
    const recorder = new TraceRecorder();
    const q = query(recorder);
    const input = [{ role: 'user', parts: [{ type: 'text', content: QUESTION }] }];
    const output = [
      { role: 'assistant', parts: [{ type: 'text', content: ANSWER_SQL }], finish_reason: 'stop' },
    ];
    const span = recorder.start('chat gpt-4o-mini', {
      parent: q.root,
      kind: SpanKind.CLIENT,
      startTime: at(10),
      attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai' },
    });
    span.addEvent(
      'gen_ai.client.inference.operation.details',
      { 'gen_ai.input.messages': JSON.stringify(input), 'gen_ai.output.messages': JSON.stringify(output) },
      at(12),
    );
    span.end(at(15));
    q.end();
    const row = rowsOf(mapped(recorder), AI_MODEL_INTERACTIONS)[0] as Row;
    expect(json(row.PROMPT)).toEqual(input);
    expect(json(row.RESPONSE_TEXT)).toEqual(output);
    expect(row.GENERATED_SQL).toBe(ANSWER_SQL);
  });

  it('makes one row of one call instrumented twice (OpenInference over the contrib span), under a stage span', () => {
    const recorder = new TraceRecorder();
    const q = query(recorder);
    const stage = q.stage(
      'model_interaction',
      { 'text_to_sql.model.source': 'api', 'gen_ai.operation.name': 'chat' },
      10,
    );
    const outer = openInferenceSpan(recorder, { parent: stage, startMs: 11, durationMs: 8 });
    const inner = contribOpenAiSpan(recorder, { parent: outer, startMs: 12, durationMs: 5 });
    stage.end(at(30));
    q.end();
    const trace = mapped(recorder);
    const rows = rowsOf(trace, AI_MODEL_INTERACTIONS);
    expect(rows).toHaveLength(1);
    const row = rows[0] as Row;
    // The latest-ending library span (the outer one) fills first.
    expect(row).toMatchObject({
      INTERACTION_ID: id(stage),
      SOURCE_SPAN_ID: id(outer),
      INPUT_TOKENS: 44,
      RESPONSE_ID: 'chatcmpl-oi-1',
    });
    expect((json(row.ATTRIBUTES) as Record<string, unknown>)[ATTR_RECOGNITION_SPAN_IDS]).toEqual([
      id(outer),
      id(inner),
    ]);
    expect(otherSpanIds(trace)).toEqual([]);
  });

  it('stays in OTHER_SPANS under a stage span of another kind (an LLM classifier)', () => {
    const recorder = new TraceRecorder();
    const q = query(recorder);
    const classification = q.stage(
      'classification',
      { 'text_to_sql.classification.category': 'production' },
      5,
      SpanKind.INTERNAL,
    );
    const library = contribOpenAiSpan(recorder, { parent: classification, startMs: 6 });
    classification.end(at(9));
    q.end();
    const trace = mapped(recorder);
    expect(rowsOf(trace, AI_MODEL_INTERACTIONS)).toEqual([]);
    expect(rowsOf(trace, AI_QUERY_CLASSIFICATIONS)).toHaveLength(1);
    expect(otherSpanIds(trace)).toEqual([id(library)]);
  });

  it('is not read in a trace with no query or stage span (a health check, another service)', () => {
    const recorder = new TraceRecorder();
    const root = recorder.start('GET /health', { startTime: at(0), kind: SpanKind.SERVER });
    contribOpenAiSpan(recorder, { parent: root, startMs: 1 });
    pgCurrentSpan(recorder, { parent: root, startMs: 2 });
    root.end(at(10));
    const trace = mapped(recorder);
    expect(trace.query).toBeUndefined();
    expect(trace.stageRows).toEqual([]);
    expect(trace.otherSpans?.spans).toHaveLength(3);
    expect(trace.otherSpans?.onlyIfStored).toBe(true);
  });

  it('is kept in OTHER_SPANS when its parent is not in this part of the trace', () => {
    const recorder = new TraceRecorder();
    const q = query(recorder);
    const stage = q.stage('model_interaction', { 'text_to_sql.model.source': 'api' }, 10);
    const library = contribOpenAiSpan(recorder, { parent: stage, startMs: 11 });
    stage.end(at(30));
    q.end();
    const spans = recorder.take().map(toSpanRecord);
    // The part holds the query span and the library span, not the stage span between them.
    const trace = mapTrace(spans.filter((s) => s.spanId !== id(stage)));
    if (trace.kind !== 'mapped') throw new Error(trace.reason);
    expect(rowsOf(trace, AI_MODEL_INTERACTIONS)).toEqual([]);
    expect(otherSpanIds(trace)).toEqual([id(library)]);
  });
});

describe('a database call an instrumentation library traced', () => {
  it('fills the execution stage span it runs under (instrumentation-pg 0.71 names); the application wins', () => {
    const recorder = new TraceRecorder();
    const q = query(recorder);
    const execution = q.stage(
      'execution',
      {
        'db.query.text': 'SELECT 1 /* as the app wrote it */',
        'text_to_sql.sql.interaction_id': 'aaaaaaaaaaaaaaaa',
      },
      20,
    );
    const connect = pgConnectSpan(recorder, { parent: execution, startMs: 21, durationMs: 1 });
    const library = pg071Span(recorder, { parent: execution, startMs: 22 });
    execution.end(at(40));
    q.end();
    const trace = mapped(recorder);
    const rows = rowsOf(trace, AI_EXECUTION_RESULTS);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      EXECUTION_ID: id(execution),
      EXECUTED_SQL: 'SELECT 1 /* as the app wrote it */',
      DB_SYSTEM: 'postgresql',
      DB_NAMESPACE: 'test',
      INTERACTION_ID: 'aaaaaaaaaaaaaaaa',
      INTERACTION_INFERRED: null,
      SOURCE_SPAN_ID: id(library),
      SUCCESS: true,
    });
    const attributes = json(rows[0]?.ATTRIBUTES) as Record<string, unknown>;
    expect(attributes[ATTR_RECOGNITION_SPAN_IDS]).toEqual([id(library)]);
    // The library's statement, which the application's overruled, is kept under the conventions' key.
    expect(attributes['db.query.text']).toBe(ANSWER_SQL);
    expect(attributes['db.statement']).toBeUndefined();
    expect(otherSpanIds(trace)).toEqual([id(connect)]);
  });

  it('alone under the query is an execution row, linked (inferred) to the only model interaction', () => {
    const recorder = new TraceRecorder();
    const q = query(recorder);
    const model = traceloop022Span(recorder, { parent: q.root, startMs: 10 });
    const library = pgCurrentSpan(recorder, { parent: q.root, startMs: 20 });
    q.end();
    const trace = mapped(recorder);
    expect(rowsOf(trace, AI_EXECUTION_RESULTS)).toHaveLength(1);
    const row = rowsOf(trace, AI_EXECUTION_RESULTS)[0] as Row;
    expect(row).toMatchObject({
      EXECUTION_ID: id(library),
      SPAN_NAME: 'SELECT test',
      EXECUTED_SQL: ANSWER_SQL,
      DB_SYSTEM: 'postgresql',
      DB_NAMESPACE: 'test',
      OPERATION_NAME: 'SELECT',
      SUCCESS: true,
      INTERACTION_ID: id(model),
      INTERACTION_INFERRED: true,
      SOURCE_SPAN_ID: id(library),
    });
    expect(json(row.ATTRIBUTES)).toMatchObject({ [ATTR_RECOGNITION_FAMILIES]: ['db'] });
  });

  it('links to the selected interaction when there are several, and to none when none is selected', () => {
    const recorder = new TraceRecorder();
    const q = query(recorder);
    const first = traceloop022Span(recorder, { parent: q.root, startMs: 10 });
    const second = traceloop022Span(recorder, { parent: q.root, startMs: 12 });
    const selection = q.stage(
      'response_selection',
      { 'text_to_sql.selection.interaction_id': id(second) },
      15,
      SpanKind.INTERNAL,
    );
    selection.end(at(16));
    pgCurrentSpan(recorder, { parent: q.root, startMs: 20 });
    q.end();
    expect(rowsOf(mapped(recorder), AI_EXECUTION_RESULTS)[0]?.INTERACTION_ID).toBe(id(second));

    const unselected = query(recorder);
    traceloop022Span(recorder, { parent: unselected.root, startMs: 10 });
    traceloop022Span(recorder, { parent: unselected.root, startMs: 12 });
    pgCurrentSpan(recorder, { parent: unselected.root, startMs: 20 });
    unselected.end();
    const row = rowsOf(mapped(recorder), AI_EXECUTION_RESULTS)[0] as Row;
    expect(row.INTERACTION_ID).toBeNull();
    expect(row.INTERACTION_INFERRED).toBeNull();
    expect(id(first)).not.toBe(id(second));
  });
});

describe('gen_ai.evaluation.result events', () => {
  it('become feedback rows about the query, the same on a replay', () => {
    const recorder = new TraceRecorder();
    const q = query(recorder);
    const library = traceloop022Span(recorder, { parent: q.root, startMs: 10 });
    q.root.addEvent(
      'gen_ai.evaluation.result',
      {
        'gen_ai.evaluation.name': 'sql_correctness',
        'gen_ai.evaluation.score.value': 0.92,
        'gen_ai.evaluation.score.label': 'pass',
        'gen_ai.evaluation.explanation': 'matches the reference result',
        'gen_ai.response.id': 'chatcmpl-1',
      },
      at(900),
    );
    q.end();
    const spans = recorder.take().map(toSpanRecord);
    const trace = mapTrace(spans);
    if (trace.kind !== 'mapped') throw new Error(trace.reason);
    const rows = rowsOf(trace, AI_USER_FEEDBACK);
    expect(rows).toHaveLength(1);
    const row = rows[0] as Row;
    expect(row).toMatchObject({
      QUERY_ID: library.spanContext().traceId,
      FEEDBACK_TRACE_ID: library.spanContext().traceId,
      PARENT_SPAN_ID: id(q.root),
      SPAN_NAME: 'gen_ai.evaluation.result',
      IS_CORRECT: true,
      FEEDBACK_COMMENT: 'matches the reference result',
      RATING: null,
      FEEDBACK_TIME: '2025-11-25T08:00:01.023456Z',
    });
    expect(row.FEEDBACK_ID).toMatch(/^[0-9a-f]{16}$/);
    expect(json(row.ATTRIBUTES)).toEqual({
      'gen_ai.evaluation.name': 'sql_correctness',
      'gen_ai.evaluation.score.value': 0.92,
      'gen_ai.response.id': 'chatcmpl-1',
    });
    expect(trace.requiredQueryIds).toEqual([]);
    const again = mapTrace(spans);
    if (again.kind !== 'mapped') throw new Error(again.reason);
    expect(rowsOf(again, AI_USER_FEEDBACK)[0]?.FEEDBACK_ID).toBe(row.FEEDBACK_ID);
  });
});
