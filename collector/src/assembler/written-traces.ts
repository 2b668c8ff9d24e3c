/**
 * Traces the assembler has written, kept a bounded while in memory so that log records naming one
 * of their spans after the write still reach the rows: the assembler holds the trace again with
 * those events and writes it again, and the store fills only the columns its rows still have
 * empty (the stage tables' `fill` conflict rule), so what was written stays as it was.
 *
 * Bounded by age (`keepMs` after the trace's last write) and by spans kept (`maxSpans`, the oldest
 * trace goes first). Memory only: after a restart, or once a trace is let go, log records for it
 * are counted as unattached.
 */
import { ATTR_GEN_AI_OPERATION_NAME, ATTR_GEN_AI_PROVIDER_NAME } from '@aitdr/conventions';
import type { SpanRecord } from '@aitdr/conventions';

/** The GenAI span attributes (current, and the previous generation's provider name). */
const GENAI_SPAN_KEYS = [ATTR_GEN_AI_OPERATION_NAME, ATTR_GEN_AI_PROVIDER_NAME, 'gen_ai.system'];

/**
 * Whether log records may come for the trace after it is written: GenAI event records name a
 * GenAI span (a model call). Other traces are not kept, so a collector that records no model
 * calls pays nothing for the late path.
 */
export function mayReceiveLogEvents(spans: readonly SpanRecord[]): boolean {
  return spans.some((span) => GENAI_SPAN_KEYS.some((key) => span.attributes[key] !== undefined));
}

interface WrittenTrace {
  /** The spans as written (with the events attached then), one copy per span ID. */
  readonly spans: SpanRecord[];
  readonly writtenAt: number;
}

export class WrittenTraces {
  /** Trace ID → its spans, oldest write first (Map keeps insertion order). */
  private readonly traces = new Map<string, WrittenTrace>();
  private keptSpans = 0;

  constructor(
    private readonly keepMs: number,
    private readonly maxSpans: number,
  ) {}

  /** Keeps the spans of a trace just written, with those kept from its earlier writes. */
  remember(traceId: string, spans: readonly SpanRecord[], now: number): void {
    const earlier = this.forget(traceId) ?? [];
    const kept = onePerSpan([...earlier, ...spans]);
    this.traces.set(traceId, { spans: kept, writtenAt: now });
    this.keptSpans += kept.length;
    this.expire(now);
  }

  /** Takes a kept trace's spans out, to be held and written again; undefined if none is kept. */
  take(traceId: string, now: number): SpanRecord[] | undefined {
    this.expire(now);
    return this.forget(traceId);
  }

  /** Lets go of the traces kept longer than `keepMs`, and the oldest past `maxSpans`. */
  expire(now: number): void {
    for (const [traceId, trace] of this.traces) {
      if (this.keptSpans <= this.maxSpans && now - trace.writtenAt < this.keepMs) return;
      this.forget(traceId);
    }
  }

  private forget(traceId: string): SpanRecord[] | undefined {
    const trace = this.traces.get(traceId);
    if (trace === undefined) return undefined;
    this.traces.delete(traceId);
    this.keptSpans -= trace.spans.length;
    return trace.spans;
  }
}

/** One copy per span ID, the one with the most events (a retry's copies are the same). */
function onePerSpan(spans: readonly SpanRecord[]): SpanRecord[] {
  const bySpan = new Map<string, SpanRecord>();
  for (const span of spans) {
    const kept = bySpan.get(span.spanId);
    if (kept === undefined || span.events.length > kept.events.length) bySpan.set(span.spanId, span);
  }
  return [...bySpan.values()];
}
