/**
 * One application process sending traces to the collector over OTLP/HTTP protobuf, built to cost
 * little: it records its traces first (typed helpers, in memory), encodes them into request bodies
 * of `batchSpans` spans with the official exporter's protobuf serializer (the bytes
 * `@opentelemetry/exporter-trace-otlp-proto` would send), says `ready`, and on `go` only POSTs
 * those bodies, `inFlight` requests at a time, over keep-alive connections (otlp-post.ts). Every
 * trace has IDs of its own (recorded, not copied), so nothing is patched at send time. Reports what
 * it sent, what failed, its CPU time while sending, and the CPU the encoding took in set-up.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { protobufBody } from '../../../collector/test/support/spans.js';
import { childArgument, tellParent } from '../harness/child-process.js';
import { readQueryShapes } from '../workload/realistic-queries.js';
import { recordTraceStream } from '../workload/trace-stream.js';
import { OtlpPoster } from './otlp-post.js';

export interface OtlpClientOptions {
  readonly url: string;
  readonly shapesFile: string;
  readonly queries: number;
  readonly batchSpans: number;
  readonly inFlight: number;
  readonly name: string;
  /** Query traces of this many spans and no feedback (see trace-stream.ts); absent: the usual queries. */
  readonly spansPerTrace?: number;
}

export type OtlpClientMessage =
  | {
      type: 'ready';
      queryTraces: number;
      feedbackTraces: number;
      spans: number;
      /** CPU the protobuf encoding took, before `go` (what an exporter would pay at send time). */
      encodeCpuMs: number;
      wireBytes: number;
    }
  | {
      type: 'done';
      requests: number;
      failedRequests: number;
      failedSpans: number;
      /** Requests sent again after a refusal (429/502/503/504) or a connection error. */
      retries: number;
      elapsedMs: number;
      cpuMs: number;
      lastError?: string;
    };

const options = childArgument<OtlpClientOptions>();
const stream = await recordTraceStream(readQueryShapes(options.shapesFile), options.queries, {
  serviceName: options.name,
  ...(options.spansPerTrace === undefined ? {} : { spansPerTrace: options.spansPerTrace }),
});
const encodeCpu = process.cpuUsage();
const batches: { body: Buffer; spans: number }[] = [];
for (let i = 0; i < stream.spans.length; i += options.batchSpans) {
  const spans: ReadableSpan[] = stream.spans.slice(i, i + options.batchSpans);
  batches.push({ body: protobufBody(spans), spans: spans.length });
}
const encodeUsed = process.cpuUsage(encodeCpu);
const poster = new OtlpPoster(`${options.url}/v1/traces`, options.inFlight);
tellParent({
  type: 'ready',
  queryTraces: stream.queryTraces,
  feedbackTraces: stream.feedbackTraces,
  spans: stream.spans.length,
  encodeCpuMs: (encodeUsed.user + encodeUsed.system) / 1000,
  wireBytes: batches.reduce((sum, b) => sum + b.body.byteLength, 0),
});

process.once('message', () => {
  void (async () => {
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    let next = 0;
    let failedRequests = 0;
    let failedSpans = 0;
    let retries = 0;
    let lastError: string | undefined;
    const lane = async () => {
      while (next < batches.length) {
        const batch = batches[next++]!;
        const result = await poster.post(batch.body);
        retries += result.retries;
        if (result.error !== undefined) {
          failedRequests += 1;
          failedSpans += batch.spans;
          lastError = result.error;
        }
      }
    };
    await Promise.all(Array.from({ length: options.inFlight }, lane));
    const cpu = process.cpuUsage(cpuBefore);
    tellParent({
      type: 'done',
      requests: batches.length,
      failedRequests,
      failedSpans,
      retries,
      elapsedMs: performance.now() - started,
      cpuMs: (cpu.user + cpu.system) / 1000,
      ...(lastError === undefined ? {} : { lastError }),
    });
    poster.close();
    process.disconnect();
  })();
});
