// Type-checked in the consumer app on OpenTelemetry JS 2: the recorder's processor goes into the
// app's own provider, the app's OTLP exporter into the processor, and the provider into a Recorder.
import { BasicTracerProvider as TracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { createTableExporter } from '@aitdr/exporter';
import { Recorder, RedactingSpanExporter, SpanRedactor, TraceBufferProcessor } from '@aitdr/sdk';

const processor = new TraceBufferProcessor({ exporter: createTableExporter({ store: 'sqlite:./typed.db' }) });
const otlp = new OTLPTraceExporter();
const provider = new TracerProvider({
  spanProcessors: [processor, new BatchSpanProcessor(new RedactingSpanExporter(otlp, new SpanRedactor({})))],
});
export const recorder = new Recorder({ tracerProvider: provider, processor });
export const viaOtlp = new TraceBufferProcessor({ exporter: otlp });
export const stored = (spans: ReadableSpan[]) =>
  createTableExporter({ store: 'sqlite:./typed.db' }).export(spans, () => undefined);
