/**
 * Many distinct traces from a few recorded ones: a recorded trace's spans under a new trace ID
 * (span IDs kept: a row's key is the query ID with its span ID). For load whose volume matters
 * more than the cost of creating it (the memory benchmark sends hundreds of thousands of spans).
 */
import { randomBytes } from 'node:crypto';
import type { SpanContext } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { ATTR_STAGE } from '@aitdr/conventions';
import type { TraceStream } from './trace-stream.js';

export function newTraceId(): string {
  return randomBytes(16).toString('hex');
}

/** The query traces of a stream (root and stage spans), each in the order its spans ended. */
export function queryTraces(stream: TraceStream): ReadableSpan[][] {
  const traces = new Map<string, ReadableSpan[]>();
  for (const span of stream.spans) {
    const traceId = span.spanContext().traceId;
    traces.set(traceId, [...(traces.get(traceId) ?? []), span]);
  }
  return [...traces.values()].filter((spans) => spans.some((s) => s.attributes[ATTR_STAGE] === 'query'));
}

/** The spans with every reference to their trace ID replaced by `traceId`. */
export function retrace(spans: readonly ReadableSpan[], traceId: string): ReadableSpan[] {
  return spans.map((span) => {
    const context: SpanContext = { ...span.spanContext(), traceId };
    const parent = span.parentSpanContext;
    return {
      name: span.name,
      kind: span.kind,
      spanContext: () => context,
      ...(parent === undefined ? {} : { parentSpanContext: { ...parent, traceId } }),
      startTime: span.startTime,
      endTime: span.endTime,
      duration: span.duration,
      status: span.status,
      attributes: span.attributes,
      links: span.links,
      events: span.events,
      ended: true,
      resource: span.resource,
      instrumentationScope: span.instrumentationScope,
      droppedAttributesCount: span.droppedAttributesCount,
      droppedEventsCount: span.droppedEventsCount,
      droppedLinksCount: span.droppedLinksCount,
    };
  });
}

/** Whether a span is the root of its trace (the query span). */
export function isRootSpan(span: ReadableSpan): boolean {
  return span.parentSpanContext === undefined;
}
