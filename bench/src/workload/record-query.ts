/**
 * One query recorded two ways, with the same spans, names, kinds and attributes: through the
 * SDK's typed helpers, and with plain OpenTelemetry calls on a bare tracer (the baseline).
 */
import { ROOT_CONTEXT, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import type { Attributes, Context, Span, SpanKind, Tracer } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_FEEDBACK_QUERY_ID,
  ATTR_SELECTION_INTERACTION_ID,
  ATTR_SQL_INTERACTION_ID,
  STAGES,
  stageSpanName,
  toStageAttributes,
} from '@aitdr/conventions';
import type { Stage, StageFields } from '@aitdr/conventions';
import type { FeedbackRecord, QueryRecord, Recorder } from '@aitdr/sdk';
import type { QueryShape } from './realistic-queries.js';

/**
 * Records one query and its later feedback through the typed helpers: one async function, as
 * `recordBare` is, so both pay the same awaits of their own.
 */
export async function recordWithHelpers(recorder: Recorder, shape: QueryShape): Promise<void> {
  const record = await recordQueryWithHelpers(recorder, shape);
  await recordFeedbackWithHelpers(recorder, shape, record);
}

/** Records one query (root and eight stage spans) through the typed helpers; resolves with its IDs. */
export function recordQueryWithHelpers(recorder: Recorder, shape: QueryShape): Promise<QueryRecord> {
  const { text, ...context } = shape.query;
  return recorder.recordQuery({ text, context }, (query) => {
    query.classification(shape.classification);
    query.schemaContext(shape.schemaContext);
    query.modelInteraction(shape.localCall, { error: shape.localError });
    // The answer's stages name the model interaction whose SQL they handle, as an app does.
    const { spanId: interactionId } = query.fallback(shape.fallback, (fallback) =>
      fallback.modelInteraction(shape.apiCall),
    );
    query.responseSelection({ ...shape.selection, selectedInteractionId: interactionId });
    query.sqlProcessing({ ...shape.processing, interactionId });
    query.execution({ ...shape.execution, interactionId });
  });
}

/** Records the feedback on a recorded query, a trace of its own. */
export function recordFeedbackWithHelpers(
  recorder: Recorder,
  shape: QueryShape,
  { queryId, rootSpanId }: QueryRecord,
): Promise<FeedbackRecord> {
  return recorder.recordFeedback({ ...shape.feedback, queryId, rootSpanId });
}

interface BareSpan {
  readonly name: string;
  readonly kind: SpanKind;
  readonly attributes: Attributes;
}

/** A query's spans as plain OpenTelemetry users would write them: names, kinds, attribute maps. */
export interface BareQuery {
  readonly query: BareSpan;
  readonly classification: BareSpan;
  readonly schemaContext: BareSpan;
  readonly localCall: BareSpan;
  readonly localError: Error;
  readonly fallback: BareSpan;
  readonly apiCall: BareSpan;
  readonly selection: BareSpan;
  readonly processing: BareSpan;
  readonly execution: BareSpan;
  readonly feedback: BareSpan;
}

function bareSpan<S extends Stage>(stage: S, fields: StageFields<S>): BareSpan {
  const attributes = toStageAttributes(stage, fields) as Attributes;
  return { name: stageSpanName(stage, attributes), kind: STAGES[stage].spanKind, attributes };
}

/** The attribute maps are built once: a plain OpenTelemetry user writes them as literals. */
export function toBareQuery(shape: QueryShape): BareQuery {
  return {
    query: bareSpan('query', shape.query),
    classification: bareSpan('classification', shape.classification),
    schemaContext: bareSpan('schema_context', shape.schemaContext),
    localCall: bareSpan('model_interaction', shape.localCall),
    localError: shape.localError,
    fallback: bareSpan('fallback', shape.fallback),
    apiCall: bareSpan('model_interaction', shape.apiCall),
    selection: bareSpan('response_selection', shape.selection),
    processing: bareSpan('sql_processing', shape.processing),
    execution: bareSpan('execution', shape.execution),
    feedback: bareSpan('user_feedback', { ...shape.feedback, queryId: '0'.repeat(32) }),
  };
}

