/**
 * Traces the assembler has written, kept a bounded while in memory so that log records naming one
 * of their spans after the write still reach the rows: the assembler holds the trace again with
 * those events and writes it again, and the store fills only the columns its rows still have
 * empty (the stage tables' `fill` conflict rule), so what was written stays as it was.
 *
 * A trace is kept as the assembler held it (its spans' wire bytes where they came in protobuf),
 * not as decoded records: records kept for seconds would all outlive the young generation, and
 * copying and promoting them was a large share of the collector's garbage collection.
 *
 * Bounded by age (`keepMs` after the trace's last write) and by spans kept (`maxSpans`, the oldest
 * trace goes first). Memory only: after a restart, or once a trace is let go, log records for it
 * are counted as unattached.
 */
import type { SpanRecord } from '@aitdr/conventions';
import { GENAI_SPAN_KEYS } from '../otlp/wire-spans.js';

/**
 * Whether log records may come for the trace after it is written: GenAI event records name a
 * GenAI span (a model call). Other traces are not kept, so a collector that records no model
 * calls pays nothing for the late path.
 */
export function mayReceiveLogEvents(spans: readonly SpanRecord[]): boolean {
  return spans.some((span) => GENAI_SPAN_KEYS.some((key) => span.attributes[key] !== undefined));
}

/** A written trace as kept: what it was written from, in parts of the assembler's own kind. */
export interface WrittenTrace<Part> {
  /** The parts, each span in them with the events attached when it was written. */
  readonly parts: readonly Part[];
  /** Spans in `parts`. */
  readonly spans: number;
  readonly hasRoot: boolean;
}

export class WrittenTraces<Part> {
  /** Trace ID → what was written of it, oldest write first (Map keeps insertion order). */
  private readonly traces = new Map<string, WrittenTrace<Part> & { readonly writtenAt: number }>();
  private keptSpans = 0;

  constructor(
    private readonly keepMs: number,
    private readonly maxSpans: number,
  ) {}

  /**
   * Keeps a trace just written, with what is kept from its earlier writes (late spans written
   * alone): written again, the trace holds all of them (the writer keeps one copy per span ID).
   */
  remember(traceId: string, trace: WrittenTrace<Part>, now: number): void {
    const earlier = this.forget(traceId);
    const kept = earlier
      ? {
          parts: [...earlier.parts, ...trace.parts],
          spans: earlier.spans + trace.spans,
          hasRoot: earlier.hasRoot || trace.hasRoot,
        }
      : trace;
    this.traces.set(traceId, { ...kept, writtenAt: now });
    this.keptSpans += kept.spans;
    this.expire(now);
  }

  /** Takes a kept trace out, to be held and written again; undefined if none is kept. */
  take(traceId: string, now: number): WrittenTrace<Part> | undefined {
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

  private forget(traceId: string): WrittenTrace<Part> | undefined {
    const trace = this.traces.get(traceId);
    if (trace === undefined) return undefined;
    this.traces.delete(traceId);
    this.keptSpans -= trace.spans;
    return trace;
  }
}
