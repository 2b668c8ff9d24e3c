export { TraceBufferProcessor } from './trace-buffer-processor.js';
export { SpanRedactor, RedactingSpanExporter } from './redaction.js';
export { isTraceWriter } from './export-spans.js';
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
} from './types.js';
