/**
 * Log records that name a span, held with the trace they belong to until the assembler writes it:
 * whichever of spans and logs arrives first, the events join their span when the trace is released
 * (`attach`). Logs for a trace already written hold it again while it is still kept (see
 * written-traces.ts) and are attached when it is written again. Logs whose spans never came within
 * the wait, or whose trace was written and is no longer kept, cannot be attached; they are counted
 * (`unattached`), not dropped silently.
 */
import type { SpanEventRecord, SpanRecord } from '@aitdr/conventions';
import type { OtlpEncoding } from '../otlp/encode-response.js';
import { decodeLogsRequest } from '../otlp/logs-decode.js';
import type { SpanLogEvent } from '../otlp/logs-decode.js';
import type { JournalId } from './intake-journal.js';

/** Journal record tags of logs requests; trace requests use 1 (protobuf) and 2 (JSON). */
const LOGS_ENCODING_BYTE: Record<OtlpEncoding, number> = { protobuf: 3, json: 4 };

/** A journal record of a logs request: one byte naming the signal and encoding, then the body. */
export function logsJournalRecord(encoding: OtlpEncoding, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([LOGS_ENCODING_BYTE[encoding]]), body]);
}

/** The span events of a journal record of a logs request, or undefined for a trace request's record. */
export function logEventsOfJournalRecord(record: Buffer): readonly SpanLogEvent[] | undefined {
  const body = record.subarray(1);
  if (record[0] === LOGS_ENCODING_BYTE.protobuf) return decodeLogsRequest('protobuf', body).events;
  if (record[0] === LOGS_ENCODING_BYTE.json) return decodeLogsRequest('json', body).events;
  return undefined;
}

/** A copy of `span` with `events` added, leaving the record as it was decoded (a retry sends it again). */
function withEvents(span: SpanRecord, events: readonly SpanEventRecord[]): SpanRecord {
  return { ...span, events: [...span.events, ...events] };
}

export interface TraceLogEvents {
  /** Span ID → the events for that span, in arrival order. */
  readonly bySpan: Map<string, SpanEventRecord[]>;
  readonly journalIds: Set<JournalId>;
  readonly firstAt: number;
  count: number;
}

export interface LogEventCounts {
  /** Events added to their span before it was written. */
  readonly attached: number;
  /** Events whose span was already written, never came, or was not in its trace. */
  readonly unattached: number;
}

export class HeldLogEvents {
  /** Trace ID → its held events, oldest trace first (Map keeps insertion order). */
  private readonly traces = new Map<string, TraceLogEvents>();
  private heldEvents = 0;
  attached = 0;
  unattached = 0;

  constructor(private readonly maxHeldEvents: number) {}

  /** Holds the events of one request; returns the traces it touched (one journal count each). */
  add(journalId: JournalId, events: readonly SpanLogEvent[], now: number): Set<string> {
    const touched = new Set<string>();
    for (const { traceId, spanId, event } of events) {
      let trace = this.traces.get(traceId);
      if (trace === undefined) {
        trace = { bySpan: new Map(), journalIds: new Set(), firstAt: now, count: 0 };
        this.traces.set(traceId, trace);
      }
      const forSpan = trace.bySpan.get(spanId);
      if (forSpan) forSpan.push(event);
      else trace.bySpan.set(spanId, [event]);
      trace.count += 1;
      this.heldEvents += 1;
      if (!trace.journalIds.has(journalId)) {
        trace.journalIds.add(journalId);
        touched.add(traceId);
      }
    }
    return touched;
  }

  has(traceId: string): boolean {
    return this.traces.has(traceId);
  }

  /** Takes a trace's events out, for its release. */
  take(traceId: string): TraceLogEvents | undefined {
    const trace = this.traces.get(traceId);
    if (trace === undefined) return undefined;
    this.traces.delete(traceId);
    this.heldEvents -= trace.count;
    return trace;
  }

  /**
   * Takes out the traces no span came for within `maxWaitMs`, and the oldest past the bound on
   * held events: they can no longer be attached and count as unattached.
   */
  takeExpired(now: number, maxWaitMs: number, isHeld: (traceId: string) => boolean): TraceLogEvents[] {
    const expired: TraceLogEvents[] = [];
    for (const [traceId, trace] of this.traces) {
      const overBound = this.heldEvents > this.maxHeldEvents;
      if (!overBound && (isHeld(traceId) || now - trace.firstAt < maxWaitMs)) continue;
      const taken = this.take(traceId);
      if (taken) {
        this.unattached += taken.count;
        expired.push(taken);
      }
    }
    return expired;
  }

  get size(): number {
    return this.heldEvents;
  }

  counts(): LogEventCounts {
    return { attached: this.attached, unattached: this.unattached };
  }

  /**
   * Adds a trace's held events to its spans (as copies, see `withEvents`). Events naming a span
   * not in the trace are counted as unattached.
   */
  attach(spans: SpanRecord[], events: TraceLogEvents): void {
    const found = new Set<string>();
    for (let index = 0; index < spans.length; index += 1) {
      const span = spans[index]!;
      const spanId = span.spanId;
      const added = events.bySpan.get(spanId);
      if (added === undefined) continue;
      // Every copy of a span sent twice (a retry) gets the events; they count once.
      spans[index] = withEvents(span, added);
      found.add(spanId);
    }
    let attached = 0;
    for (const spanId of found) attached += events.bySpan.get(spanId)?.length ?? 0;
    this.attached += attached;
    this.unattached += events.count - attached;
  }
}
