import type { ModelInteractionFields, ModelSource } from '@aitdr/conventions';
import type { Rng } from '../random.js';

/** What a model is asked: the question and the schema context chosen for it. */
export interface GenerationRequest {
  readonly question: string;
  /** The schema text exactly as given to the model. */
  readonly schemaContext: string;
  /** Tables the schema context describes. */
  readonly schemaTables: readonly string[];
}

/** A model's answer. `fields` are the model interaction's attributes. */
export interface GenerationResponse {
  readonly fields: ModelInteractionFields & { readonly generatedSql: string; readonly latencyMs: number };
  readonly sql: string;
  /** Simulated time the call took; the caller decides whether to wait it out. */
  readonly latencyMs: number;
}

/** A text-to-SQL model: the hosted API model or the local one. */
export interface SqlModel {
  readonly source: ModelSource;
  readonly provider: string;
  readonly requestModel: string;
  /**
   * Generates SQL for a question. Rejects with a `ModelCallError` on timeout or provider error;
   * `rng` drives every random choice, so a seeded run is reproducible.
   */
  generate(request: GenerationRequest, rng: Rng): Promise<GenerationResponse>;
}

export type ModelErrorType = 'timeout' | 'rate_limited' | 'server_error';

/** A failed model call. `fields` hold what was recorded of the interaction, `error.type` included. */
export class ModelCallError extends Error {
  override readonly name: string = 'ModelCallError';
  readonly errorType: ModelErrorType;
  readonly source: ModelSource;
  readonly model: string;
  readonly latencyMs: number;
  readonly fields: ModelInteractionFields;

  constructor(message: string, errorType: ModelErrorType, fields: ModelInteractionFields, latencyMs: number) {
    super(message);
    this.errorType = errorType;
    this.source = fields.source;
    this.model = fields.requestModel;
    this.latencyMs = latencyMs;
    this.fields = { ...fields, errorType, latencyMs };
  }
}

/** The model did not answer within its time budget. */
export class ModelTimeoutError extends ModelCallError {
  override readonly name = 'ModelTimeoutError';

  constructor(fields: ModelInteractionFields, timeoutMs: number) {
    super(`${fields.requestModel} did not answer within ${timeoutMs} ms`, 'timeout', fields, timeoutMs);
  }
}

/** The provider refused or failed the request (HTTP 429 or 5xx). */
export class ModelProviderError extends ModelCallError {
  override readonly name = 'ModelProviderError';
  readonly statusCode: number;

  constructor(fields: ModelInteractionFields, statusCode: number, detail: string, latencyMs: number) {
    super(
      `${fields.provider} returned ${statusCode}: ${detail}`,
      statusCode === 429 ? 'rate_limited' : 'server_error',
      fields,
      latencyMs,
    );
    this.statusCode = statusCode;
  }
}
