/**
 * The demo's text-to-SQL pipeline, instrumented through the SDK only: the stages of
 * `answerQuestion` (@aitdr/demo), each recorded as a span of the query while it runs. Both models
 * are asked at once, each call its own span. A fallback turns to the other model: to its SQL when
 * it answered, else to a new call made inside the fallback span (the conventions' replacement
 * interaction, a child of the fallback); the fallback span covers the validation and execution of
 * what it fell back to. Each model's answer is tried at most once.
 */
import type { ModelSource } from '@aitdr/conventions';
import {
  buildSchemaContext,
  classifyQuestion,
  executeQuery,
  executionFailure,
  fallbackFields,
  ModelCallError,
  modelCallFailure,
  processingFailure,
  processSql,
  selectResponse,
} from '@aitdr/demo';
import type {
  Candidate,
  CandidateFailure,
  GenerationRequest,
  PipelineDependencies,
  ResultRow,
  Rng,
  SqlModel,
} from '@aitdr/demo';
import type { QueryScope, StageRecorder } from '@aitdr/sdk';
import type { DemoClock } from './demo-clock.js';

/** How one question ended. */
export interface DemoAnswer {
  readonly status: 'answered' | 'failed';
  /** Source whose SQL answered (or failed last). */
  readonly source?: ModelSource;
  /** The model's SQL that answered. */
  readonly sql?: string;
  readonly rows?: readonly ResultRow[];
  /** Fallbacks that fired for this question. */
  readonly fallbacks: number;
  readonly failure?: CandidateFailure;
}

/** A model's answer (or failure) and the span that recorded the call. */
type RecordedCandidate = Candidate & { readonly interactionId: string };

type AttemptResult =
  | { readonly ok: true; readonly rows: readonly ResultRow[] }
  | { readonly ok: false; readonly failure: CandidateFailure };

const otherSource = (source: ModelSource): ModelSource => (source === 'api' ? 'local' : 'api');

/** Runs inside `recorder.recordQuery(…, (query) => answerWithRecording(query, …))`. */
export async function answerWithRecording(
  query: QueryScope,
  question: string,
  deps: PipelineDependencies,
  rng: Rng,
  clock: DemoClock,
): Promise<DemoAnswer> {
  const options = deps.options ?? {};
  const models: Record<ModelSource, SqlModel> = { api: deps.apiModel, local: deps.localModel };

  query.classification({}, (stage) => {
    stage.set(classifyQuestion(question));
  });
  const context = query.schemaContext({}, (stage) => {
    const built = buildSchemaContext(question, deps.schema).fields;
    stage.set(built);
    return built;
  });
  const request: GenerationRequest = {
    question,
    schemaContext: context.contextText,
    schemaTables: context.tables,
  };

  // Both models at once: each call is its own span, from the same start to its own latency.
  const asked = clock.now();
  const [api, local] = await Promise.all([
    recordModelCall(query, models.api, request, rng.fork('api'), asked),
    recordModelCall(query, models.local, request, rng.fork('local'), asked),
  ]);
  await clock.wait(Math.max(api.latencyMs, local.latencyMs));
  const candidates: Record<ModelSource, RecordedCandidate> = { api: api.candidate, local: local.candidate };

  const selecting = clock.now();
  const selection = selectResponse([candidates.api, candidates.local], deps.parser, options);
  if (selection !== undefined) {
    query.responseSelection(
      { ...selection.fields, selectedInteractionId: candidates[selection.selected.source].interactionId },
      { startTime: selecting },
    );
  }

  const preferred = options.preferredSource ?? 'api';
  // Neither answered, or the preferred model failed: the first attempt is already a fallback.
  let target: ModelSource = selection?.selected.source ?? otherSource(preferred);
  let pending: { from: ModelSource; failure: CandidateFailure } | undefined =
    selection === undefined || selection.fields.strategy === 'fallback'
      ? { from: preferred, failure: modelCallFailure(candidates[preferred].error!) }
      : undefined;
  const tried = new Set<ModelSource>();
  let fallbacks = 0;

  for (;;) {
    tried.add(target);
    let result: AttemptResult;
    if (pending === undefined) {
      result = attempt(query, candidates[target], deps);
    } else {
      fallbacks += 1;
      const from = candidates[pending.from];
      const { failure } = pending;
      const to = target;
      result = await query.fallback(
        { fromSource: from.source, toSource: to, fromModel: from.model, toModel: models[to].requestModel },
        async (fallback) => {
          if (candidates[to].sql === undefined) {
            // That model has not answered: ask it again, inside the fallback span.
            const retried = await recordModelCall(
              fallback,
              models[to],
              request,
              rng.fork(`retry-${to}`),
              clock.now(),
            );
            await clock.wait(retried.latencyMs);
            candidates[to] = retried.candidate;
            if (selection === undefined && retried.candidate.sql !== undefined) {
              fallback.responseSelection({
                selectedSource: to,
                strategy: 'fallback',
                reason: `neither model answered at first; the ${to} model answered when asked again`,
                selectedInteractionId: retried.candidate.interactionId,
                sqlAgreement: false,
              });
            }
          }
          const outcome: AttemptResult =
            candidates[to].sql === undefined
              ? { ok: false, failure: modelCallFailure(candidates[to].error!) }
              : attempt(fallback, candidates[to], deps);
          fallback.set(fallbackFields(from, candidates[to], failure, outcome.ok));
          return outcome;
        },
      );
    }

    if (result.ok) {
      return {
        status: 'answered',
        source: target,
        sql: candidates[target].sql!,
        rows: result.rows,
        fallbacks,
      };
    }
    const next = otherSource(target);
    if (tried.has(next)) {
      query.recordError({ name: result.failure.reason, message: result.failure.error });
      return {
        status: 'failed',
        source: target,
        ...(candidates[target].sql === undefined ? {} : { sql: candidates[target].sql }),
        fallbacks,
        failure: result.failure,
      };
    }
    pending = { from: target, failure: result.failure };
    target = next;
  }
}

