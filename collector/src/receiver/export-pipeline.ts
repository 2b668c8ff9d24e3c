/**
 * The one trace-export pipeline behind every transport (OTLP/HTTP and OTLP/gRPC): check the bearer
 * token, decode, count, hand the spans to the intake (durable before the answer), forward; and the
 * one table that turns each kind of failure into the HTTP status and the gRPC code the OTLP
 * specification asks for. Transports only read bytes and write answers.
 */
import { timingSafeEqual } from 'node:crypto';
import { MalformedRequestError, rejectionMessage } from '../otlp/decode-result.js';
import { scanTraceRequest } from '../otlp/decode-trace-request.js';
import { RPC_CODES } from '../otlp/encode-response.js';
import type { OtlpEncoding, PartialSuccess } from '../otlp/encode-response.js';
import type { Forwarder } from './forwarder.js';
import type { CollectorMetrics } from './metrics.js';
import { BodyTooLargeError, CorruptBodyError, UnsupportedEncodingError } from './read-body.js';
import { BackpressureError } from '../assembler/intake-port.js';
import type { TraceIntake } from '../assembler/intake-port.js';

/** Why an export request was not acknowledged, independent of the transport. */
export type ExportFailureKind =
  | 'invalid-argument'
  | 'unsupported-media-type'
  | 'too-large'
  | 'unauthenticated'
  | 'busy'
  | 'unavailable'
  | 'internal';

/**
 * Each kind's answer on each transport. Busy and unavailable are the OTLP "retryable" answers and
 * carry a retry hint (Retry-After, RetryInfo); invalid data is never retried.
 */
export const FAILURE_STATUS: Readonly<
  Record<ExportFailureKind, { readonly http: number; readonly grpc: number }>
> = {
  'invalid-argument': { http: 400, grpc: RPC_CODES.invalidArgument },
  'unsupported-media-type': { http: 415, grpc: RPC_CODES.invalidArgument },
  'too-large': { http: 413, grpc: RPC_CODES.resourceExhausted },
  unauthenticated: { http: 401, grpc: RPC_CODES.unauthenticated },
  busy: { http: 429, grpc: RPC_CODES.resourceExhausted },
  unavailable: { http: 503, grpc: RPC_CODES.unavailable },
  internal: { http: 500, grpc: RPC_CODES.internal },
};

export class ExportFailure extends Error {
  constructor(
    readonly kind: ExportFailureKind,
    message: string,
    /** Set for busy and unavailable: how long the client should wait before it retries. */
    readonly retryAfterSeconds?: number,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

/** The failure any error thrown while receiving stands for. */
export function exportFailureOf(error: unknown): ExportFailure {
  if (error instanceof ExportFailure) return error;
  if (error instanceof MalformedRequestError || error instanceof CorruptBodyError)
    return new ExportFailure('invalid-argument', error.message);
  if (error instanceof BodyTooLargeError) return new ExportFailure('too-large', error.message);
  if (error instanceof UnsupportedEncodingError)
    return new ExportFailure('unsupported-media-type', error.message);
  if (error instanceof BackpressureError) {
    const kind = error.status === 429 ? 'busy' : 'unavailable';
    return new ExportFailure(kind, error.message, error.retryAfterSeconds, error);
  }
  return new ExportFailure('internal', 'internal error while accepting traces', undefined, error);
}

export interface ExportPipelineParts {
  readonly intake: TraceIntake;
  readonly metrics: CollectorMetrics;
  readonly forwarder?: Forwarder;
  /** When set, requests must carry `authorization: Bearer <token>` (HTTP header or gRPC metadata). */
  readonly token?: string;
}

export interface ExportOutcome {
  /** Set when some spans were rejected as invalid and the rest accepted. */
  readonly partialSuccess?: PartialSuccess;
  readonly reasons: readonly string[];
}

export class ExportPipeline {
  constructor(private readonly parts: ExportPipelineParts) {}

  /** Throws an `unauthenticated` failure unless the token is not required or matches. */
  authenticate(authorization: string | undefined): void {
    const { token } = this.parts;
    if (token === undefined) return;
    const match = /^Bearer\s+(.+)$/i.exec(authorization ?? '');
    const given = Buffer.from(match?.[1]?.trim() ?? '');
    const expected = Buffer.from(token);
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw new ExportFailure('unauthenticated', 'missing or wrong bearer token');
  }

  /**
   * Decodes a request and hands its valid spans to the intake. Resolves once they are durable:
   * only then may the transport acknowledge. Throws what `exportFailureOf` classifies.
   */
  async export(encoding: OtlpEncoding, body: Buffer): Promise<ExportOutcome> {
    const { intake, metrics, forwarder } = this.parts;
    const decoded = scanTraceRequest(encoding, body);
    metrics.spansReceived.inc(decoded.spans.length);
    metrics.spansRejected.inc(decoded.rejected);
    if (decoded.spans.length > 0) await intake.accept({ encoding, body, spans: decoded.spans });
    metrics.spansAccepted.inc(decoded.spans.length);
    forwarder?.forward(encoding, body);
    return decoded.rejected > 0
      ? {
          partialSuccess: { rejectedSpans: decoded.rejected, errorMessage: rejectionMessage(decoded) },
          reasons: decoded.reasons,
        }
      : { reasons: [] };
  }
}
