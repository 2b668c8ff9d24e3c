import type { SpanRecord } from '@aitdr/conventions';
import type { OtlpEncoding } from '../otlp/encode-response.js';

/** One request's valid spans, with its decompressed body so it can be journaled as received. */
export interface IntakeRequest {
  readonly encoding: OtlpEncoding;
  readonly body: Buffer;
  readonly spans: readonly SpanRecord[];
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

export type Checks = Readonly<Record<string, { readonly ok: boolean; readonly detail?: string }>>;

/**
 * What `/ready` (and the gRPC health service) reports: whether this instance can accept and keep
 * data. A store outage alone does not make it unready: the spool keeps traces until the store is
 * back, and a balancer that took every instance out during an outage would lose them instead.
 */
export interface Readiness {
  readonly ready: boolean;
  readonly checks: Checks;
}

/** What `/health` reports besides liveness: the state of what the collector writes to. */
export interface Health {
  /** True when the store takes writes now; false while traces wait on the spool. */
  readonly storeHealthy: boolean;
  readonly checks: Checks;
}
