import type { FallbackFields } from '@aitdr/conventions';
import type { ExecutionResult } from './execution.js';
import type { ModelCallError } from './models/sql-model.js';
import type { Candidate } from './response-selection.js';
import type { SqlProcessingResult } from './sql/sql-processing.js';

export type FallbackReason = 'timeout' | 'model_error' | 'invalid_sql' | 'execution_error' | 'rate_limited';

/** Why a candidate could not answer, and at which stage. */
export interface CandidateFailure {
  readonly stage: 'model_interaction' | 'sql_processing' | 'execution';
  readonly reason: FallbackReason;
  readonly error: string;
}

export function modelCallFailure(error: ModelCallError): CandidateFailure {
  const reason: FallbackReason =
    error.errorType === 'timeout'
      ? 'timeout'
      : error.errorType === 'rate_limited'
        ? 'rate_limited'
        : 'model_error';
  return { stage: 'model_interaction', reason, error: error.message };
}

/** A candidate whose SQL validation refused: invalid SQL, whether a syntax error or a policy refusal. */
export function processingFailure(result: SqlProcessingResult): CandidateFailure {
  return {
    stage: 'sql_processing',
    reason: 'invalid_sql',
    error: (result.fields.validationErrors ?? ['invalid SQL']).join('; '),
  };
}

export function executionFailure(result: ExecutionResult): CandidateFailure {
  return {
    stage: 'execution',
    reason: 'execution_error',
    error: `${result.fields.errorCode ?? 'error'}: ${result.errorMessage ?? 'execution failed'}`,
  };
}

/**
 * The fallback from a failed candidate to the other model's. `succeeded` says whether the
 * replacement produced a usable answer (it ran without error).
 */
export function fallbackFields(
  from: Candidate,
  to: Candidate,
  failure: CandidateFailure,
  succeeded: boolean,
): FallbackFields {
  return {
    fromSource: from.source,
    toSource: to.source,
    fromModel: from.model,
    toModel: to.model,
    reason: failure.reason,
    triggerStage: failure.stage,
    error: failure.error,
    succeeded,
    ...(succeeded ? {} : { errorType: 'fallback_failed' }),
  };
}
