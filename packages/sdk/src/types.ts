/**
 * Every option type of the SDK, each option with its default. Defaults are applied once, in the
 * constructor or function that takes the options.
 */
import type { Attributes, TimeInput, TracerProvider } from '@opentelemetry/api';
import type {
  BreakerState,
  ClassificationFields,
  ExecutionFields,
  FallbackFields,
  ModelInteractionFields,
  QueryFields,
  RecorderStatus,
  ResponseSelectionFields,
  SchemaContextFields,
  SqlProcessingFields,
  Stage,
  UserFeedbackFields,
} from '@aitdr/conventions';
import type { SpanExporter, SpanProcessor } from '@aitdr/conventions';
import type { Sampler } from './whole-query-sampler.js';
import type { TraceBufferProcessor } from './trace-buffer-processor.js';

// --- Recording modes ------------------------------------------------------------------------

/**
 * How a trace reaches its exporter once its root span ends.
 * - `async`: exported in the background right away; the request path only pays for span creation.
 * - `buffered`: complete traces are batched by count and time, then exported together.
 * - `sync`: the caller awaits the durable write of the trace; it resolves when the rows are
 *   committed (a TraceWriter's `committed` requirement) and rejects with a `RecordingError`.
 */
export type RecordingMode = 'async' | 'buffered' | 'sync';

/** The modes that need nobody to wait: what the processor applies to traces nobody registered. */
export type BackgroundMode = Exclude<RecordingMode, 'sync'>;

// --- TraceBufferProcessor -------------------------------------------------------------------

export interface TraceBufferProcessorOptions {
  /** Receives whole traces. A `TraceWriter` (see @aitdr/conventions) is written through `writeTraces`. */
  exporter: SpanExporter;
  /** Mode of traces no Recorder registered (plain OpenTelemetry spans). Default `async`. */
  mode?: BackgroundMode;
  /** Open traces held at once; the oldest is flushed as it is when a new one would exceed it. Default 1000. */
  maxTraces?: number;
  /** Ended spans held for one open trace; the trace is flushed as it is on reaching it. Default 1000. */
  maxSpansPerTrace?: number;
  /** How long the first held span of an open trace may wait before the trace is flushed as it is. Default 300000 (5 min). */
  maxTraceAgeMillis?: number;
  /** Spans waiting for the exporter; past it background spans are dropped (counted, reported once). Default 8192. */
  maxQueueSize?: number;
  /** Most spans handed to the exporter in one call when background traces are waiting. Default 1024. */
  maxExportBatchSize?: number;
  /**
   * How long background traces wait for more to join them in one export call, up to
   * `maxExportBatchSize` spans (committed writes and flushes never wait). Larger requests cost
   * less per span, above all to a collector. Default 0; `createRecorder` uses 200 for a collector
   * and 100 for a store.
   */
  exportLingerMillis?: number;
  /** Buffered mode: complete traces gathered before one export. Default 64. */
  batchSize?: number;
  /** Buffered mode: longest a complete trace waits for its batch to fill. Default 5000. */
  batchDelayMillis?: number;
  /** How long one export call may take before it counts as failed. Default 30000. */
  exportTimeoutMillis?: number;
  /** How long `forceFlush` waits for the exports it started. Default 30000. */
  forceFlushTimeoutMillis?: number;
  /** How long `shutdown` waits for the exports before shutting the exporter down. Default 30000. */
  shutdownTimeoutMillis?: number;
  /** Redaction applied to copies of the spans before export. Default: none (off). */
  redaction?: RedactionOptions;
}

/** Why part of a trace was exported before its local root ended. */
export type IncompleteFlushReason = 'maxTraces' | 'maxSpansPerTrace' | 'maxAge' | 'forceFlush' | 'shutdown';

