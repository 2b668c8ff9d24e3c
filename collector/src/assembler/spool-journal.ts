/**
 * The intake journal on the exporter's DurableSpool (one durable log in the project, not two).
 * It adds what the collector needs on top of a FIFO:
 * - group commit: appends that arrive while one is being fsync'd are written together by the
 *   next append, so concurrent requests share an fsync instead of queueing for one each;
 * - acknowledgement in any order: the spool removes a prefix, so a record is released once it
 *   and every record before it are done.
 */
import { diag } from '@opentelemetry/api';
import { DurableSpool } from '@aitdr/exporter';
import type { IntakeJournal, JournalId } from './intake-journal.js';

export interface SpoolJournalOptions {
  readonly directory: string;
  readonly maxBytes: number;
}

interface PendingAppend {
  readonly record: Buffer;
  resolve(id: JournalId): void;
  reject(error: unknown): void;
}

export class SpoolJournal implements IntakeJournal {
  private waiting: PendingAppend[] = [];
  private appending: Promise<void> | undefined;
  /** Acknowledged records not yet releasable because an older one is still outstanding. */
  private readonly done = new Set<JournalId>();
  /** Sequences appended and not yet released, oldest first (Set keeps insertion order). */
  private readonly live = new Set<JournalId>();
  private acknowledging: Promise<void> = Promise.resolve();
  /** Why the last append failed (full, or the disk failed); cleared by the next one that succeeds. What readiness reports. */
  private refusal: string | undefined;

  private constructor(private readonly spool: DurableSpool) {}

  static async open(options: SpoolJournalOptions): Promise<SpoolJournal> {
    return new SpoolJournal(
      await DurableSpool.open({ directory: options.directory, maxBytes: options.maxBytes }),
    );
  }

  get bytes(): number {
    return this.spool.bytes;
  }

  get capacityBytes(): number {
    return this.spool.capacityBytes;
  }

  /** Whether the journal turned the latest request away (full, or the disk failed). */
  get full(): boolean {
    return this.refusal !== undefined;
  }

  /** Why it did, e.g. `ENOSPC: no space left on device, write`; undefined while it accepts. */
  get refusalReason(): string | undefined {
    return this.refusal;
  }

  append(record: Buffer): Promise<JournalId> {
    return new Promise<JournalId>((resolve, reject) => {
      this.waiting.push({ record, resolve, reject });
      this.appending ??= this.flush();
    });
  }

  /** Writes every waiting record in one spool append (one fsync), until none are waiting. */
  private async flush(): Promise<void> {
    while (this.waiting.length > 0) {
      const group = this.waiting;
      this.waiting = [];
      try {
        const ids = await this.spool.append(group.map((pending) => pending.record));
        this.accepting();
        group.forEach((pending, i) => {
          const id = ids[i]!;
          this.live.add(id);
          pending.resolve(id);
        });
      } catch (error) {
        // All or none: the spool wrote nothing of this group.
        this.refusing(error);
        for (const pending of group) pending.reject(error);
      }
    }
    this.appending = undefined;
  }

  /** Logged when it starts and stops, not per request: a full disk must not also fill up with log lines. */
  private refusing(error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error);
    if (this.refusal === undefined) diag.error(`intake journal: refusing requests: ${reason}`);
    this.refusal = reason;
  }

  private accepting(): void {
    if (this.refusal !== undefined) diag.info('intake journal: accepting requests again');
    this.refusal = undefined;
  }

  acknowledge(id: JournalId): Promise<void> {
    if (!this.live.has(id)) return this.acknowledging;
    this.done.add(id);
    let through: JournalId | undefined;
    for (const oldest of this.live) {
      if (!this.done.has(oldest)) break;
      through = oldest;
    }
    if (through === undefined) return this.acknowledging;
    for (const released of this.live) {
      if (released > through) break;
      this.live.delete(released);
      this.done.delete(released);
    }
    const sequence = through;
    this.acknowledging = this.acknowledging
      .then(() => this.spool.acknowledge(sequence))
      .then(
        // Space was freed: let the next request try (readiness must not stay stuck on a stale "full").
        () => this.accepting(),
        (error: unknown) => {
          // The records stay in the spool and are replayed after a restart (writes are idempotent).
          diag.error(`intake journal: acknowledging record ${sequence} failed: ${(error as Error).message}`);
        },
      );
    return this.acknowledging;
  }

  async *replay(): AsyncIterable<{ readonly id: JournalId; readonly payload: Buffer }> {
    // The spool reads from its head without consuming; everything it holds is what a crash left.
    for (const record of await this.spool.read()) {
      this.live.add(record.sequence);
      yield { id: record.sequence, payload: record.data };
    }
  }

  async close(): Promise<void> {
    await this.appending;
    await this.acknowledging;
    await this.spool.close();
  }
}
