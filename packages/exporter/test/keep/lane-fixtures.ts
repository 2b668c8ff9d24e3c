/**
 * What the keep/ lane tests share: small span records, a fake `write` that answers each trace
 * with the outcome a test gives it (or leaves the store unavailable) and records what reached it,
 * and the lanes on real spool files in a temporary directory. No database.
 */
import { join } from 'node:path';
import { DeadLetterStore } from '../../src/keep/dead-letter-store.js';
import { DeadLetterLane } from '../../src/keep/dead-letters.js';
import { DurableSpool } from '../../src/keep/durable-spool.js';
import { Ledger } from '../../src/keep/ledger.js';
import { ParkingLot } from '../../src/keep/parking-lot.js';
import type { ParkingSettings } from '../../src/keep/parking-lot.js';
import { outcomePlacer } from '../../src/keep/placement.js';
import type { PendingTrace, PlaceOutcome, WriteTraces } from '../../src/keep/placement.js';
import { SpoolLane } from '../../src/keep/spool-lane.js';
import type { SpanRecord } from '../../src/mapping/span-record.js';
import type { TraceOutcome } from '../../src/store/batch-writer.js';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';

/** A trace of one span; `parent` makes it a span whose root is elsewhere. */
export function trace(traceId: string, options: { parent?: string } = {}): PendingTrace {
  const span: SpanRecord = {
    traceId,
    spanId: `${traceId.slice(0, 15)}1`,
    ...(options.parent === undefined ? {} : { parentSpanId: options.parent }),
    name: 'text_to_sql.query',
    kind: 0,
    startTime: [1, 0],
    endTime: [2, 0],
    duration: [1, 0],
    status: { code: 0 },
    attributes: {},
    events: [],
    links: [],
    resource: {},
    scope: { name: 'lane-tests' },
  };
  return { traceId, spans: [span] };
}

export const traceId = (n: number) => n.toString(16).padStart(32, '0');

/** The store, faked: `answer` decides each trace's outcome; undefined for a batch is "unavailable". */
export class FakeStore {
  /** Each call's trace IDs, in order. */
  readonly batches: string[][] = [];
  available = true;
  answer: (traceId: string) => TraceOutcome = () => ({ kind: 'committed' });

  readonly write: WriteTraces = (traces) => {
    this.batches.push(traces.map((t) => t.traceId));
    if (!this.available) return Promise.resolve(undefined);
    return Promise.resolve(new Map(traces.map((t) => [t.traceId, this.answer(t.traceId)])));
  };
}

export interface Lanes {
  readonly ledger: Ledger;
  readonly store: FakeStore;
  readonly spool: SpoolLane;
  readonly parking: ParkingLot;
  readonly deadLetters: DeadLetterLane;
  readonly deadLetterDirectory: string;
  readonly place: PlaceOutcome;
  close(): Promise<void>;
}

/** The lanes as the table exporter wires them, on spools in a fresh temporary directory. */
export async function openLanes(parking: Partial<ParkingSettings> = {}): Promise<Lanes> {
  const dir = createTemporaryDirectory('aitdr-keep-');
  const ledger = new Ledger();
  const store = new FakeStore();
  const deadLetterDirectory = join(dir.path, 'dead-letter');
  const deadLetters = new DeadLetterLane(
    new DeadLetterStore(deadLetterDirectory, 1 << 20),
    ledger,
    (error) => (error as { code?: string }).code,
  );
  const lot = new ParkingLot(
    { maxAttempts: 3, maxAgeMs: 60_000, unattachedSpans: false, ...parking },
    ledger,
    deadLetters,
  );
  lot.lot = await DurableSpool.open({ directory: join(dir.path, 'parked'), maxBytes: 1 << 20 });
  const spoolFile = await DurableSpool.open({ directory: join(dir.path, 'spool'), maxBytes: 1 << 20 });
  const spool = new SpoolLane(Promise.resolve(), ledger);
  spool.lot = spoolFile;
  return {
    ledger,
    store,
    spool,
    parking: lot,
    deadLetters,
    deadLetterDirectory,
    place: outcomePlacer(ledger, lot, deadLetters),
    async close() {
      await Promise.all([spoolFile.close(), lot.lot?.close(), deadLetters.close()]);
      dir.remove();
    },
  };
}
