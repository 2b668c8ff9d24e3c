/**
 * Where each trace of a write ends up, and what its writer is told. The store decides an outcome
 * per trace (`TraceOutcome`); `placeOutcome` acts on it (counts it, parks or dead-letters the
 * trace), and `resultOfWrite` turns the placements of one `writeTraces` call into its result or
 * error.
 */
import { RecordingError, StoreUnavailableError } from '@aitdr/conventions';
import type { TraceWriteResult, WriteRequirement } from '@aitdr/conventions';
import type { SpanRecord } from '../mapping/span-record.js';
import type { TraceOutcome } from '../store/batch-writer.js';
import type { DeadLetterLane } from './dead-letters.js';
import type { Dropped, Ledger } from './ledger.js';
import type { ParkingLot } from './parking-lot.js';

/** Where one trace of a write ended up. */
export type Placement = 'committed' | 'ignored' | 'spooled' | 'parked' | 'dead-lettered' | Dropped;

/** A trace to write, from the queue, the spool or the parking lot. */
export interface PendingTrace {
  readonly traceId: string;
  readonly spans: readonly SpanRecord[];
}

/** What the spool and the parking lot keep per trace (one JSON record each). */
export interface KeptTrace {
  readonly spans: readonly SpanRecord[];
  /** Parking lot only: when it was first parked (epoch ms), tries so far, and why. */
  readonly parkedAt?: number;
  readonly attempts?: number;
  readonly reason?: string;
}

/**
 * What every lane is handed to reach the store: maps and writes the traces, resolving with each
 * one's outcome, or with undefined when the store is unavailable (nothing was decided then, and
 * the caller keeps the traces where they are).
 */
export type WriteTraces = (traces: readonly PendingTrace[]) => Promise<Map<string, TraceOutcome> | undefined>;

/** How a pass over kept traces places an outcome the store decided. */
export type PlaceOutcome = (
  trace: PendingTrace,
  outcome: TraceOutcome,
  how: { readonly replayed: boolean; readonly parkedBefore?: KeptTrace },
) => Promise<Placement>;

/** Acts on one decided outcome: counts it, parks or dead-letters the trace. */
export function outcomePlacer(
  ledger: Ledger,
  parking: ParkingLot,
  deadLetters: DeadLetterLane,
): PlaceOutcome {
  return async ({ traceId, spans }, outcome, { replayed, parkedBefore }) => {
    switch (outcome.kind) {
      case 'committed':
        ledger.counters.written += 1;
        if (replayed) ledger.counters.replayed += 1;
        return 'committed';
      case 'ignored':
        // Parked only when the trace's root is not among them: then the rest of the trace, its
        // query span perhaps, went elsewhere. With its root and no stage it is no recorder trace.
        if (parking.parksUnattached && spans.every((span) => span.parentSpanId !== undefined))
          return parking.parkUnattached(traceId, spans, parkedBefore);
        ledger.counters.ignored += 1;
        return 'ignored';
      case 'parked':
        return parking.park(traceId, spans, outcome.reason, parkedBefore);
      case 'dead-lettered':
        return deadLetters.deadLetter(traceId, spans, outcome.reason, outcome.error);
    }
  };
}

/** How many traces of a write went where. */
export function countPlacements(placements: readonly Placement[]): TraceWriteResult {
  const count = (placement: Placement) => placements.filter((p) => p === placement).length;
  return {
    committed: count('committed'),
    spooled: count('spooled'),
    parked: count('parked'),
    deadLettered: count('dead-lettered'),
  };
}

/**
 * The result of one `writeTraces` call: throws the drop's error when a trace was lost, and with
 * `require: 'committed'` the reason a trace was kept rather than committed.
 */
export function resultOfWrite(
  placements: readonly Placement[],
  require: WriteRequirement,
  where: { readonly deadLetterDirectory: string; readonly lastError: string | undefined },
): TraceWriteResult {
  const result = countPlacements(placements);
  const dropped = placements.find((p): p is Dropped => typeof p === 'object');
  if (dropped) throw dropped.dropped;
  if (require !== 'committed') return result;
  if (result.deadLettered > 0) {
    throw new RecordingError(
      'DEAD_LETTERED',
      `${result.deadLettered} trace(s) refused by the store; kept in the dead-letter store (${where.deadLetterDirectory})`,
    );
  }
  if (result.parked > 0) {
    throw new RecordingError('PARKED', `${result.parked} trace(s) parked until their query is stored`);
  }
  if (result.spooled > 0) {
    throw new StoreUnavailableError(
      `${result.spooled} trace(s) spooled for replay: the store is unavailable${where.lastError ? ` (${where.lastError})` : ''}`,
    );
  }
  return result;
}
