/**
 * Real traces for the tests: spans recorded by the OpenTelemetry SDK (BasicTracerProvider with an
 * in-memory exporter), with the conventions' attributes and fixed times in nanoseconds, so the
 * expected microseconds are known.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes, AttributeValue, HrTime, Link, Span } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { STAGES, stageSpanName, toStageAttributes } from '@aitdr/conventions';
import type { AttributeSpec, Stage, StageFields } from '@aitdr/conventions';

export const RESOURCE = {
  'service.name': 'assistant',
  'service.version': '2.4.1',
  'host.name': 'build-host',
};

/** 2025-11-25T08:00:00Z, as seconds since the epoch. */
export const T0 = 1_764_057_600;

/** An HrTime `ms` milliseconds plus `ns` nanoseconds after T0 + 0.123456789 s. */
export const at = (ms: number, ns = 0): HrTime => {
  const total = 123_456_789 + ms * 1_000_000 + ns;
  return [T0 + Math.floor(total / 1e9), total % 1e9];
};

/** Every field of a stage set to its documented example. */
export function exampleFields<S extends Stage>(stage: S): StageFields<S> {
  const fields = STAGES[stage].fields as Readonly<Record<string, AttributeSpec>>;
  return Object.fromEntries(
    Object.entries(fields).map(([name, spec]) => [name, spec.example as AttributeValue]),
  ) as StageFields<S>;
}

/**
 * The stage's attributes as OpenTelemetry `Attributes`: for a concrete stage, `StageAttributes`
 * types `string[]` values as readonly arrays, which the API's mutable `AttributeValue` refuses.
 */
export function stageAttributes<S extends Stage>(stage: S, fields: StageFields<S>): Attributes {
  return toStageAttributes(stage, fields);
}

export class TraceRecorder {
  private readonly memory = new InMemorySpanExporter();
  private readonly provider: BasicTracerProvider;
  private readonly tracer;

  constructor(resource: Attributes = RESOURCE) {
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes(resource),
      spanProcessors: [new SimpleSpanProcessor(this.memory)],
    });
    this.tracer = this.provider.getTracer('exporter-tests', '1.0.0');
  }

  /** Starts a span, as a child of `parent` when given, at a fixed time. */
  start(
    name: string,
    options: { parent?: Span; attributes?: Attributes; startTime: HrTime; kind?: SpanKind; links?: Link[] },
  ): Span {
    const context = options.parent ? trace.setSpan(ROOT_CONTEXT, options.parent) : ROOT_CONTEXT;
    return this.tracer.startSpan(
      name,
      {
        ...(options.attributes ? { attributes: options.attributes } : {}),
        startTime: options.startTime,
        ...(options.kind === undefined ? {} : { kind: options.kind }),
        ...(options.links ? { links: options.links } : {}),
        ...(options.parent ? {} : { root: true }),
      },
      context,
    );
  }

  /** A stage span with the given fields, ended `durationMs` after its start. */
  stage<S extends Stage>(
    stage: S,
    fields: StageFields<S>,
    options: { parent?: Span; startMs: number; durationMs: number; extra?: Attributes; links?: Link[] },
  ): Span {
    const attributes = { ...stageAttributes(stage, fields), ...options.extra };
    const span = this.start(stageSpanName(stage, attributes), {
      ...(options.parent ? { parent: options.parent } : {}),
      attributes,
      startTime: at(options.startMs),
      kind: STAGES[stage].spanKind,
      ...(options.links ? { links: options.links } : {}),
    });
    span.end(at(options.startMs + options.durationMs, 1));
    return span;
  }

  /** Takes the spans recorded so far. */
  take(): ReadableSpan[] {
    const spans = this.memory.getFinishedSpans();
    this.memory.reset();
    return spans;
  }
}

export interface PipelineTrace {
  readonly traceId: string;
  readonly spans: ReadableSpan[];
  readonly spanIds: {
    query: string;
    classification: string;
    schemaContext: string;
    apiInteraction: string;
    localInteraction: string;
    selection: string;
    processing: string;
    execution: string;
    fallback: string;
    other: string;
  };
}

