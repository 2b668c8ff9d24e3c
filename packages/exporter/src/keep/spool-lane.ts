/**
 * The spool lane: traces the store cannot take now (down, misconfigured, the queue full) are kept
 * on the durable spool, and replayed oldest first once it takes them again. A trace that cannot be
 * spooled either (the spool full or unopened) is dropped: counted, and its writer told.
 */
import { SpoolFullError } from '@aitdr/conventions';
import { errorMessage } from '../store/failures.js';
import type { DurableSpool } from './durable-spool.js';
import { passKeptBatch } from './kept-pass.js';
import type { Ledger } from './ledger.js';
import type { KeptTrace, PendingTrace, PlaceOutcome, Placement, WriteTraces } from './placement.js';

export class SpoolLane {
  /** Set once the spool is open; undefined when it could not be (then spooling drops). */
  lot: DurableSpool | undefined;

  constructor(
    /** Resolves once the spool's opening has been tried, opened or not. */
    private readonly opening: Promise<unknown>,
    private readonly ledger: Ledger,
  ) {}

  get traces(): number {
    return this.lot?.records ?? 0;
  }

  get bytes(): number {
    return this.lot?.bytes ?? 0;
  }

  /** Keeps the traces on the spool, many per append (one fsync); `why` is what the log says when it cannot. */
  async keep(traces: readonly PendingTrace[], why: string): Promise<Placement> {
    await this.opening;
    const records = traces.map((t) => JSON.stringify({ spans: t.spans } satisfies KeptTrace));
    try {
      if (this.lot === undefined) throw new SpoolFullError('the spool could not be opened');
      await this.lot.append(records);
    } catch (error) {
      return this.ledger.drop(
        traces.length,
        `${traces.length} trace(s) lost: ${why} and ${errorMessage(error)}`,
        error,
      );
    }
    this.ledger.counters.spooled += traces.length;
    return 'spooled';
  }

  /** Replays one batch of the oldest spooled traces; false when there was nothing to do or the store is still unavailable. */
  async replay(write: WriteTraces, place: PlaceOutcome, batchSize: number): Promise<boolean> {
    if (this.lot === undefined || this.lot.records === 0) return false;
    const done = await passKeptBatch(this.lot, {
      version: 'replay',
      records: batchSize,
      write,
      place,
      ledger: this.ledger,
    });
    return done !== undefined && done > 0;
  }
}
