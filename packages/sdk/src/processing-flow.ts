/**
 * Records a pipeline run that has already finished, described by a plain object (the seed
 * system's "record a whole processing flow"), with the stages' real times when they are given.
 */
import { diag, trace } from '@opentelemetry/api';
import type { Span, TimeInput } from '@opentelemetry/api';
import type { QueryScope } from './recorder.js';
import type { ChildStage, StageSpans } from './stage-scope.js';
import type { StageFields } from '@aitdr/conventions';
import type {
  FlowFailure,
  FlowModelInteraction,
  FlowTiming,
  ProcessingFlow,
  QueryInput,
  QueryRecord,
} from './types.js';
import { activeContext } from './tracer-context.js';

export function recordProcessingFlow(
  flow: ProcessingFlow,
  startQuery: (input: QueryInput) => QueryScope,
  spans: StageSpans,
): Promise<QueryRecord> {
  const stages = (
    [
      flow.classification,
      flow.schemaContext,
      ...(flow.modelInteractions ?? []),
      ...(flow.fallbacks ?? []).flatMap((fallback) => [fallback, fallback.modelInteraction]),
      flow.responseSelection,
      ...(flow.sqlProcessing ?? []),
      ...(flow.executions ?? []),
    ] as (FlowTiming | undefined)[]
  ).filter((stage): stage is FlowTiming => stage !== undefined);

  // The root spans its stages unless the flow says otherwise.
  const rootStart = toTime(flow.query.startTime) ?? earliest(stages.map((stage) => toTime(stage.startTime)));
  const rootEnd =
    toTime(flow.query.endTime) ??
    latest(stages.flatMap((stage) => [toTime(stage.startTime), toTime(stage.endTime)]));

  const query = startQuery({
    text: flow.query.text,
    ...(flow.query.context === undefined ? {} : { context: flow.query.context }),
    ...(rootStart === undefined ? {} : { startTime: rootStart }),
    ...(flow.query.attributes === undefined ? {} : { attributes: flow.query.attributes }),
  });

  /** A stage without times sits at the start of the root; without an end time it takes no time. */
  const record = <S extends ChildStage>(parent: Span, stage: S, item: StageFields<S> & FlowTiming): Span => {
    const startTime = toTime(item.startTime) ?? rootStart;
    const endTime = toTime(item.endTime) ?? startTime;
    const scope = spans.start(stage, item, {
      parent: trace.setSpan(activeContext(), parent),
      ...(startTime === undefined ? {} : { startTime }),
      ...(item.attributes === undefined ? {} : { attributes: item.attributes }),
    });
    if (item.failure !== undefined) scope.recordError(toError(item.failure));
    scope.finish(endTime);
    return scope.span;
  };

  const interactionIds = new Map<string, string>();
  const recordInteraction = (parent: Span, interaction: FlowModelInteraction): void => {
    const span = record(parent, 'model_interaction', interaction);
    if (interaction.ref !== undefined) interactionIds.set(interaction.ref, span.spanContext().spanId);
  };
  /** The span ID a `ref` names, unless the stage already gives one. */
  const resolve = (ref: string | undefined, given: string | undefined): string | undefined => {
    if (given !== undefined || ref === undefined) return given;
    const spanId = interactionIds.get(ref);
    if (spanId === undefined) diag.warn(`@aitdr/sdk: flow refers to unknown model interaction ${ref}`);
    return spanId;
  };

  const root = query.span;
  if (flow.classification !== undefined) record(root, 'classification', flow.classification);
  if (flow.schemaContext !== undefined) record(root, 'schema_context', flow.schemaContext);
  for (const interaction of flow.modelInteractions ?? []) recordInteraction(root, interaction);
  for (const { modelInteraction, ...fallback } of flow.fallbacks ?? []) {
    // The fallback span covers the replacement interaction, so that one is its child.
    const fallbackSpan = record(root, 'fallback', fallback);
    if (modelInteraction !== undefined) recordInteraction(fallbackSpan, modelInteraction);
  }
  if (flow.responseSelection !== undefined) {
    const { selectedRef, ...selection } = flow.responseSelection;
    const selectedInteractionId = resolve(selectedRef, selection.selectedInteractionId);
    record(root, 'response_selection', { ...selection, ...definedOnly({ selectedInteractionId }) });
  }
  for (const { interactionRef, ...processing } of flow.sqlProcessing ?? []) {
    const interactionId = resolve(interactionRef, processing.interactionId);
    record(root, 'sql_processing', { ...processing, ...definedOnly({ interactionId }) });
  }
  for (const { interactionRef, ...execution } of flow.executions ?? []) {
    const interactionId = resolve(interactionRef, execution.interactionId);
    record(root, 'execution', { ...execution, ...definedOnly({ interactionId }) });
  }

  if (flow.query.failure !== undefined) query.recordError(toError(flow.query.failure));
  return query.end(rootEnd);
}

function definedOnly<T extends Record<string, unknown>>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>;
}

function toError(failure: FlowFailure): { name: string; message: string } {
  return { name: failure.type, message: failure.message ?? failure.type };
}

/** Dates, epoch milliseconds and HrTime pass through; ISO text becomes a Date. */
function toTime(value: TimeInput | string | undefined): TimeInput | undefined {
  if (typeof value !== 'string') return value;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    diag.warn(`@aitdr/sdk: flow time ${JSON.stringify(value)} is not a date; using the default`);
    return undefined;
  }
  return date;
}

function earliest(times: readonly (TimeInput | undefined)[]): TimeInput | undefined {
  return pick(times, (candidate, best) => candidate < best);
}

function latest(times: readonly (TimeInput | undefined)[]): TimeInput | undefined {
  return pick(times, (candidate, best) => candidate > best);
}

function pick(
  times: readonly (TimeInput | undefined)[],
  better: (candidate: number, best: number) => boolean,
): TimeInput | undefined {
  let best: { time: TimeInput; millis: number } | undefined;
  for (const time of times) {
    if (time === undefined) continue;
    const millis = epochMillis(time);
    if (best === undefined || better(millis, best.millis)) best = { time, millis };
  }
  return best?.time;
}

/**
 * A span time in epoch milliseconds, read as the SDK reads it: a number below the process's time
 * origin is `performance.now()`-relative. (Core's helper would tie the SDK to one OpenTelemetry line.)
 */
function epochMillis(time: TimeInput): number {
  if (time instanceof Date) return time.getTime();
  if (typeof time === 'number') return time < performance.timeOrigin ? performance.timeOrigin + time : time;
  return time[0] * 1000 + time[1] / 1e6;
}