/**
 * One question through every stage: classification, schema context, an API and a local model
 * interaction (the local one failed, so a fallback fired), the selection, SQL processing and
 * execution, and an HTTP span of no stage. Every stage field holds its documented example.
 */
export function recordPipeline(
  recorder = new TraceRecorder(),
  overrides: { queryExtra?: Attributes } = {},
): PipelineTrace {
  const root = recorder.start(stageSpanName('query'), {
    attributes: {
      ...stageAttributes('query', exampleFields('query')),
      'app.tenant': 'acme',
      ...overrides.queryExtra,
    },
    startTime: at(0),
  });
  const child = { parent: root };
  const classification = recorder.stage('classification', exampleFields('classification'), {
    ...child,
    startMs: 1,
    durationMs: 2,
  });
  const schemaContext = recorder.stage('schema_context', exampleFields('schema_context'), {
    ...child,
    startMs: 3,
    durationMs: 5,
  });
  const api = recorder.stage(
    'model_interaction',
    { ...exampleFields('model_interaction'), source: 'api' },
    {
      ...child,
      startMs: 10,
      durationMs: 820,
      extra: { 'gen_ai.request.top_p': 0.9 },
    },
  );
  const fallback = recorder.start(stageSpanName('fallback'), {
    parent: root,
    attributes: stageAttributes('fallback', {
      ...exampleFields('fallback'),
      fromSource: 'local',
      toSource: 'api',
    }),
    startTime: at(10),
  });
  const local = recorder.start(stageSpanName('model_interaction'), {
    parent: fallback,
    attributes: stageAttributes('model_interaction', {
      ...exampleFields('model_interaction'),
      source: 'local',
      requestModel: 'sqlcoder-7b',
      responseModel: 'sqlcoder-7b',
    }),
    startTime: at(11),
    kind: SpanKind.CLIENT,
  });
  local.recordException({ name: 'TimeoutError', message: 'request timed out after 10000 ms' }, at(900));
  local.setStatus({ code: SpanStatusCode.ERROR, message: 'request timed out' });
  local.end(at(901));
  fallback.end(at(902));
  const interactionId = api.spanContext().spanId;
  const selection = recorder.stage(
    'response_selection',
    { ...exampleFields('response_selection'), selectedInteractionId: interactionId, selectedSource: 'api' },
    { ...child, startMs: 903, durationMs: 1 },
  );
  const processing = recorder.stage(
    'sql_processing',
    { ...exampleFields('sql_processing'), interactionId },
    {
      ...child,
      startMs: 905,
      durationMs: 2,
    },
  );
  const execution = recorder.stage(
    'execution',
    { ...exampleFields('execution'), interactionId },
    {
      ...child,
      startMs: 908,
      durationMs: 30,
    },
  );
  const other = recorder.start('GET /metadata', {
    parent: root,
    attributes: { 'http.request.method': 'GET', 'url.full': 'http://metadata/tables' },
    startTime: at(4),
    kind: SpanKind.CLIENT,
  });
  other.end(at(6));
  root.setStatus({ code: SpanStatusCode.OK });
  root.end(at(1000));
  const id = (span: Span) => span.spanContext().spanId;
  return {
    traceId: root.spanContext().traceId,
    spans: recorder.take(),
    spanIds: {
      query: id(root),
      classification: id(classification),
      schemaContext: id(schemaContext),
      apiInteraction: interactionId,
      localInteraction: id(local),
      selection: id(selection),
      processing: id(processing),
      execution: id(execution),
      fallback: id(fallback),
      other: id(other),
    },
  };
}

/** Feedback on `queryId`, recorded later in a trace of its own that links to the query's root span. */
export function recordFeedback(
  queryId: string,
  rootSpanId: string,
  fields: Partial<StageFields<'user_feedback'>> = {},
  recorder = new TraceRecorder(),
): { traceId: string; spanId: string; spans: ReadableSpan[] } {
  const span = recorder.stage(
    'user_feedback',
    { ...exampleFields('user_feedback'), queryId, ...fields },
    {
      startMs: 60_000,
      durationMs: 1,
      links: [{ context: { traceId: queryId, spanId: rootSpanId, traceFlags: 1 } }],
    },
  );
  return { traceId: span.spanContext().traceId, spanId: span.spanContext().spanId, spans: recorder.take() };
}
