/**
 * Attribute keys. OpenTelemetry semantic-convention keys are reused wherever one exists
 * (gen_ai.*, db.*, error.type, session.id, user.*); everything specific to a text-to-SQL
 * pipeline lives in the single project namespace `text_to_sql.`.
 */

/** Project namespace: every project-specific key starts with it. */
export const NAMESPACE = 'text_to_sql';

// --- Stage identity -------------------------------------------------------------------------
/** Names the pipeline stage a span records; the exporter maps spans by it, not by span name. */
export const ATTR_STAGE = 'text_to_sql.stage';

// --- OpenTelemetry semantic conventions -----------------------------------------------------
export const ATTR_ERROR_TYPE = 'error.type';
export const ATTR_SESSION_ID = 'session.id';
export const ATTR_USER_ID = 'user.id';
export const ATTR_USER_NAME = 'user.name';
export const ATTR_SERVICE_NAME = 'service.name';
export const ATTR_SERVICE_VERSION = 'service.version';

export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
export const ATTR_GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
export const ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
export const ATTR_GEN_AI_REQUEST_TEMPERATURE = 'gen_ai.request.temperature';
export const ATTR_GEN_AI_REQUEST_MAX_TOKENS = 'gen_ai.request.max_tokens';
export const ATTR_GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model';
export const ATTR_GEN_AI_RESPONSE_ID = 'gen_ai.response.id';
export const ATTR_GEN_AI_RESPONSE_FINISH_REASONS = 'gen_ai.response.finish_reasons';
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
export const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';
export const ATTR_GEN_AI_INPUT_MESSAGES = 'gen_ai.input.messages';
export const ATTR_GEN_AI_OUTPUT_MESSAGES = 'gen_ai.output.messages';

export const ATTR_DB_SYSTEM_NAME = 'db.system.name';
export const ATTR_DB_NAMESPACE = 'db.namespace';
export const ATTR_DB_QUERY_TEXT = 'db.query.text';
export const ATTR_DB_OPERATION_NAME = 'db.operation.name';
export const ATTR_DB_RESPONSE_STATUS_CODE = 'db.response.status_code';
export const ATTR_DB_RESPONSE_RETURNED_ROWS = 'db.response.returned_rows';

// --- Query (root span) ----------------------------------------------------------------------
export const ATTR_QUERY_TEXT = 'text_to_sql.query.text';
export const ATTR_QUERY_DATABASE_TYPE = 'text_to_sql.query.database_type';
export const ATTR_QUERY_MODE = 'text_to_sql.query.mode';
export const ATTR_CLIENT_INFO = 'text_to_sql.client.info';

// --- Classification -------------------------------------------------------------------------
export const ATTR_CLASSIFICATION_CATEGORY = 'text_to_sql.classification.category';
export const ATTR_CLASSIFICATION_CONFIDENCE = 'text_to_sql.classification.confidence';
export const ATTR_CLASSIFICATION_COMPLEXITY = 'text_to_sql.classification.complexity';
export const ATTR_CLASSIFICATION_CLASSIFIER = 'text_to_sql.classification.classifier';

// --- Schema context -------------------------------------------------------------------------
export const ATTR_SCHEMA_CONTEXT_RETRIEVAL_METHOD = 'text_to_sql.schema_context.retrieval_method';
export const ATTR_SCHEMA_CONTEXT_TABLES = 'text_to_sql.schema_context.tables';
export const ATTR_SCHEMA_CONTEXT_TEXT = 'text_to_sql.schema_context.text';
export const ATTR_SCHEMA_CONTEXT_TOKEN_COUNT = 'text_to_sql.schema_context.token_count';

// --- Model interaction ----------------------------------------------------------------------
export const ATTR_MODEL_SOURCE = 'text_to_sql.model.source';
export const ATTR_MODEL_GENERATED_SQL = 'text_to_sql.model.generated_sql';
export const ATTR_MODEL_LATENCY_MS = 'text_to_sql.model.latency_ms';

