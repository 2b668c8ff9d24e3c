/**
 * Steady OTLP/HTTP load on a collector from the test process: a few clients, each posting one
 * whole trace (query root + classification, protobuf) per request at a fixed pace. It records
 * what the collector answered, so a test can hold the tables to "stored = acknowledged".
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { protobufBody, queryTrace } from '@aitdr/collector/test/support/spans.js';

export interface LoadOptions {
  /** The collector's base URL; a function when it changes (a restarted collector gets a new port). */
  readonly url: string | (() => string);
  readonly clients: number;
  /** Traces per second over all clients. */
  readonly tracesPerSecond: number;
  readonly token?: string;
  /** A request not answered by then counts as uncertain. Default 10000. */
  readonly requestTimeoutMs?: number;
  readonly makeTrace?: (n: number) => ReadableSpan[];
}

export interface LoadReport {
  /** Trace IDs answered 200: the collector promised to keep them. */
  readonly acknowledged: Set<string>;
  /** Trace IDs sent without an answer (connection refused or cut, timeout): kept or not. */
  readonly uncertain: Set<string>;
  /** Requests by HTTP status. */
  readonly statuses: Map<number, number>;
  /** Retry-After values of refusals (429/503), as sent. */
  readonly retryAfter: Set<string>;
  /** Milliseconds from request to 200, per acknowledged request. */
  readonly latenciesMs: number[];
  readonly sent: number;
  /** Requests answered with this status. */
  count(status: number): number;
}

export class OtlpLoad implements LoadReport {
  readonly acknowledged = new Set<string>();
  readonly uncertain = new Set<string>();
  readonly statuses = new Map<number, number>();
  readonly retryAfter = new Set<string>();
  readonly latenciesMs: number[] = [];
  sent = 0;
  private stopping = false;
  private readonly clients: Promise<void>[];

  private constructor(private readonly options: LoadOptions) {
    this.clients = Array.from({ length: options.clients }, () => this.client());
  }

  static start(options: LoadOptions): OtlpLoad {
    return new OtlpLoad(options);
  }

  count(status: number): number {
    return this.statuses.get(status) ?? 0;
  }

  /** Stops sending and waits for the requests under way. */
  async stop(): Promise<LoadReport> {
    this.stopping = true;
    await Promise.all(this.clients);
    return this;
  }

  private async client(): Promise<void> {
    const interval = (1000 * this.options.clients) / this.options.tracesPerSecond;
    // Clients start spread over one interval, so requests do not arrive in bursts.
    let next = performance.now() + Math.random() * interval;
    while (!this.stopping) {
      const wait = next - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      // A client that fell behind (a slow answer) resumes the pace rather than catching up in a burst.
      next = Math.max(next + interval, performance.now());
      if (this.stopping) break;
      await this.send();
    }
  }

  private async send(): Promise<void> {
    const {
      url,
      token,
      requestTimeoutMs = 10_000,
      makeTrace = (n) => queryTrace(`question ${n}`),
    } = this.options;
    const trace = makeTrace(this.sent++);
    const traceId = trace[0]!.spanContext().traceId;
    const started = performance.now();
    try {
      const response = await fetch(`${typeof url === 'string' ? url : url()}/v1/traces`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-protobuf',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: protobufBody(trace),
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
      await response.arrayBuffer();
      this.statuses.set(response.status, this.count(response.status) + 1);
      if (response.status === 200) {
        this.acknowledged.add(traceId);
        this.latenciesMs.push(performance.now() - started);
      }
      const retryAfter = response.headers.get('retry-after');
      if (retryAfter !== null) this.retryAfter.add(retryAfter);
    } catch {
      this.uncertain.add(traceId);
    }
  }
}
