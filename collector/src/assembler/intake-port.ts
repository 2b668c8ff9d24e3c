/**
 * The intake port: what the receivers (OTLP/HTTP, OTLP/gRPC) hand accepted spans to, and what
 * the assembler behind it reports. Declared beside the assembler, which implements it, so the
 * core depends on nothing of the transports.
 */
import type { OtlpEncoding } from '../otlp/encode-response.js';
import type { IntakeSpans } from '../otlp/decode-trace-request.js';
import type { SpanLogEvent } from '../otlp/logs-decode.js';

/**
 * One request's valid spans, with its decompressed body so it can be journaled as received. The
 * spans are records, or (protobuf) the request's spans as bytes, validated, decoded when written.
 */
export interface IntakeRequest {
  readonly encoding: OtlpEncoding;
  readonly body: Buffer;
  readonly spans: IntakeSpans;
}

/**
 * Where the receiver hands accepted spans. `accept` resolves only once the spans are durable
 * (journaled or stored): the receiver acknowledges after that, so a crash after a 200 loses
 * nothing.
 */
export interface TraceIntake {
  accept(request: IntakeRequest): Promise<void>;
}

/**
 * The collector cannot keep more now. 503 when it cannot store at all (store down and spool
 * full, journal unwritable), 429 when it is only busy; both carry Retry-After so standard OTLP
 * clients back off and retry.
 */
export class BackpressureError extends Error {
  constructor(
    readonly status: 429 | 503,
    readonly retryAfterSeconds: number,
    message: string,
  ) {
    super(message);
  }
}

/** What the assembler holds now, for the metrics. */
export interface HeldTraces {
  readonly traces: number;
  readonly spans: number;
  /** Traces handed to the writer and not yet accepted by it (committed, spooled, …). */
  readonly pendingTraces: number;
  /** Their spans. */
  readonly pendingSpans: number;
  /** Traces released incomplete because a bound was reached or their root never came. */
  readonly releasedIncomplete: number;
  /** Held spans left out when their trace was written: their bytes could not be decoded then. */
  readonly undecodableSpans: number;
}

/** One logs request's span events, with its decompressed body so it can be journaled as received. */
export interface LogsIntakeRequest {
  readonly encoding: OtlpEncoding;
  /** The decompressed body, journaled as received. */
  readonly body: Buffer;
  readonly events: readonly SpanLogEvent[];
}

/** Where the receiver hands log records that name a span; resolves once they are durable. */
export interface LogsIntake {
  acceptLogs(request: LogsIntakeRequest): Promise<void>;
  /** Events added to their span before it was written, and those that could not be. */
  logEventCounts(): { readonly attached: number; readonly unattached: number };
}

export function isLogsIntake(intake: object): intake is LogsIntake {
  return typeof (intake as Partial<LogsIntake>).acceptLogs === 'function';
}
