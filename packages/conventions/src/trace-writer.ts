/**
 * The contract between what records traces (the SDK's processor, the collector) and what stores
 * them (the table exporter). Declared here, beside the attribute contract, so neither side
 * imports the other.
 */
import type { ReadableSpan } from './otel-sdk.js';
import { settleResources, toSpanRecord } from './span-record.js';
import type { SpanRecord } from './span-record.js';

/**
 * How far a write must get before it counts.
 * - `accepted`: the traces are committed to the store, or kept durably (on the on-disk spool for
 *   replay, parked until their query arrives, or in the dead-letter store); nothing is lost.
 * - `committed`: the traces' rows are committed to the store; anything less is an error.
 */
export type WriteRequirement = 'accepted' | 'committed';

export interface WriteOptions {
  /** Default `accepted`. */
  readonly require?: WriteRequirement;
}

/** Where the traces of one write ended up (counts of traces). */
export interface TraceWriteResult {
  readonly committed: number;
  /** Kept on the durable spool; replayed when the store recovers. */
  readonly spooled: number;
  /** Feedback whose query is not stored yet; retried, then dead-lettered with the reason. */
  readonly parked: number;
  /** Refused by the store for their data; kept in the dead-letter store with the database error. */
  readonly deadLettered: number;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

/** Counters since start, in traces. */
export interface RecorderCounters {
  readonly received: number;
  readonly written: number;
  readonly retried: number;
  readonly spooled: number;
  readonly replayed: number;
  readonly parked: number;
  readonly deadLettered: number;
  /** Lost for good: only when every bound (memory, spool) was exhausted. */
  readonly dropped: number;
}

/** Health of a writer, for the SDK's system status and the collector's readiness. */
export interface RecorderStatus {
  /** The store is reachable and the breaker is not open. */
  readonly healthy: boolean;
  readonly breaker: BreakerState;
  readonly spool: {
    readonly bytes: number;
    readonly traces: number;
    readonly capacityBytes: number;
  };
  readonly lastError?: { readonly message: string; readonly at: string };
  readonly counters: RecorderCounters;
}

/** Stores whole traces. Implemented by the table exporter. */
export interface TraceWriter {
  /**
   * Writes the spans of one or more traces (grouped by trace ID inside), as span records (an SDK's
   * `ReadableSpan`s adapted by `writeSdkSpans`). Resolves when every
   * trace has met the requirement; rejects with a `RecordingError` when one cannot. A rejection
   * under `committed` does not mean loss: the trace is still spooled, parked or dead-lettered.
   */
  writeTraces(spans: readonly SpanRecord[], options?: WriteOptions): Promise<TraceWriteResult>;
  status(): RecorderStatus;
}

/**
 * One trace whose span records are made only when the writer needs them (the collector keeps a
 * trace as its spans' wire bytes): records held from hand-over to commit outlived the young
 * generation and were copied and promoted, while made at the write they die young.
 */
export interface DeferredTrace {
  readonly traceId: string;
  /** The trace's span records (all of `traceId`): called whenever the writer needs them, the same each time. */
  spans(): SpanRecord[];
}

/** A `TraceWriter` that can also take a trace as a `DeferredTrace` (the table exporter does). */
export interface DeferredTraceWriter extends TraceWriter {
  /** Writes one trace as `writeTraces` would write its records, making them when needed. */
  writeDeferredTrace(trace: DeferredTrace, options?: WriteOptions): Promise<TraceWriteResult>;
}

/**
 * Writes an SDK's spans to a writer as span records: adapted at once when no resource is still
 * resolving (so a write begun before a shutdown is one the shutdown waits for), else once their
 * resources have settled, as the SDK's own exporters wait for them.
 */
export function writeSdkSpans(
  writer: TraceWriter,
  spans: readonly ReadableSpan[],
  options?: WriteOptions,
): Promise<TraceWriteResult> {
  if (!spans.some((span) => span.resource.asyncAttributesPending))
    return writer.writeTraces(spans.map(toSpanRecord), options);
  return settleResources(spans).then(() => writer.writeTraces(spans.map(toSpanRecord), options));
}

export type RecordingErrorCode =
  'STORE_UNAVAILABLE' | 'SPOOL_FULL' | 'DEAD_LETTERED' | 'PARKED' | 'SHUT_DOWN' | 'TIMEOUT';

/** Base of every error the recorder reports; `code` says which. */
export class RecordingError extends Error {
  readonly code: RecordingErrorCode;

  constructor(code: RecordingErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The store cannot be reached (breaker open, retries exhausted) and the write needed it. */
export class StoreUnavailableError extends RecordingError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('STORE_UNAVAILABLE', message, options);
  }
}

/** The store is down and the spool is at its byte limit: the traces could not be kept. */
export class SpoolFullError extends RecordingError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SPOOL_FULL', message, options);
  }
}
