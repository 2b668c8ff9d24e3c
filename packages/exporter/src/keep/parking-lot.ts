/**
 * The parking lot: traces that wait for their query row (feedback that came first; with
 * `parking.unattachedSpans`, spans of no stage whose query another instance writes) are kept on
 * a durable spool of their own and tried again every `retryIntervalMs`, until they are written,
 * their tries or age run out (dead-lettered; unattached spans are ignored), or the lot is full
 * (dead-lettered at once).
 */
import { errorMessage } from '../store/failures.js';
import type { SpanRecord } from '../mapping/span-record.js';
import type { DeadLetterLane } from './dead-letters.js';
import type { DurableSpool } from './durable-spool.js';
import { passKeptBatch } from './kept-pass.js';
import { log } from './ledger.js';
import type { Ledger } from './ledger.js';
import type { KeptTrace, PlaceOutcome, Placement, WriteTraces } from './placement.js';

export interface ParkingSettings {
  readonly maxAttempts: number;
  readonly maxAgeMs: number;
  readonly unattachedSpans: boolean;
}

const UNATTACHED_REASON = 'spans of no stage wait for their query row';

export class ParkingLot {
  /** Set once the lot's spool is open; undefined when it could not be (then parking dead-letters). */
  lot: DurableSpool | undefined;

  constructor(
    private readonly settings: ParkingSettings,
    private readonly ledger: Ledger,
    private readonly deadLetters: DeadLetterLane,
  ) {}

  get parksUnattached(): boolean {
    return this.settings.unattachedSpans;
  }

  get traces(): number {
    return this.lot?.records ?? 0;
  }

  get bytes(): number {
    return this.lot?.bytes ?? 0;
  }

  /** Parks spans of no stage whose root is elsewhere; when their tries run out they are ignored. */
  parkUnattached(traceId: string, spans: readonly SpanRecord[], before?: KeptTrace): Promise<Placement> {
    return this.park(traceId, spans, UNATTACHED_REASON, before, 'ignore');
  }

  async park(
    traceId: string,
    spans: readonly SpanRecord[],
    reason: string,
    before?: KeptTrace,
    /** What giving up means: unattached spans are no recorder trace, so they are ignored (counted). */
    giveUp: 'dead-letter' | 'ignore' = 'dead-letter',
  ): Promise<Placement> {
    const attempts = (before?.attempts ?? 0) + 1;
    const parkedAt = before?.parkedAt ?? Date.now();
    const { maxAttempts, maxAgeMs } = this.settings;
    if (attempts >= maxAttempts || Date.now() - parkedAt >= maxAgeMs) {
      if (giveUp === 'ignore') {
        this.ledger.counters.ignored += 1;
        log.info(`trace ${traceId} ignored: ${reason}, none after ${attempts} attempt(s)`);
        return 'ignored';
      }
      return this.deadLetters.deadLetter(
        traceId,
        spans,
        `${reason}; gave up after ${attempts} attempt(s) over ${Date.now() - parkedAt} ms`,
      );
    }
    try {
      if (this.lot === undefined) throw new Error('the parking lot could not be opened');
      const kept: KeptTrace = { spans, parkedAt, attempts, reason };
      await this.lot.append([JSON.stringify(kept)]);
    } catch (error) {
      return this.deadLetters.deadLetter(
        traceId,
        spans,
        `${reason}; could not be parked: ${errorMessage(error)}`,
      );
    }
    if (before === undefined) {
      this.ledger.counters.parked += 1;
      if (giveUp === 'ignore') this.ledger.counters.parkedUnattached += 1;
    }
    return 'parked';
  }

  /** Tries every parked trace once, in batches; those still waiting go back to the end of the lot. */
  async retry(write: WriteTraces, place: PlaceOutcome, batchSize: number): Promise<void> {
    const lot = this.lot;
    for (let remaining = lot?.records ?? 0; lot && remaining > 0;) {
      const batch = { version: 'parking-retry', write, place, ledger: this.ledger } as const;
      const done = await passKeptBatch(lot, { ...batch, records: Math.min(batchSize, remaining) });
      // Nothing left, or the store is unavailable (not an attempt): try again later.
      if (done === undefined || done === 0) return;
      remaining -= done;
    }
  }
}
