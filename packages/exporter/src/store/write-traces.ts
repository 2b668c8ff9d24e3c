/**
 * The write path of the table exporter's lanes (`keep/placement.ts`, `WriteTraces`): maps the
 * traces, then writes them through the store writer, resolving with each one's outcome, or with
 * undefined when the store is unavailable (nothing decided: the caller keeps the traces).
 */
import { StoreUnavailableError } from '@aitdr/conventions';
import type { PendingTrace } from '../keep/placement.js';
import { mergeSpans } from '../keep/kept-pass.js';
import { mapTrace } from '../mapping/trace-mapper.js';
import type { MappedTrace } from '../mapping/trace-mapper.js';
import type { TraceOutcome } from './batch-writer.js';
import { MappedBatch } from './store-writer.js';
import type { StoreWriter } from './store-writer.js';

/** Traces mapped already: writing them is what is left (`WriteTraces` without the mapping). */
export type PreparedWrite = () => Promise<Map<string, TraceOutcome> | undefined>;

/**
 * Maps the traces at once and returns their write, to be started later: the table exporter maps
 * a batch while the one before it commits, so the store is not left idle while the mapping runs.
 */
export function prepareThrough(
  writer: () => StoreWriter,
  noteError: (message: string, level: 'warn' | 'error') => void,
): (traces: readonly PendingTrace[]) => PreparedWrite {
  return (traces) => {
    const outcomes = new Map<string, TraceOutcome>();
    const mapped = mapAll(traces, outcomes);
    // Only the IDs are kept here: the rows go with the batch, which lets them go once sent.
    const traceIds = mapped.map((trace) => trace.traceId);
    const batch = new MappedBatch(mapped, () => mapAll(traces));
    return async () => {
      try {
        for (const [traceId, outcome] of await writer().write(batch)) outcomes.set(traceId, outcome);
      } catch (error) {
        if (!(error instanceof StoreUnavailableError)) throw error;
        noteError(error.message, 'warn');
        return undefined;
      }
      // Every trace must end somewhere; one without an outcome is kept for a later try, not lost.
      const undecided = traceIds.filter((traceId) => !outcomes.has(traceId)).length;
      if (undecided > 0) {
        noteError(`${undecided} trace(s) got no outcome from the store; kept for a later try`, 'error');
        return undefined;
      }
      return outcomes;
    };
  };
}

/**
 * The traces that map, in order; those that do not are noted in `unmappable` (when given) as
 * dead-lettered. Each trace's records are read (a deferred trace's made) just before it is mapped,
 * so they die with its mapping instead of all of the batch's living until its last trace is mapped.
 */
function mapAll(traces: readonly PendingTrace[], unmappable?: Map<string, TraceOutcome>): MappedTrace[] {
  // The parts of one trace (a trace may come in several), in order of first appearance.
  const byTrace = new Map<string, PendingTrace[]>();
  for (const trace of traces) {
    const parts = byTrace.get(trace.traceId);
    if (parts === undefined) byTrace.set(trace.traceId, [trace]);
    else parts.push(trace);
  }
  const mapped: MappedTrace[] = [];
  for (const parts of byTrace.values()) {
    for (const [traceId, spans] of mergeSpans(parts)) {
      const trace = mapTrace(spans);
      if (trace.kind === 'mapped') mapped.push(trace);
      else unmappable?.set(traceId, { kind: 'dead-lettered', reason: trace.reason });
    }
  }
  return mapped;
}
