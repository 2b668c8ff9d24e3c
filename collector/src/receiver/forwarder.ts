/**
 * Forwards received trace requests, unchanged, to another OTLP/HTTP endpoint (Jaeger's 4318 during
 * development). It never blocks or fails the store path: requests over the in-flight bound are
 * skipped, failures are counted, and nothing is retried.
 */
import { CONTENT_TYPES } from '../otlp/encode-response.js';
import type { OtlpEncoding } from '../otlp/encode-response.js';
import type { CollectorMetrics } from './metrics.js';

export interface ForwarderOptions {
  /** Base URL (`http://localhost:4318`, `/v1/traces` is appended) or the full traces URL. */
  readonly endpoint: string;
  /** Requests forwarded at once; more are skipped and counted. Default 16. */
  readonly maxInFlight?: number;
  /** Per-request timeout. Default 5000 ms. */
  readonly timeoutMs?: number;
}

/** What a forwarder did so far: requests forwarded (2xx), failed, skipped (queue full), and why the last one failed. */
export interface ForwardingStatus {
  readonly url: string;
  readonly forwarded: number;
  readonly failed: number;
  readonly skipped: number;
  readonly lastFailure?: string;
}

export function tracesUrl(endpoint: string): string {
  const url = new URL(endpoint);
  if (url.pathname === '' || url.pathname === '/') url.pathname = '/v1/traces';
  return url.toString();
}

export class Forwarder {
  readonly url: string;
  private readonly maxInFlight: number;
  private readonly timeoutMs: number;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly counts = { forwarded: 0, failed: 0, skipped: 0 };
  private lastFailure: string | undefined;

  constructor(
    options: ForwarderOptions,
    private readonly metrics: CollectorMetrics,
  ) {
    this.url = tracesUrl(options.endpoint);
    this.maxInFlight = options.maxInFlight ?? 16;
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  forward(encoding: OtlpEncoding, body: Buffer): void {
    if (this.inFlight.size >= this.maxInFlight) {
      this.metrics.forwarded.inc({ outcome: 'skipped' });
      this.counts.skipped += 1;
      return;
    }
    const sending = this.send(encoding, body).finally(() => this.inFlight.delete(sending));
    this.inFlight.add(sending);
  }

  private async send(encoding: OtlpEncoding, body: Buffer): Promise<void> {
    try {
      const response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': CONTENT_TYPES[encoding] },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await response.arrayBuffer();
      this.metrics.forwarded.inc({ outcome: response.ok ? 'ok' : 'failed' });
      if (response.ok) this.counts.forwarded += 1;
      else this.failed(`HTTP ${response.status}`);
    } catch (error) {
      this.metrics.forwarded.inc({ outcome: 'failed' });
      this.failed(describeFailure(error));
    }
  }

  private failed(reason: string): void {
    this.counts.failed += 1;
    this.lastFailure = reason;
  }

  status(): ForwardingStatus {
    return { url: this.url, ...this.counts, ...(this.lastFailure ? { lastFailure: this.lastFailure } : {}) };
  }

  /** Waits for requests under way (each is bounded by the timeout). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }
}

/** fetch says "fetch failed"; the reason (ECONNREFUSED, a timeout) is in its cause. */
function describeFailure(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const detail = cause?.code ?? cause?.message;
  const message = error instanceof Error ? error.message : String(error);
  return detail ? `${message}: ${detail}` : message;
}
