import type {
  ClassificationFields,
  ExecutionFields,
  FallbackFields,
  ModelInteractionFields,
  ModelSource,
  QueryFields,
  ResponseSelectionFields,
  SchemaContextFields,
  SqlProcessingFields,
} from '@aitdr/conventions';
import type Database from 'better-sqlite3';
import { classifyQuestion } from './classifier.js';
import { executeQuery } from './execution.js';
import type { ResultRow } from './execution.js';
import { executionFailure, fallbackFields, modelCallFailure, processingFailure } from './fallback.js';
import type { CandidateFailure } from './fallback.js';
import { ModelCallError } from './models/sql-model.js';
import type { GenerationResponse, SqlModel } from './models/sql-model.js';
import type { Rng } from './random.js';
import { selectResponse } from './response-selection.js';
import type { Candidate, SelectionOptions } from './response-selection.js';
import { buildSchemaContext } from './schema-context.js';
import type { DatabaseSchema } from './schema-context.js';
import type { SqlParser } from './sql/sql-parser.js';
import { processSql } from './sql/sql-processing.js';

export interface PipelineDependencies {
  /** The sample database, opened read-only. */
  readonly db: Database.Database;
  readonly schema: DatabaseSchema;
  readonly parser: SqlParser;
  readonly apiModel: SqlModel;
  readonly localModel: SqlModel;
  readonly options?: PipelineOptions;
}

export interface PipelineOptions extends SelectionOptions {
  /** Row limit added to queries without one. Default 1000. */
  maxRows?: number;
  /** Rows kept in an execution's result sample. Default 5. */
  sampleRows?: number;
}

/** A stage's attributes and how long it took (measured, except for model calls: simulated). */
export interface TimedStage<F> {
  readonly fields: F;
  readonly durationMs: number;
}

export interface ModelCall extends TimedStage<ModelInteractionFields> {
  readonly source: ModelSource;
  /** Present when the call answered. */
  readonly response?: GenerationResponse;
  /** Present when the call failed. */
  readonly error?: ModelCallError;
}

/**
 * One candidate's SQL taken through processing and, when valid, execution. An attempt that a
 * fallback led to carries that fallback: its span wraps the attempt's stages.
 */
export interface Attempt {
  readonly source: ModelSource;
  readonly fallback?: TimedStage<FallbackFields>;
  /** Absent only when a fallback found no SQL to fall back to. */
  readonly processing?: TimedStage<SqlProcessingFields>;
  readonly execution?: TimedStage<ExecutionFields> & { readonly errorMessage?: string };
}

export interface AnswerOutcome {
  readonly status: 'answered' | 'failed';
  /** Source whose SQL produced the answer (or failed last). */
  readonly source?: ModelSource;
  readonly sql?: string;
  readonly columnNames?: readonly string[];
  readonly rows?: readonly ResultRow[];
  /** Why the question went unanswered. */
  readonly failure?: CandidateFailure;
}

/** Every stage's result for one question, in the order the stages ran. */
export interface AnswerTrace {
  readonly query: QueryFields;
  readonly classification: TimedStage<ClassificationFields>;
  readonly schemaContext: TimedStage<SchemaContextFields>;
  readonly modelCalls: { readonly api: ModelCall; readonly local: ModelCall };
  /** Absent when neither model answered. */
  readonly selection?: TimedStage<ResponseSelectionFields>;
  readonly attempts: readonly Attempt[];
  readonly outcome: AnswerOutcome;
}

function timed<T>(run: () => T): { value: T; durationMs: number } {
  const started = performance.now();
  const value = run();
  return { value, durationMs: performance.now() - started };
}

async function callModel(
  model: SqlModel,
  question: string,
  context: SchemaContextFields,
  rng: Rng,
): Promise<ModelCall> {
  try {
    const response = await model.generate(
      { question, schemaContext: context.contextText ?? '', schemaTables: context.tables ?? [] },
      rng,
    );
    return { source: model.source, fields: response.fields, durationMs: response.latencyMs, response };
  } catch (error) {
    if (!(error instanceof ModelCallError)) throw error;
    return { source: model.source, fields: error.fields, durationMs: error.latencyMs, error };
  }
}

