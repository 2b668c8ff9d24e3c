import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';

/**
 * A small query trace (root + classification) made by the real SDK; `extra` adds attributes to
 * the resource and to the classification span.
 */
export function queryTrace(
  question = 'downtime by line',
  extra: { resource?: Attributes; classification?: Attributes } = {},
): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'assistant', ...extra.resource }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('test');
  const root = tracer.startSpan('text_to_sql.query', {
    attributes: { 'text_to_sql.stage': 'query', 'text_to_sql.query.text': question },
  });
  tracer
    .startSpan(
      'text_to_sql.classification',
      {
        attributes: {
          'text_to_sql.stage': 'classification',
          'text_to_sql.classification.category': 'downtime',
          ...extra.classification,
        },
      },
      trace.setSpan(ROOT_CONTEXT, root),
    )
    .end();
  root.end();
  return exporter.getFinishedSpans();
}

export const protobufBody = (spans: ReadableSpan[]) =>
  Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!);
export const jsonBody = (spans: ReadableSpan[]) => Buffer.from(JsonTraceSerializer.serializeRequest(spans)!);