// --- Response selection ---------------------------------------------------------------------
export const ATTR_SELECTION_INTERACTION_ID = 'text_to_sql.selection.interaction_id';
export const ATTR_SELECTION_SOURCE = 'text_to_sql.selection.source';
export const ATTR_SELECTION_STRATEGY = 'text_to_sql.selection.strategy';
export const ATTR_SELECTION_REASON = 'text_to_sql.selection.reason';
export const ATTR_SELECTION_CANDIDATE_SCORES = 'text_to_sql.selection.candidate_scores';
export const ATTR_SELECTION_SQL_AGREEMENT = 'text_to_sql.selection.sql_agreement';

// --- SQL processing -------------------------------------------------------------------------
export const ATTR_SQL_ORIGINAL = 'text_to_sql.sql.original';
export const ATTR_SQL_PROCESSED = 'text_to_sql.sql.processed';
export const ATTR_SQL_TRANSFORMATIONS = 'text_to_sql.sql.transformations';
/** Span ID of the model interaction whose SQL a processing or execution span handles. */
export const ATTR_SQL_INTERACTION_ID = 'text_to_sql.sql.interaction_id';
export const ATTR_VALIDATION_IS_VALID = 'text_to_sql.validation.is_valid';
export const ATTR_VALIDATION_ERRORS = 'text_to_sql.validation.errors';
export const ATTR_VALIDATION_BLOCKED_BY_POLICY = 'text_to_sql.validation.blocked_by_policy';

// --- Execution ------------------------------------------------------------------------------
export const ATTR_EXECUTION_SUCCESS = 'text_to_sql.execution.success';
export const ATTR_EXECUTION_COLUMN_NAMES = 'text_to_sql.execution.column_names';
export const ATTR_EXECUTION_RESULT_SAMPLE = 'text_to_sql.execution.result_sample';

// --- Fallback -------------------------------------------------------------------------------
export const ATTR_FALLBACK_FROM_SOURCE = 'text_to_sql.fallback.from_source';
export const ATTR_FALLBACK_FROM_MODEL = 'text_to_sql.fallback.from_model';
export const ATTR_FALLBACK_TO_SOURCE = 'text_to_sql.fallback.to_source';
export const ATTR_FALLBACK_TO_MODEL = 'text_to_sql.fallback.to_model';
export const ATTR_FALLBACK_TRIGGER_STAGE = 'text_to_sql.fallback.trigger_stage';
export const ATTR_FALLBACK_REASON = 'text_to_sql.fallback.reason';
export const ATTR_FALLBACK_ERROR = 'text_to_sql.fallback.error';
export const ATTR_FALLBACK_SUCCEEDED = 'text_to_sql.fallback.succeeded';

// --- User feedback --------------------------------------------------------------------------
/** The query ID (the query's trace ID) a feedback trace refers to. */
export const ATTR_FEEDBACK_QUERY_ID = 'text_to_sql.feedback.query_id';
export const ATTR_FEEDBACK_RATING = 'text_to_sql.feedback.rating';
export const ATTR_FEEDBACK_IS_CORRECT = 'text_to_sql.feedback.is_correct';
export const ATTR_FEEDBACK_CORRECTED_SQL = 'text_to_sql.feedback.corrected_sql';
export const ATTR_FEEDBACK_COMMENT = 'text_to_sql.feedback.comment';
export const ATTR_FEEDBACK_SUBMITTED_AT = 'text_to_sql.feedback.submitted_at';

// --- Log records carried as span events -----------------------------------------------------
/** The body of a log record (an OTLP log attached to its span as an event): a string as is, else JSON text. */
export const ATTR_LOG_BODY = 'aitdr.log.body';

// --- Recognition (set by the exporter, kept in a row's ATTRIBUTES) ---------------------------
/** Span IDs of every instrumentation-library span recognised into a row (a JSON array; SOURCE_SPAN_ID is the first). */
export const ATTR_RECOGNITION_SPAN_IDS = 'text_to_sql.recognition.span_ids';
/** The attribute families those spans were read with (a JSON array: `gen_ai`, `openinference`, …). */
export const ATTR_RECOGNITION_FAMILIES = 'text_to_sql.recognition.families';