function candidateOf(model: SqlModel, call: ModelCall): Candidate {
  return {
    source: model.source,
    model: model.requestModel,
    ...(call.response ? { sql: call.response.sql } : {}),
    ...(call.error ? { error: call.error } : {}),
  };
}

/**
 * Answers one question through every stage without instrumentation: classify, build the schema
 * context, ask both models, select, then process and execute the selected SQL, falling back to
 * the other model's SQL when a stage fails. The instrumented runner mirrors these steps with
 * spans. `rng` drives the models; the rest is deterministic.
 */
export async function answerQuestion(
  question: string,
  deps: PipelineDependencies,
  rng: Rng,
): Promise<AnswerTrace> {
  const options = deps.options ?? {};
  const classification = timed(() => classifyQuestion(question));
  const schemaContext = timed(() => buildSchemaContext(question, deps.schema));
  const context = schemaContext.value.fields;

  const [apiCall, localCall] = await Promise.all([
    callModel(deps.apiModel, question, context, rng.fork('api')),
    callModel(deps.localModel, question, context, rng.fork('local')),
  ]);
  const candidates = [candidateOf(deps.apiModel, apiCall), candidateOf(deps.localModel, localCall)] as const;
  const selection = timed(() => selectResponse(candidates, deps.parser, options));

  const base = {
    query: { text: question, databaseType: 'sqlite' },
    classification: { fields: classification.value, durationMs: classification.durationMs },
    schemaContext: { fields: context, durationMs: schemaContext.durationMs },
    modelCalls: { api: apiCall, local: localCall },
  };

  const preferred = candidates.find((c) => c.source === (options.preferredSource ?? 'api'))!;
  if (selection.value === undefined) {
    // Neither model answered: the fallback to the other model finds nothing to use.
    const other = candidates.find((c) => c !== preferred)!;
    const failure = modelCallFailure(preferred.error!);
    return {
      ...base,
      attempts: [
        {
          source: other.source,
          fallback: { fields: fallbackFields(preferred, other, failure, false), durationMs: 0 },
        },
      ],
      outcome: { status: 'failed', source: other.source, failure: modelCallFailure(other.error!) },
    };
  }

  const chosen = selection.value;
  const attempts: Attempt[] = [];
  // The candidate each attempt falls back from, and why.
  let pendingFallback: { from: Candidate; failure: CandidateFailure } | undefined =
    chosen.fields.strategy === 'fallback'
      ? { from: preferred, failure: modelCallFailure(preferred.error!) }
      : undefined;
  const queue = [chosen.selected, ...(chosen.alternative ? [chosen.alternative] : [])];
  let outcome: AnswerOutcome | undefined;

  for (const candidate of queue) {
    const processed = timed(() => processSql(candidate.sql!, deps.parser, options));
    const processing = { fields: processed.value.fields, durationMs: processed.durationMs };
    let execution: Attempt['execution'];
    let failure: CandidateFailure | undefined;
    if (processed.value.processedSql === undefined) {
      failure = processingFailure(processed.value);
    } else {
      const result = executeQuery(deps.db, processed.value.processedSql, options);
      execution = {
        fields: result.fields,
        durationMs: result.durationMs,
        ...(result.errorMessage !== undefined ? { errorMessage: result.errorMessage } : {}),
      };
      if (result.rows === undefined) failure = executionFailure(result);
      else {
        outcome = {
          status: 'answered',
          source: candidate.source,
          sql: processed.value.processedSql,
          columnNames: result.fields.columnNames ?? [],
          rows: result.rows,
        };
      }
    }

    const fallback = pendingFallback && {
      fields: fallbackFields(pendingFallback.from, candidate, pendingFallback.failure, failure === undefined),
      durationMs: processing.durationMs + (execution?.durationMs ?? 0),
    };
    attempts.push({
      source: candidate.source,
      processing,
      ...(execution ? { execution } : {}),
      ...(fallback ? { fallback } : {}),
    });
    if (failure === undefined) break;
    outcome = { status: 'failed', source: candidate.source, sql: candidate.sql, failure };
    pendingFallback = { from: candidate, failure };
  }

  return {
    ...base,
    selection: { fields: chosen.fields, durationMs: selection.durationMs },
    attempts,
    outcome: outcome!,
  };
}
