/**
 * A stream of recorded traces as an application would send them: query traces (root and eight
 * stage spans) and, for every second query, a feedback trace that comes some queries later. The spans are real SDK spans,
 * recorded through the typed helpers and collected in memory, so a benchmark can replay them
 * without paying for their creation while it measures.
 */
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { Recorder, TraceBufferProcessor } from '@aitdr/sdk';
import type { QueryRecord } from '@aitdr/sdk';
import {
  recordFeedbackWithHelpers,
  recordQueryWithHelpers,
  recordSizedQueryWithHelpers,
} from './record-query.js';
import type { QueryShape } from './realistic-queries.js';

export interface StreamOptions {
  /** Queries between a query and its feedback. Default 100: feedback comes later, never in the same breath. */
  readonly feedbackLag?: number;
  /** Every how many queries one gets feedback. Default 2. */
  readonly feedbackEvery?: number;
  readonly serviceName?: string;
  /**
   * Query traces of exactly this many spans (see `recordSizedQueryWithHelpers`) and no feedback,
   * for the cost against spans per trace; absent: the usual query of nine spans and its feedback.
   */
  readonly spansPerTrace?: number;
}

/** Keeps every exported span, in export order. */
class MemoryExporter implements SpanExporter {
  readonly spans: ReadableSpan[] = [];
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.spans.push(...spans);
    done({ code: ExportResultCode.SUCCESS });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

export interface TraceStream {
  /** Every span, trace after trace, in the order the application finished them. */
  readonly spans: readonly ReadableSpan[];
  readonly queryTraces: number;
  readonly feedbackTraces: number;
}

/** Records `queries` queries (and their lagged feedback) with real IDs and timestamps. */
export async function recordTraceStream(
  shapes: readonly QueryShape[],
  queries: number,
  { feedbackLag = 100, feedbackEvery = 2, serviceName = 'bench-app', spansPerTrace }: StreamOptions = {},
): Promise<TraceStream> {
  const exporter = new MemoryExporter();
  // Batches are merged up to the queue size: the stream is recorded far faster than any store writes.
  const processor = new TraceBufferProcessor({
    exporter,
    maxQueueSize: 1_000_000,
    maxExportBatchSize: 100_000,
  });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName, 'service.version': '1.4.2' }),
    spanProcessors: [processor],
  });
  const recorder = new Recorder({ tracerProvider: provider, processor, ownsTracerProvider: true });
  const waiting: { shape: QueryShape; record: QueryRecord }[] = [];
  let feedbackTraces = 0;
  for (let i = 0; spansPerTrace !== undefined && i < queries; i++) {
    await recordSizedQueryWithHelpers(recorder, shapes[i % shapes.length]!, spansPerTrace);
  }
  for (let i = 0; spansPerTrace === undefined && i < queries; i++) {
    const shape = shapes[i % shapes.length]!;
    const record = await recordQueryWithHelpers(recorder, shape);
    if (i % feedbackEvery === 0) waiting.push({ shape, record });
    if (i >= feedbackLag && waiting.length > 0 && (i - feedbackLag) % feedbackEvery === 0) {
      const due = waiting.shift()!;
      await recordFeedbackWithHelpers(recorder, due.shape, due.record);
      feedbackTraces += 1;
    }
  }
  await recorder.shutdown();
  return { spans: exporter.spans, queryTraces: queries, feedbackTraces };
}