function start(tracer: Tracer, parent: Context, span: BareSpan): Span {
  // A fresh object per span, as a literal at the call site would be.
  return tracer.startSpan(span.name, { kind: span.kind, attributes: { ...span.attributes } }, parent);
}

/** A stage span naming the model interaction whose SQL it handles. */
function startLinked(
  tracer: Tracer,
  parent: Context,
  span: BareSpan,
  key: string,
  interactionId: string,
): Span {
  return tracer.startSpan(
    span.name,
    { kind: span.kind, attributes: { ...span.attributes, [key]: interactionId } },
    parent,
  );
}

/** Records the same spans with plain OpenTelemetry calls (async like the helpers, so both pay one await). */
// eslint-disable-next-line @typescript-eslint/require-await
export async function recordBare(tracer: Tracer, query: BareQuery): Promise<void> {
  const root = tracer.startSpan(query.query.name, {
    kind: query.query.kind,
    attributes: { ...query.query.attributes },
    root: true,
  });
  const inQuery = trace.setSpan(ROOT_CONTEXT, root);
  start(tracer, inQuery, query.classification).end();
  start(tracer, inQuery, query.schemaContext).end();
  const local = start(tracer, inQuery, query.localCall);
  local.setAttribute(ATTR_ERROR_TYPE, query.localError.name);
  local.recordException(query.localError);
  local.setStatus({ code: SpanStatusCode.ERROR, message: query.localError.message });
  local.end();
  const fallback = start(tracer, inQuery, query.fallback);
  const apiCall = start(tracer, trace.setSpan(ROOT_CONTEXT, fallback), query.apiCall);
  apiCall.end();
  fallback.end();
  const interactionId = apiCall.spanContext().spanId;
  startLinked(tracer, inQuery, query.selection, ATTR_SELECTION_INTERACTION_ID, interactionId).end();
  startLinked(tracer, inQuery, query.processing, ATTR_SQL_INTERACTION_ID, interactionId).end();
  startLinked(tracer, inQuery, query.execution, ATTR_SQL_INTERACTION_ID, interactionId).end();
  root.end();

  const { traceId, spanId } = root.spanContext();
  tracer
    .startSpan(query.feedback.name, {
      kind: query.feedback.kind,
      attributes: { ...query.feedback.attributes, [ATTR_FEEDBACK_QUERY_ID]: traceId },
      links: [{ context: { traceId, spanId, traceFlags: TraceFlags.SAMPLED, isRemote: true } }],
      root: true,
    })
    .end();
}

/**
 * A query trace of exactly `spans` spans, for the cost against spans per trace: the root, then
 * classification, schema context, and model interactions (the API call's prompt and response) for
 * the rest, as an agent that calls the model many times in one request would record.
 */
export async function recordSizedQueryWithHelpers(
  recorder: Recorder,
  shape: QueryShape,
  spans: number,
): Promise<void> {
  const { text, ...context } = shape.query;
  await recorder.recordQuery({ text, context }, (query) => {
    if (spans >= 2) query.classification(shape.classification);
    if (spans >= 3) query.schemaContext(shape.schemaContext);
    for (let i = 3; i < spans; i++) query.modelInteraction(shape.apiCall);
  });
}

/** The spans of `recordSizedQueryWithHelpers` with plain OpenTelemetry calls. */
// eslint-disable-next-line @typescript-eslint/require-await
export async function recordBareSized(tracer: Tracer, query: BareQuery, spans: number): Promise<void> {
  const root = tracer.startSpan(query.query.name, {
    kind: query.query.kind,
    attributes: { ...query.query.attributes },
    root: true,
  });
  const inQuery = trace.setSpan(ROOT_CONTEXT, root);
  if (spans >= 2) start(tracer, inQuery, query.classification).end();
  if (spans >= 3) start(tracer, inQuery, query.schemaContext).end();
  for (let i = 3; i < spans; i++) start(tracer, inQuery, query.apiCall).end();
  root.end();
}
