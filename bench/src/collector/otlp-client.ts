/**
 * One application process sending traces to the collector through the official OTLP/HTTP
 * protobuf exporter. It records its traces first (typed helpers, in memory), says `ready`, and
 * on `go` exports them in batches of `batchSpans` spans, `inFlight` requests at a time (the
 * exporter serializes each batch then). Reports what it sent, what failed and its CPU time.
 */
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { childArgument, tellParent } from '../harness/child-process.js';
import { readQueryShapes } from '../workload/realistic-queries.js';
import { recordTraceStream } from '../workload/trace-stream.js';

export interface OtlpClientOptions {
  readonly url: string;
  readonly shapesFile: string;
  readonly queries: number;
  readonly batchSpans: number;
  readonly inFlight: number;
  readonly name: string;
}

export type OtlpClientMessage =
  | { type: 'ready'; queryTraces: number; feedbackTraces: number; spans: number }
  | {
      type: 'done';
      requests: number;
      failedRequests: number;
      failedSpans: number;
      elapsedMs: number;
      cpuMs: number;
      lastError?: string;
    };

const options = childArgument<OtlpClientOptions>();
const stream = await recordTraceStream(readQueryShapes(options.shapesFile), options.queries, {
  serviceName: options.name,
});
const batches: ReadableSpan[][] = [];
for (let i = 0; i < stream.spans.length; i += options.batchSpans) {
  batches.push(stream.spans.slice(i, i + options.batchSpans));
}
const exporter = new OTLPTraceExporter({ url: `${options.url}/v1/traces`, timeoutMillis: 60_000 });
tellParent({
  type: 'ready',
  queryTraces: stream.queryTraces,
  feedbackTraces: stream.feedbackTraces,
  spans: stream.spans.length,
});

function exportBatch(spans: ReadableSpan[]): Promise<string | undefined> {
  return new Promise((resolve) =>
    exporter.export(spans, (result) =>
      resolve(result.code === ExportResultCode.SUCCESS ? undefined : (result.error?.message ?? 'failed')),
    ),
  );
}

process.once('message', () => {
  void (async () => {
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    let next = 0;
    let failedRequests = 0;
    let failedSpans = 0;
    let lastError: string | undefined;
    const lane = async () => {
      while (next < batches.length) {
        const batch = batches[next++]!;
        const error = await exportBatch(batch);
        if (error !== undefined) {
          failedRequests += 1;
          failedSpans += batch.length;
          lastError = error;
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
      elapsedMs: performance.now() - started,
      cpuMs: (cpu.user + cpu.system) / 1000,
      ...(lastError === undefined ? {} : { lastError }),
    });
    await exporter.shutdown();
    process.disconnect();
  })();
});
