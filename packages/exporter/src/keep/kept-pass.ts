/**
 * One pass over traces kept on a durable spool, in its two versions: the spool's replay (traces
 * kept through an outage, counted as replayed when committed) and the parking lot's retry
 * (traces waiting for their query, which carry their tries and park time to the next attempt).
 * A batch is read oldest first, written, each outcome placed, then acknowledged; when the store
 * is unavailable nothing is acknowledged and the records are read again next time.
 */
import { groupByTrace } from '../mapping/span-record.js';
import type { SpanRecord } from '../mapping/span-record.js';
import { errorMessage } from '../store/failures.js';
import type { DurableSpool, SpoolRecord } from './durable-spool.js';
import type { Ledger } from './ledger.js';
import type { KeptTrace, PendingTrace, PlaceOutcome, WriteTraces } from './placement.js';

export type PassVersion = 'replay' | 'parking-retry';

export interface KeptBatch {
  readonly version: PassVersion;
  /** Most records to read. */
  readonly records: number;
  readonly write: WriteTraces;
  readonly place: PlaceOutcome;
  readonly ledger: Ledger;
}

/** The spans of several pending traces (a trace may come in parts), by trace. */
export function mergeSpans(traces: readonly PendingTrace[]): Map<string, SpanRecord[]> {
  return groupByTrace(traces.flatMap((t) => t.spans));
}

/**
 * Writes one batch of `lot`'s oldest records; resolves with how many records were done, or
 * undefined when the store is unavailable (then they stay, unacknowledged).
 */
export async function passKeptBatch(lot: DurableSpool, batch: KeptBatch): Promise<number | undefined> {
  const records = await lot.read({ records: batch.records });
  if (records.length === 0) return 0;
  const kept = new Map<string, KeptTrace>();
  const traces = records.flatMap((record) => decodeKept(record, kept, batch.ledger));
  const outcomes = await batch.write(traces);
  if (outcomes === undefined) return undefined;
  const spans = mergeSpans(traces);
  const replayed = batch.version === 'replay';
  for (const [traceId, outcome] of outcomes) {
    const parkedBefore = replayed ? undefined : kept.get(traceId);
    await batch.place({ traceId, spans: spans.get(traceId) ?? [] }, outcome, {
      replayed,
      ...(parkedBefore === undefined ? {} : { parkedBefore }),
    });
  }
  await lot.acknowledge(records.at(-1)!.sequence);
  return records.length;
}

function decodeKept(record: SpoolRecord, kept: Map<string, KeptTrace>, ledger: Ledger): PendingTrace[] {
  try {
    const trace = JSON.parse(record.data.toString('utf8')) as KeptTrace;
    const traceId = trace.spans[0]?.traceId;
    if (traceId === undefined) return [];
    const before = kept.get(traceId);
    // Parts of one trace parked apart keep the earliest park time and the most attempts.
    kept.set(traceId, {
      spans: [],
      parkedAt: Math.min(before?.parkedAt ?? Infinity, trace.parkedAt ?? Date.now()),
      attempts: Math.max(before?.attempts ?? 0, trace.attempts ?? 0),
      ...(trace.reason === undefined ? {} : { reason: trace.reason }),
    });
    return [{ traceId, spans: trace.spans }];
  } catch (error) {
    ledger.drop(1, `spooled record ${record.sequence} is unreadable: ${errorMessage(error)}`);
    return [];
  }
}
