/** Identifies one record of the intake journal. */
export type JournalId = number;

/** A record as the journal writes it: bytes, or bytes in parts written one after the other (never joined in memory). */
export type JournalRecord = Uint8Array | readonly Uint8Array[];

/**
 * A durable, bounded, append-only record log: the collector journals each request before it
 * acknowledges it, and removes a record once every trace in it has been accepted by the writer.
 */
export interface IntakeJournal {
  /**
   * Appends a record and resolves once it is on disk (fsync'd). Rejects when full or unwritable.
   * Its bytes are written as they are, not copied: they must not change until it resolves.
   */
  append(record: JournalRecord): Promise<JournalId>;
  /** The record is no longer needed. Records may be acknowledged in any order. */
  acknowledge(id: JournalId): Promise<void>;
  /** Records not acknowledged, oldest first (what a crash left behind). */
  replay(): AsyncIterable<{ readonly id: JournalId; readonly payload: Buffer }>;
  readonly bytes: number;
  close(): Promise<void>;
}
