/**
 * A cheap OTLP/HTTP sender for load generation: POSTs request bodies encoded beforehand (the
 * official exporter's protobuf serializer, run during set-up), over keep-alive connections. The
 * OpenTelemetry Collector's testbed pre-generates its load the same way, so that the process
 * sending costs a small fraction of the collector it measures: serializing spans at send time
 * cost the clients about a quarter of the collector's CPU per trace, on the same two cores.
 * Refusals the official exporter retries (429, 502, 503, 504) are retried here too, after
 * `Retry-After` (capped) or a short backoff; each retry is counted.
 */
import { Agent, request } from 'node:http';

export interface PostResult {
  /** Undefined when the body was accepted (2xx), else the last status or error. */
  readonly error?: string;
  readonly retries: number;
}

const RETRYABLE = new Set([429, 502, 503, 504]);
const MAX_ATTEMPTS = 8;

export class OtlpPoster {
  private readonly agent: Agent;
  private readonly url: URL;

  constructor(url: string, maxSockets: number) {
    this.url = new URL(url);
    this.agent = new Agent({ keepAlive: true, maxSockets });
  }

  private once(body: Uint8Array): Promise<{ status: number; retryAfterMs?: number }> {
    return new Promise((resolve, reject) => {
      const outgoing = request(
        this.url,
        {
          method: 'POST',
          agent: this.agent,
          headers: { 'content-type': 'application/x-protobuf', 'content-length': body.byteLength },
          timeout: 60_000,
        },
        (response) => {
          response.resume();
          response.once('end', () => {
            const retryAfter = Number(response.headers['retry-after']);
            resolve({
              status: response.statusCode ?? 0,
              ...(Number.isFinite(retryAfter) ? { retryAfterMs: retryAfter * 1000 } : {}),
            });
          });
        },
      );
      outgoing.once('error', reject);
      outgoing.once('timeout', () => outgoing.destroy(new Error('request timed out')));
      outgoing.end(body);
    });
  }

  async post(body: Uint8Array): Promise<PostResult> {
    let error = 'not sent';
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      let waitMs = Math.min(5000, 100 * 2 ** attempt);
      try {
        const { status, retryAfterMs } = await this.once(body);
        if (status >= 200 && status < 300) return { retries: attempt };
        error = `HTTP ${status}`;
        if (!RETRYABLE.has(status)) return { error, retries: attempt };
        if (retryAfterMs !== undefined) waitMs = Math.min(5000, retryAfterMs);
      } catch (cause) {
        error = cause instanceof Error ? cause.message : String(cause);
      }
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
    return { error, retries: MAX_ATTEMPTS - 1 };
  }

  close(): void {
    this.agent.destroy();
  }
}
