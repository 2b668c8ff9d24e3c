/** Test doubles and small helpers shared by the SDK's tests. */
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { toSpanRecord } from '@aitdr/conventions';
import type {
  RecorderStatus,
  SpanRecord,
  TraceWriteResult,
  TraceWriter,
  WriteOptions,
} from '@aitdr/conventions';
import { Recorder, TraceBufferProcessor } from '@aitdr/sdk';
import type { RecorderOptions, TraceBufferProcessorOptions } from '@aitdr/sdk';

/** Lets exports scheduled for the next turn of the event loop run (they never start inside span.end()). */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * An InMemorySpanExporter that also remembers how the spans were grouped into export calls, and
 * answers at once (the base class answers on a timer, which would make tests wait on time).
 */
export class RecordingExporter extends InMemorySpanExporter {
  readonly calls: ReadableSpan[][] = [];

  override export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.calls.push([...spans]);
    super.export(spans, () => undefined);
    resultCallback({ code: ExportResultCode.SUCCESS });
  }
}

/** An exporter that answers only when told to: an export in flight, for queue and timeout tests. */
export class HeldExporter implements SpanExporter {
  readonly calls: ReadableSpan[][] = [];
  private readonly callbacks: ((result: ExportResult) => void)[] = [];
  shutdowns = 0;

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.calls.push([...spans]);
    this.callbacks.push(resultCallback);
  }

  /** Answers the oldest export still waiting. */
  answer(result: ExportResult = { code: ExportResultCode.SUCCESS }): void {
    this.callbacks.shift()?.(result);
  }

  shutdown(): Promise<void> {
    this.shutdowns += 1;
    return Promise.resolve();
  }
}

export const HEALTHY_WRITER: RecorderStatus = {
  healthy: true,
  breaker: 'closed',
  spool: { bytes: 0, traces: 0, capacityBytes: 1_000_000 },
  counters: {
    received: 0,
    written: 0,
    retried: 0,
    spooled: 0,
    replayed: 0,
    parked: 0,
    deadLettered: 0,
    dropped: 0,
  },
};

/**
 * A span record seen through the SDK's span shape, so assertions read what a writer received
 * (records, since the TraceWriter contract takes them) as they read exported spans.
 */
export function recordAsSpan(record: SpanRecord): ReadableSpan {
  const context = { traceId: record.traceId, spanId: record.spanId, traceFlags: 1 };
  return {
    name: record.name,
    kind: record.kind,
    spanContext: () => context,
    parentSpanContext:
      record.parentSpanId === undefined
        ? undefined
        : { traceId: record.traceId, spanId: record.parentSpanId, traceFlags: 1 },
    startTime: record.startTime,
    endTime: record.endTime,
    duration: record.duration,
    status: record.status,
    attributes: record.attributes,
    events: record.events.map((event) => ({ ...event })),
    links: record.links.map((link) => ({
      context: { traceId: link.traceId, spanId: link.spanId, traceFlags: 1 },
      ...(link.attributes ? { attributes: link.attributes } : {}),
    })),
    ended: true,
    resource: { attributes: record.resource } as ReadableSpan['resource'],
    instrumentationScope: record.scope,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

/** A stand-in for the table exporter: keeps what it is asked to write, with the requirement. */
export class FakeTraceWriter implements SpanExporter, TraceWriter {
  readonly writes: { spans: readonly ReadableSpan[]; require: WriteOptions['require'] }[] = [];
  /** Set to make the next writes reject with this error. */
  failWith: Error | undefined;
  currentStatus: RecorderStatus = HEALTHY_WRITER;
  exportCalls = 0;

  writeTraces(records: readonly SpanRecord[], options?: WriteOptions): Promise<TraceWriteResult> {
    if (this.failWith !== undefined) return Promise.reject(this.failWith);
    this.writes.push({ spans: records.map(recordAsSpan), require: options?.require });
    const traces = new Set(records.map((record) => record.traceId)).size;
    return Promise.resolve({ committed: traces, spooled: 0, parked: 0, deadLettered: 0 });
  }

  status(): RecorderStatus {
    return this.currentStatus;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.exportCalls += 1;
    this.writeTraces(spans.map(toSpanRecord)).then(
      () => resultCallback({ code: ExportResultCode.SUCCESS }),
      (error: Error) => resultCallback({ code: ExportResultCode.FAILED, error }),
    );
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }

  get spans(): ReadableSpan[] {
    return this.writes.flatMap((write) => write.spans);
  }
}

/** A provider whose only span processor is a TraceBufferProcessor on `exporter`. */
export function bufferedProvider(options: TraceBufferProcessorOptions): {
  processor: TraceBufferProcessor;
  provider: BasicTracerProvider;
} {
  const processor = new TraceBufferProcessor(options);
  const provider = new BasicTracerProvider({ spanProcessors: [processor] });
  return { processor, provider };
}

/** A Recorder on its own provider and processor. */
export function recorderWith(
  exporter: SpanExporter,
  options: Omit<RecorderOptions, 'tracerProvider' | 'processor'> = {},
  processorOptions: Omit<TraceBufferProcessorOptions, 'exporter'> = {},
): { recorder: Recorder; processor: TraceBufferProcessor; provider: BasicTracerProvider } {
  const { processor, provider } = bufferedProvider({ ...processorOptions, exporter });
  const recorder = new Recorder({ ...options, tracerProvider: provider, processor });
  return { recorder, processor, provider };
}

export function names(spans: readonly ReadableSpan[]): string[] {
  return spans.map((span) => span.name);
}