/**
 * Asks a model and records the call as a span from `startTime` to `startTime` plus the latency
 * the model reports (the stand-ins do not wait; the caller lets the time pass).
 */
async function recordModelCall(
  scope: StageRecorder,
  model: SqlModel,
  request: GenerationRequest,
  rng: Rng,
  startTime: number,
): Promise<{ candidate: RecordedCandidate; latencyMs: number }> {
  try {
    const response = await model.generate(request, rng);
    const { spanId } = scope.modelInteraction(response.fields, {
      startTime,
      endTime: startTime + response.latencyMs,
    });
    return {
      candidate: {
        source: model.source,
        model: model.requestModel,
        sql: response.sql,
        interactionId: spanId,
      },
      latencyMs: response.latencyMs,
    };
  } catch (error) {
    if (!(error instanceof ModelCallError)) throw error;
    const { spanId } = scope.modelInteraction(error.fields, {
      startTime,
      endTime: startTime + error.latencyMs,
      error,
    });
    return {
      candidate: { source: model.source, model: model.requestModel, error, interactionId: spanId },
      latencyMs: error.latencyMs,
    };
  }
}

/** Validates one candidate's SQL and, when valid, runs it: the stages as children of `scope`. */
function attempt(
  scope: StageRecorder,
  candidate: RecordedCandidate,
  deps: PipelineDependencies,
): AttemptResult {
  const options = deps.options ?? {};
  const interactionId = candidate.interactionId;
  const processed = scope.sqlProcessing({ interactionId }, (stage) => {
    const result = processSql(candidate.sql!, deps.parser, options);
    stage.set(result.fields);
    if (result.processedSql === undefined) {
      stage.recordError({
        name: result.fields.errorType ?? 'invalid_sql',
        message: (result.fields.validationErrors ?? []).join('; '),
      });
    }
    return result;
  });
  if (processed.processedSql === undefined) return { ok: false, failure: processingFailure(processed) };

  const sql = processed.processedSql;
  const executed = scope.execution({ interactionId, queryText: sql }, (stage) => {
    const result = executeQuery(deps.db, sql, options);
    stage.set(result.fields);
    if (result.errorMessage !== undefined) {
      stage.recordError({ name: result.fields.errorCode ?? 'SQLITE_ERROR', message: result.errorMessage });
    }
    return result;
  });
  return executed.rows === undefined
    ? { ok: false, failure: executionFailure(executed) }
    : { ok: true, rows: executed.rows };
}