/** What the processor did since it started, and what it holds now. */
export interface ProcessorCounters {
  /** Open traces with ended spans waiting for their root. */
  readonly tracesHeld: number;
  /** Spans held in memory: open traces, the buffered batch and the export queue. */
  readonly spansHeld: number;
  /** Traces whose local root ended and that were handed on for export. */
  readonly tracesCompleted: number;
  /** Spans the exporter accepted. */
  readonly spansExported: number;
  /** Export calls that failed or timed out. */
  readonly exportFailures: number;
  /** Partial traces exported because a bound was reached or a flush was asked for. */
  readonly incompleteFlushes: number;
  readonly incompleteFlushesByReason: Readonly<Record<IncompleteFlushReason, number>>;
  /** Spans lost because the export queue was full. */
  readonly spansDropped: number;
  /** Spans that ended after shutdown began; ignored. */
  readonly spansEndedAfterShutdown: number;
  /**
   * Stage spans with a value at the provider's attribute length limit (an app's provider with
   * limits cut it before the processor saw it); warned about once. The recorder's own provider has none.
   */
  readonly spansTruncated: number;
}

/** Health of the whole recording path: the processor's counters and the writer's own status. */
export interface SystemStatus {
  /** Not shut down, and the writer is healthy (for a plain exporter: its last export succeeded). */
  readonly healthy: boolean;
  /** The writer's circuit breaker; absent when the exporter is not a TraceWriter. */
  readonly breaker?: BreakerState;
  readonly shutDown: boolean;
  readonly processor: ProcessorCounters;
  /** The TraceWriter's status when the exporter is one (the table exporter is). */
  readonly writer?: RecorderStatus;
  readonly lastError?: { readonly message: string; readonly at: string };
}

// --- Redaction ------------------------------------------------------------------------------

/** Built-in rules: e-mail addresses, phone numbers, long digit runs (card and account numbers). */
export type RedactionRule = 'email' | 'phone' | 'digits';

export interface RedactionPattern {
  readonly pattern: RegExp;
  /** Default `[REDACTED]`. */
  readonly replacement?: string;
}

/** What happens to `user.name`. */
export type UsernameHandling = 'keep' | 'hash' | 'drop';

export interface RedactionOptions {
  /** Built-in rules applied to the redacted texts. Default all: `['email', 'phone', 'digits']`. */
  rules?: readonly RedactionRule[];
  /** Extra patterns, applied after the built-in rules (a pattern without the `g` flag gets it). Default none. */
  patterns?: readonly (RegExp | RedactionPattern)[];
  /** Also redact SQL: generated, original, processed, executed and corrected SQL. Default false. */
  sql?: boolean;
  /** `keep`, `hash` (sha256 hex of salt + name) or `drop`. Default `keep`. */
  usernames?: UsernameHandling;
  /** Salt prepended before hashing usernames. Default empty. */
  usernameSalt?: string;
  /** Your own rule, applied last to every redacted text. Default none. */
  custom?: (text: string, attribute: RedactedAttribute) => string;
}

/** Which attribute a custom redaction function is looking at. */
export interface RedactedAttribute {
  readonly key: string;
  readonly stage: Stage | undefined;
}

// --- Recorder -------------------------------------------------------------------------------

/**
 * Who asks, from where, on what: the recording context of the seed system. Set it once on the
 * recorder and per query; per-query values win.
 */
export type RecordingContext = Omit<QueryFields, 'text' | 'errorType'>;

export interface RecorderOptions {
  /** Provider whose tracer records; `processor` must be one of its span processors. */
  tracerProvider: TracerProvider;
  /** The TraceBufferProcessor on that provider: it exports the traces and reports status. */
  processor: TraceBufferProcessor;
  /** Default mode of queries and feedback. Default `async`. */
  mode?: RecordingMode;
  /** Context every query starts with. Default none. */
  context?: RecordingContext;
  /** Instrumentation scope name of the recorder's tracer. Default `@aitdr/sdk`. */
  tracerName?: string;
  /** The recorder owns the provider: its forceFlush and shutdown then cover the whole provider (createRecorder sets it). Default false. */
  ownsTracerProvider?: boolean;
  /**
   * Where the recorder's span times come from when a helper is given none: start and end times,
   * and the times of recorded errors. For simulations and replays, whose stages happen at times of
   * their own; return epoch milliseconds, a Date or an HrTime. Default: OpenTelemetry's clock.
   */
  clock?: () => TimeInput;
}

