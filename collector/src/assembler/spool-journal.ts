/**
 * The intake journal on the exporter's DurableSpool (one durable log in the project, not two),
 * whose group commit it uses: requests journaled while another is being fsync'd share the next
 * fsync, and acknowledgements made meanwhile share one head write. It adds what the collector
 * needs on top of a FIFO: acknowledgement in any order (the spool removes a prefix, so a record is
 * released once it and every record before it are done), and readiness when it refuses requests.
 */
import { diag } from '@opentelemetry/api';
import { SpoolFullError } from '@aitdr/conventions';
import { DurableSpool } from '@aitdr/exporter';
import type { IntakeJournal, JournalId, JournalRecord } from './intake-journal.js';

export interface SpoolJournalOptions {
  readonly directory: string;
  readonly maxBytes: number;
}

/** How long a disk error keeps readiness failing after the last append that met it: the Retry-After clients get. */
const DISK_REFUSAL_HOLD_MS = 5000;

export class SpoolJournal implements IntakeJournal {
  /** Acknowledged records not yet releasable because an older one is still outstanding. */
  private readonly done = new Set<JournalId>();
  /** Sequences appended and not yet released, oldest first (Set keeps insertion order). */
  private readonly live = new Set<JournalId>();
  private acknowledging: Promise<void> = Promise.resolve();
  private readonly appends = new Set<Promise<unknown>>();
  /** Why the last append failed (full, or the disk failed); cleared by the next one that succeeds. What readiness reports. */
  private refusal: string | undefined;
  /** Whether the refusal was the journal's own byte bound, which an acknowledgement frees. */
  private refusedForCapacity = false;
  /** The last disk error an append met, and when (ms): readiness reports it for a while. */
  private diskRefusal: { readonly reason: string; readonly at: number } | undefined;

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

  /** Fsyncs of the journal's spool since it was opened (appends and acknowledgements, grouped). */
  get syncs(): number {
    return this.spool.syncs;
  }

  /**
   * Whether the journal turned the latest request away (full, or the disk failed), or met a disk
   * error within DISK_REFUSAL_HOLD_MS. On a nearly full disk a small append can still fit in the
   * last page of a segment while the next one fails: readiness must not flap to ready on those.
   */
  get full(): boolean {
    return this.refusalReason !== undefined;
  }

  /** Why it did, e.g. `ENOSPC: no space left on device, write`; undefined while it accepts. */
  get refusalReason(): string | undefined {
    if (this.refusal !== undefined) return this.refusal;
    const disk = this.diskRefusal;
    return disk !== undefined && Date.now() - disk.at < DISK_REFUSAL_HOLD_MS ? disk.reason : undefined;
  }

  async append(record: JournalRecord): Promise<JournalId> {
    const appended = this.spool.append([record]);
    this.appends.add(appended);
    try {
      const [id] = await appended;
      this.accepting();
      this.live.add(id!);
      return id!;
    } catch (error) {
      this.refusing(error);
      throw error;
    } finally {
      this.appends.delete(appended);
    }
  }

  /** Logged when it starts and stops, not per request: a full disk must not also fill up with log lines. */
  private refusing(error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error);
    if (this.refusal === undefined) diag.error(`intake journal: refusing requests: ${reason}`);
    this.refusal = reason;
    this.refusedForCapacity = error instanceof SpoolFullError;
    if (!this.refusedForCapacity) this.diskRefusal = { reason, at: Date.now() };
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
    // Not chained behind the previous acknowledgement: the spool joins those made meanwhile.
    this.acknowledging = this.spool.acknowledge(sequence).then(
      // Room under the byte bound was freed: let the next request try (readiness must not stay
      // stuck on a stale "full"). A disk error (ENOSPC) is another matter: the head is rewritten
      // in place, so an acknowledgement succeeds on a full disk and frees none of it; only an
      // append that succeeds says the disk takes writes again.
      () => {
        if (this.refusedForCapacity) this.accepting();
      },
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
    await Promise.allSettled([...this.appends]);
    await this.acknowledging;
    await this.spool.close();
  }
}
