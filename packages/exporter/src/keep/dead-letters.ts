/**
 * The dead-letter lane: traces the store refused for their data, or that waited too long for
 * their query, go to the dead-letter store with their reason; `replay` writes chosen letters again
 * through the exporter's queue and removes those whose trace is kept again.
 */
import type { SpanRecord } from '../mapping/span-record.js';
import { errorMessage } from '../store/failures.js';
import type { DeadLetterStore } from './dead-letter-store.js';
import type { DeadLetter } from './dead-letter-store.js';
import { log } from './ledger.js';
import type { Ledger } from './ledger.js';
import type { PendingTrace, Placement } from './placement.js';

/** What `replayDeadLetters` did, in dead letters (one per trace). */
export interface DeadLetterReplay {
  /** Letters chosen for the replay. */
  readonly replayed: number;
  /** Their traces' rows are now in the store. */
  readonly committed: number;
  /** Kept elsewhere now, so their letters were removed too: on the spool (store down), parked (feedback still waiting for its query). */
  readonly spooled: number;
  readonly parked: number;
  /** Refused again: each has a new letter with today's reason (the old one is removed). */
  readonly deadLettered: number;
  /** Not kept by this replay (ignored or dropped): their letters stay as they were. */
  readonly left: number;
  /** The letters that remain in the file, the new ones included. */
  readonly remaining: readonly DeadLetter[];
}

export class DeadLetterLane {
  constructor(
    private readonly store: DeadLetterStore,
    private readonly ledger: Ledger,
    /** The database's code for a store error (the dialect's classification decides which). */
    private readonly codeOf: (error: unknown) => string | number | undefined,
  ) {}

  get directory(): string {
    return this.store.directory;
  }

  async deadLetter(
    traceId: string,
    spans: readonly SpanRecord[],
    reason: string,
    error?: unknown,
  ): Promise<Placement> {
    const code = error === undefined ? undefined : this.codeOf(error);
    const letter: DeadLetter = {
      deadLetteredAt: new Date().toISOString(),
      traceId,
      reason,
      ...(error === undefined
        ? {}
        : { error: { message: errorMessage(error), ...(code === undefined ? {} : { code }) } }),
      spans,
    };
    try {
      await this.store.add([letter]);
    } catch (failure) {
      return this.ledger.drop(
        1,
        `trace ${traceId} could not be dead-lettered (${reason}): ${errorMessage(failure)}`,
      );
    }
    this.ledger.counters.deadLettered += 1;
    log.warn(`trace ${traceId} dead-lettered: ${reason}`);
    return 'dead-lettered';
  }

  /**
   * Writes the letters of `traceIds` (every one without it) again through `write` (the exporter's
   * queue); a letter whose trace is kept again is removed, one that is not stays as it was.
   */
  async replay(
    traceIds: ReadonlySet<string> | undefined,
    write: (trace: PendingTrace) => Promise<Placement>,
  ): Promise<DeadLetterReplay> {
    const chosen = (await this.store.read()).filter(
      ({ letter }) => traceIds === undefined || traceIds.has(letter.traceId),
    );
    const placements = await Promise.all(
      chosen.map(({ letter }) => write({ traceId: letter.traceId, spans: letter.spans })),
    );
    const keptAgain = (placement: Placement) => typeof placement === 'string' && placement !== 'ignored';
    const replaced = new Set(chosen.filter((_, i) => keptAgain(placements[i]!)).map((c) => c.line));
    if (replaced.size > 0) await this.store.remove(replaced);
    const count = (placement: Placement) => placements.filter((p) => p === placement).length;
    const committed = count('committed');
    if (chosen.length > 0) {
      log.info(`replayed ${chosen.length} dead letter(s): ${committed} committed`);
    }
    return {
      replayed: chosen.length,
      committed,
      spooled: count('spooled'),
      parked: count('parked'),
      deadLettered: count('dead-lettered'),
      left: placements.filter((p) => !keptAgain(p)).length,
      remaining: (await this.store.read()).map(({ letter }) => letter),
    };
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
