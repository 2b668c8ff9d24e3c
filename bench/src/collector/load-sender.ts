/**
 * Load for the memory benchmark, sent through the official OTLP/HTTP protobuf exporter from a
 * process of its own. Traces are recorded query traces under new trace IDs (see retrace.ts).
 * - `open`: `traces` traces of which only `spansPerTrace` stage spans are sent, never the root,
 *   as fast as the collector takes them;
 * - `steady`: whole traces at `tracesPerSecond` until told to stop, one request every 100 ms;
 *   refused requests are counted, not retried beyond what the exporter itself does.
 */
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { protobufBody } from '../../../collector/test/support/spans.js';
import { childArgument, tellParent } from '../harness/child-process.js';
import { readQueryShapes } from '../workload/realistic-queries.js';
import { isRootSpan, newTraceId, queryTraces, retrace } from '../workload/retrace.js';
import { recordTraceStream } from '../workload/trace-stream.js';

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
  process.once('message', () => {
    void (async () => {
      const lane = async () => {
        while (traces < options.traces) {
          const batch: ReadableSpan[] = [];
          while (batch.length < 512 && traces < options.traces) batch.push(...nextTrace(openPart));
          // The body the exporter sends (same serializer): what a held span costs on the wire.
          wireBytes += protobufBody(batch).byteLength;
          await send(batch);
        }
      };
      await Promise.all([lane(), lane()]);
      report();
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