/** Options of a stage recorded around a callback. */
export interface StageOptions {
  /** Default: now. */
  startTime?: TimeInput;
  /** Extra attributes with no field of their own; kept in the row's ATTRIBUTES column. Default none. */
  attributes?: Attributes;
}

/** Options of a stage recorded at once, without a callback. */
export interface StageRecordOptions extends StageOptions {
  /** Default: now. */
  endTime?: TimeInput;
  /** An error the stage ended with, recorded as a thrown one would be. Default none. */
  error?: unknown;
}

export interface QueryInput {
  /** The user's question. */
  text: string;
  /** Merged over the recorder's context. */
  context?: RecordingContext;
  startTime?: TimeInput;
  attributes?: Attributes;
}

export interface QueryOptions {
  /** Overrides the recorder's mode for this query. */
  mode?: RecordingMode;
}

/** The IDs of a recorded query: what an app hands to its UI and later to feedback. */
export interface QueryRecord {
  /** The trace ID of the query's root span (32 lower-case hex). */
  readonly queryId: string;
  /** The root span's ID (16 hex): lets feedback link to the exact span. */
  readonly rootSpanId: string;
}

export interface QueryOutcome<T> extends QueryRecord {
  /** What the query callback returned. */
  readonly result: T;
}

/** A stage recorded at once (no callback): its span ID, for references such as `interactionId`. */
export interface RecordedStage {
  readonly spanId: string;
}

/**
 * Feedback on an earlier query, possibly from another process. `rootSpanId` (from the
 * QueryRecord) adds a span link to the query's root; with the query ID alone only the
 * `text_to_sql.feedback.query_id` attribute ties them, which is all the exporter needs.
 */
export interface FeedbackInput extends UserFeedbackFields {
  rootSpanId?: string;
  startTime?: TimeInput;
  attributes?: Attributes;
}

export interface FeedbackOptions {
  /** Overrides the recorder's mode for this feedback. */
  mode?: RecordingMode;
}

export interface FeedbackRecord {
  /** Span ID of the feedback span: FEEDBACK_ID. */
  readonly feedbackId: string;
  /** Trace ID of the feedback's own trace: FEEDBACK_TRACE_ID. */
  readonly feedbackTraceId: string;
  readonly queryId: string;
}

// --- Recording a finished flow from plain data ----------------------------------------------

/** An error a stage of a finished flow ended with. */
export interface FlowFailure {
  /** Becomes `error.type`. */
  type: string;
  message?: string;
}

/** Timing and outcome of one stage of a finished flow; times are dates, epoch milliseconds, HrTime or ISO text. */
export interface FlowTiming {
  startTime?: TimeInput | string;
  endTime?: TimeInput | string;
  failure?: FlowFailure;
  attributes?: Attributes;
}

export type FlowModelInteraction = ModelInteractionFields &
  FlowTiming & {
    /** A name other stages use to refer to this interaction (`selectedRef`, `interactionRef`). */
    ref?: string;
  };

export interface ProcessingFlow {
  query: FlowTiming & { text: string; context?: RecordingContext };
  classification?: ClassificationFields & FlowTiming;
  schemaContext?: SchemaContextFields & FlowTiming;
  modelInteractions?: readonly FlowModelInteraction[];
  responseSelection?: ResponseSelectionFields & FlowTiming & { selectedRef?: string };
  sqlProcessing?: readonly (SqlProcessingFields & FlowTiming & { interactionRef?: string })[];
  executions?: readonly (ExecutionFields & FlowTiming & { interactionRef?: string })[];
  /** Each fallback may carry the replacement model interaction, recorded as its child. */
  fallbacks?: readonly (FallbackFields & FlowTiming & { modelInteraction?: FlowModelInteraction })[];
}

// --- One-call set-up ------------------------------------------------------------------------

/**
 * What the SDK hands `createTableExporter` of @aitdr/exporter (whose own options type is
 * `TableExporterOptions`): declared here so the SDK does not import the exporter.
 */
