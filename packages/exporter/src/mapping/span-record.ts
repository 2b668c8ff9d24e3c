/**
 * The span record is the conventions' (the `TraceWriter` contract takes it); re-exported here,
 * where the exporter's code and its users found it before.
 */
import type { SpanRecord } from '@aitdr/conventions';

export { settleResources, toSpanRecord, toSpanRecords } from '@aitdr/conventions';
export type { SpanEventRecord, SpanLinkRecord, SpanRecord } from '@aitdr/conventions';

/** Spans grouped by trace ID, in order of first appearance; a span seen twice is kept once. */
export function groupByTrace(spans: readonly SpanRecord[]): Map<string, SpanRecord[]> {
  const traces = new Map<string, SpanRecord[]>();
  // Span IDs per trace: no key string built per span (this runs for every span written).
  const seen = new Map<string, Set<string>>();
  for (const span of spans) {
    const ids = seen.get(span.traceId);
    if (ids === undefined) {
      seen.set(span.traceId, new Set([span.spanId]));
      traces.set(span.traceId, [span]);
    } else if (!ids.has(span.spanId)) {
      ids.add(span.spanId);
      traces.get(span.traceId)!.push(span);
    }
  }
  return traces;
}
