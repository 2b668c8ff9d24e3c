export { Recorder } from './recorder.js';
export type { QueryScope } from './recorder.js';
export type { ChildStage, StageMethod, StageRecorder, StageScope } from './stage-scope.js';
export { TraceBufferProcessor } from './trace-buffer-processor.js';
export { SpanRedactor, RedactingSpanExporter } from './redaction.js';
export { isTraceWriter } from './export-spans.js';
export { createRecorder, DEFAULT_JAEGER_URL, MissingPackageError } from './setup.js';
export { WholeQuerySampler } from './whole-query-sampler.js';
export type { Sampler, SamplingResult } from './whole-query-sampler.js';
export { recorderOptionsFromEnv } from './env.js';
export type {
  RecordingMode,
  BackgroundMode,
  TraceBufferProcessorOptions,
  IncompleteFlushReason,
  ProcessorCounters,
  SystemStatus,
  RedactionRule,
  RedactionPattern,
  UsernameHandling,
  RedactionOptions,
  RedactedAttribute,
  RecordingContext,
  RecorderOptions,
  StageOptions,
  StageRecordOptions,
  QueryInput,
  QueryOptions,
  QueryRecord,
  QueryOutcome,
  RecordedStage,
  FeedbackInput,
  FeedbackOptions,
  FeedbackRecord,
  FlowFailure,
  FlowTiming,
  FlowModelInteraction,
  ProcessingFlow,
  TableExporterSetupOptions,
  TableExporterOptions,
  TableExporterFactory,
  OtlpDestination,
  OtlpProtocol,
  SetupOptions,
} from './types.js';
