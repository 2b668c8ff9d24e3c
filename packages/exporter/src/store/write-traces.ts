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
    const mapped: MappedTrace[] = [];
    for (const [traceId, spans] of mergeSpans(traces)) {
      const trace = mapTrace(spans);
      if (trace.kind === 'mapped') mapped.push(trace);
      else outcomes.set(traceId, { kind: 'dead-lettered', reason: trace.reason });
    }
    return async () => {
      try {
        for (const [traceId, outcome] of await writer().write(mapped)) outcomes.set(traceId, outcome);
      } catch (error) {
        if (!(error instanceof StoreUnavailableError)) throw error;
        noteError(error.message, 'warn');
        return undefined;
      }
      // Every trace must end somewhere; one without an outcome is kept for a later try, not lost.
      const undecided = mapped.filter((trace) => !outcomes.has(trace.traceId)).length;
      if (undecided > 0) {
        noteError(`${undecided} trace(s) got no outcome from the store; kept for a later try`, 'error');
        return undefined;
      }
      return outcomes;
    };
  };
}
