/**
 * Load for the memory benchmark, from a process of its own. Traces are recorded query traces
 * under new trace IDs.
 * - `open`: `traces` traces of which only `spansPerTrace` stage spans are sent, never the root,
 *   as fast as the collector takes them: one request body of 512 spans encoded once with the
 *   official exporter's serializer, each request a copy under fresh trace IDs (encoded-batch.ts),
 *   POSTed two at a time (otlp-post.ts);
 * - `steady`: whole traces at `tracesPerSecond` until told to stop, one request every 100 ms,
 *   through the official OTLP/HTTP protobuf exporter (see retrace.ts): refused requests are
 *   counted, not retried beyond what the exporter itself does.
 */
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { childArgument, tellParent } from '../harness/child-process.js';
import { EncodedBatch } from '../workload/encoded-batch.js';
import { readQueryShapes } from '../workload/realistic-queries.js';
import { isRootSpan, newTraceId, queryTraces, retrace } from '../workload/retrace.js';
import { recordTraceStream } from '../workload/trace-stream.js';
import { OtlpPoster } from './otlp-post.js';

export type LoadSenderOptions = { readonly url: string; readonly shapesFile: string } & (
  | { readonly kind: 'open'; readonly traces: number; readonly spansPerTrace: number }
  | { readonly kind: 'steady'; readonly tracesPerSecond: number }
);

export type LoadSenderMessage =
  | { type: 'ready' }
  | {
      type: 'sent';
      traces: number;
      spans: number;
      failedRequests: number;
      requests: number;
      /** Bytes of the requests' OTLP protobuf bodies (uncompressed), in `open` mode; 0 in `steady`. */
      wireBytes: number;
    };

const options = childArgument<LoadSenderOptions>();
const templates = queryTraces(await recordTraceStream(readQueryShapes(options.shapesFile), 40));
const exporter = new OTLPTraceExporter({ url: `${options.url}/v1/traces`, timeoutMillis: 30_000 });
let traces = 0;
let spans = 0;
let requests = 0;
let failedRequests = 0;
let wireBytes = 0;

function send(batch: ReadableSpan[]): Promise<void> {
  requests += 1;
  spans += batch.length;
  return new Promise((resolve) =>
    exporter.export(batch, (result) => {
      if (result.code !== ExportResultCode.SUCCESS) failedRequests += 1;
      resolve();
    }),
  );
}

function nextTrace(filter: (spans: ReadableSpan[]) => ReadableSpan[]): ReadableSpan[] {
  const template = templates[traces % templates.length]!;
  traces += 1;
  return filter(retrace(template, newTraceId()));
}

const report = () => tellParent({ type: 'sent', traces, spans, failedRequests, requests, wireBytes });
tellParent({ type: 'ready' });

if (options.kind === 'open') {
  const { spansPerTrace } = options;
  const openPart = (all: ReadableSpan[]) => all.filter((span) => !isRootSpan(span)).slice(0, spansPerTrace);
  const perBatch = Math.max(1, Math.floor(512 / spansPerTrace));
  const batch = (count: number) =>
    new EncodedBatch(Array.from({ length: count }, (_, i) => openPart(templates[i % templates.length]!)));
  const full = batch(perBatch);
  const remainder = options.traces % perBatch === 0 ? undefined : batch(options.traces % perBatch);
  const poster = new OtlpPoster(`${options.url}/v1/traces`, 2);
  process.once('message', () => {
    void (async () => {
      const lane = async () => {
        while (traces < options.traces) {
          // Exactly the traces asked for: the last request carries the remainder.
          const template = options.traces - traces >= perBatch ? full : remainder!;
          traces += template.traces;
          spans += template.spans;
          requests += 1;
          // The body sent: what a held span costs on the wire.
          wireBytes += template.byteLength;
          const result = await poster.post(template.next());
          if (result.error !== undefined) failedRequests += 1;
        }
      };
      await Promise.all([lane(), lane()]);
      report();
      poster.close();
      await exporter.shutdown();
      process.disconnect();
    })();
  });
} else {
  const perTick = options.tracesPerSecond / 10;
  let due = 0;
  const inFlight = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  process.on('message', (message: { type: string }) => {
    if (message.type === 'go') {
      timer = setInterval(() => {
        due += perTick;
        const batch: ReadableSpan[] = [];
        for (; due >= 1; due -= 1) batch.push(...nextTrace((all) => all));
        const request = send(batch).finally(() => inFlight.delete(request));
        inFlight.add(request);
      }, 100);
    } else if (message.type === 'report') {
      report();
    } else if (message.type === 'stop') {
      clearInterval(timer);
      void Promise.all(inFlight).then(async () => {
        report();
        await exporter.shutdown();
        process.disconnect();
      });
    }
  });
}