export interface TableExporterSetupOptions {
  /** `sqlite:./training.db`, `postgres://…`, `oracle://…`, or a connection options object. */
  store: string | object;
  /**
   * Directory of the exporter's durable state: its spool, parked feedback and dead letters
   * (`AITDR_STATE_DIR`). Default: the exporter's, `./.aitdr/<dialect>-<hash>` under the working
   * directory.
   */
  stateDirectory?: string;
  /** @deprecated Renamed `stateDirectory`; read until the next release. */
  spoolDirectory?: string;
  [option: string]: unknown;
}

/** @deprecated Renamed `TableExporterSetupOptions` (the exporter has its own `TableExporterOptions`); removed in the next release. */
export type TableExporterOptions = TableExporterSetupOptions;

/** Builds the table exporter; @aitdr/exporter's `createTableExporter` unless injected. */
export type TableExporterFactory = (
  options: TableExporterSetupOptions,
) => SpanExporter | Promise<SpanExporter>;

/** The OTLP encodings over HTTP; `http/protobuf` is the specification's default. */
export type OtlpProtocol = 'http/protobuf' | 'http/json';

export interface OtlpDestination {
  /** Default: the OTLP exporter's own (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, `OTEL_EXPORTER_OTLP_ENDPOINT`, else `http://localhost:4318/v1/traces`). */
  url?: string;
  /** Default: from `OTEL_EXPORTER_OTLP_HEADERS`. */
  headers?: Record<string, string>;
  /** Default 10000. */
  timeoutMillis?: number;
  /** Default: `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, else `OTEL_EXPORTER_OTLP_PROTOCOL`, else `http/protobuf`. */
  protocol?: OtlpProtocol;
}

export interface SetupOptions {
  /** Store the traces in-process through @aitdr/exporter: a store URL or connection options. */
  store?: string | object;
  /** Further options for the table exporter (`stateDirectory`, …). Default none. */
  storeOptions?: Omit<TableExporterSetupOptions, 'store'>;
  /** Send the traces to the collector with the standard OTLP/HTTP exporter; `true` takes every setting from `OTEL_EXPORTER_OTLP_*`. */
  collector?: true | OtlpDestination;
  /** Any other exporter (one of `store`, `collector`, `exporter` is required). */
  exporter?: SpanExporter;
  /** Also send every span to Jaeger (OTLP/HTTP) through a standard BatchSpanProcessor, for viewing; `true` means `http://localhost:4318/v1/traces`. Default off. */
  jaeger?: true | OtlpDestination;
  /** Resource `service.name`. Default: `OTEL_SERVICE_NAME`, else OpenTelemetry's `unknown_service:…`. */
  serviceName?: string;
  serviceVersion?: string;
  /** Resource attributes, merged over the default and environment resource. */
  resource?: Attributes;
  /**
   * Decides which queries are recorded; wrapped so a query is recorded whole and feedback follows
   * its query. Default: from `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG`, else `parentbased_always_on`.
   */
  sampler?: Sampler;
  /** Record nothing (the app's callbacks still run). Default: `OTEL_SDK_DISABLED=true`. */
  disabled?: boolean;
  /** Default mode of queries, feedback and plain traces. Default `async`. */
  mode?: RecordingMode;
  context?: RecordingContext;
  /** Where span times come from when none is given (see RecorderOptions). Default: OpenTelemetry's clock. */
  clock?: () => TimeInput;
  /** Redaction before export (our processor and Jaeger). Default off. */
  redaction?: RedactionOptions;
  /** Bounds and timings of the TraceBufferProcessor. Defaults as in TraceBufferProcessorOptions. */
  buffer?: Omit<TraceBufferProcessorOptions, 'exporter' | 'mode' | 'redaction'>;
  /** More span processors for the provider, after ours. Default none. */
  spanProcessors?: SpanProcessor[];
  /** Make this the global tracer provider and install an AsyncLocalStorage context manager. Default false. */
  registerGlobal?: boolean;
  /** Builds the table exporter instead of loading @aitdr/exporter (tests, bundlers). */
  tableExporterFactory?: TableExporterFactory;
}
