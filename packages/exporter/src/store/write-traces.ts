/**
 * The `write` every lane of the table exporter is handed (`keep/placement.ts`, `WriteTraces`):
 * maps the traces and writes them through the store writer, resolving with each one's outcome, or
 * with undefined when the store is unavailable (nothing decided: the caller keeps the traces).
 */
import { StoreUnavailableError } from '@aitdr/conventions';
import type { PendingTrace, WriteTraces } from '../keep/placement.js';
import { mergeSpans } from '../keep/kept-pass.js';
import { mapTrace } from '../mapping/trace-mapper.js';
import type { MappedTrace } from '../mapping/trace-mapper.js';
import type { TraceOutcome } from './batch-writer.js';
import type { StoreWriter } from './store-writer.js';

export function writeThrough(
  writer: () => StoreWriter,
  noteError: (message: string, level: 'warn' | 'error') => void,
): WriteTraces {
  return async (traces: readonly PendingTrace[]) => {
    const outcomes = new Map<string, TraceOutcome>();
    const mapped: MappedTrace[] = [];
    for (const [traceId, spans] of mergeSpans(traces)) {
      const trace = mapTrace(spans);
      if (trace.kind === 'mapped') mapped.push(trace);
      else outcomes.set(traceId, { kind: 'dead-lettered', reason: trace.reason });
    }
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
}
