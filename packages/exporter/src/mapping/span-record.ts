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
  const seen = new Set<string>();
  for (const span of spans) {
    const key = `${span.traceId}/${span.spanId}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const trace = traces.get(span.traceId);
    if (trace) trace.push(span);
    else traces.set(span.traceId, [span]);
  }
  return traces;
}
