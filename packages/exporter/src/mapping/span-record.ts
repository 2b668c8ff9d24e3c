/**
 * The span record is the conventions' (the `TraceWriter` contract takes it); re-exported here,
 * where the exporter's code and its users found it before.
 */
import type { SpanRecord } from '@aitdr/conventions';

export { settleResources, toSpanRecord } from '@aitdr/conventions';
export type { SpanEventRecord, SpanLinkRecord, SpanRecord } from '@aitdr/conventions';

/**
 * Spans grouped by trace ID, in order of first appearance; a span seen twice is kept once, as the
 * copy with the most events: a trace the collector writes again with events from log records that
 * came late meets its first copy in one batch, and the late content must not lose to it (a
 * retry's copies are the same).
 */
export function groupByTrace(spans: readonly SpanRecord[]): Map<string, SpanRecord[]> {
  const traces = new Map<string, SpanRecord[]>();
  // Span ID → its place in its trace, per trace: no key string built per span (this runs for every span written).
  const seen = new Map<string, Map<string, number>>();
  for (const span of spans) {
    const places = seen.get(span.traceId);
    if (places === undefined) {
      seen.set(span.traceId, new Map([[span.spanId, 0]]));
      traces.set(span.traceId, [span]);
      continue;
    }
    const trace = traces.get(span.traceId)!;
    const place = places.get(span.spanId);
    if (place === undefined) {
      places.set(span.spanId, trace.length);
      trace.push(span);
    } else if (span.events.length > trace[place]!.events.length) {
      trace[place] = span;
    }
  }
  return traces;
}
