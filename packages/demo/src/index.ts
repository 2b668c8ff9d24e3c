export { createRng, DEFAULT_SEED } from './random.js';
export type { Rng } from './random.js';
export {
  createSampleDatabase,
  openSampleDatabase,
  DEFAULT_END_DATE,
  DEFAULT_HISTORY_DAYS,
} from './sample-database/create-sample-database.js';
export type {
  SampleDatabaseOptions,
  SampleDatabaseSummary,
} from './sample-database/create-sample-database.js';
export { MANUFACTURING_DDL, SAMPLE_TABLES } from './sample-database/manufacturing-schema.js';
export type { SampleTable } from './sample-database/manufacturing-schema.js';
export {
  DEMO_QUESTIONS,
  QUESTION_CATEGORIES,
  COMPLEXITIES,
  findQuestion,
  normalizeQuestion,
} from './questions.js';
export type { DemoQuestion, QuestionCategory, Complexity } from './questions.js';
export { classifyQuestion, CLASSIFIER_NAME, UNKNOWN_CATEGORY } from './classifier.js';
export type { ClassificationResult } from './classifier.js';
export { readDatabaseSchema, buildSchemaContext, renderSchemaContext } from './schema-context.js';
export type {
  ColumnInfo,
  TableInfo,
  DatabaseSchema,
  SchemaContext,
  SchemaContextOptions,
} from './schema-context.js';
export { estimateTokens } from './tokens.js';
export { loadSqlParser } from './sql/sql-parser.js';
export type { SqlParser, SqlStatementAst } from './sql/sql-parser.js';
export { processSql, DEFAULT_MAX_ROWS } from './sql/sql-processing.js';
export type { SqlProcessingOptions, SqlProcessingResult } from './sql/sql-processing.js';
export { normalizeSql } from './sql/sql-normalizer.js';
export { splitStatements } from './sql/sql-text.js';
export { ModelCallError, ModelTimeoutError, ModelProviderError } from './models/sql-model.js';
export type { SqlModel, GenerationRequest, GenerationResponse, ModelErrorType } from './models/sql-model.js';
export {
  ModelStandIn,
  ApiModelStandIn,
  LocalModelStandIn,
  API_MODEL_STAND_IN_PROFILE,
  LOCAL_MODEL_STAND_IN_PROFILE,
  STAND_IN_BEHAVIOURS,
  closestQuestion,
} from './models/model-stand-in.js';
export type { StandInProfile, StandInBehaviour, StandInResponse } from './models/model-stand-in.js';
export {
  SYSTEM_INSTRUCTIONS,
  systemPrompt,
  inputMessagesJson,
  outputMessagesJson,
  extractSql,
} from './models/prompt.js';
export { selectResponse } from './response-selection.js';
export type { Candidate, Selection, SelectionOptions, SelectionStrategy } from './response-selection.js';
export { executeQuery } from './execution.js';
export type { ExecutionOptions, ExecutionResult, ResultRow } from './execution.js';
export { fallbackFields, modelCallFailure, processingFailure, executionFailure } from './fallback.js';
export type { CandidateFailure, FallbackReason } from './fallback.js';
export { referenceRows, sameResult, judgeAnswer, simulateFeedback } from './feedback.js';
export type { AnswerJudgement, SimulatedFeedback, FeedbackOptions } from './feedback.js';
export { answerQuestion } from './answer-question.js';
export type {
  PipelineDependencies,
  PipelineOptions,
  TimedStage,
  ModelCall,
  Attempt,
  AnswerOutcome,
  AnswerTrace,
} from './answer-question.js';
