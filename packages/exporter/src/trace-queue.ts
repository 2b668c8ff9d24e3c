/**
 * The table exporter's intake: a bounded in-memory queue of traces, taken in batches of up to
 * `batchSize`. A batch waits up to `lingerMs` to fill, so traces arriving one by one share a
 * transaction (the store's cost is per transaction far more than per row), except while a writer
 * waits for its commit, the caller hurries (a flush, the shutdown) or the traces were left behind
 * by a full batch. Past `maxQueuedTraces`, traces go straight to `overflow` (the spool), many per
 * call.
 */
import type { PendingTrace, Placement } from './keep/placement.js';

export interface QueuedTrace extends PendingTrace {
  settle(placement: Placement): void;
}

/**
 * The trace with its settle, its spans read through: a deferred trace (see table-exporter.ts)
 * makes its records when they are read, which a copy of its fields would do at once.
 */
function queued(trace: PendingTrace, settle: (placement: Placement) => void): QueuedTrace {
  return {
    traceId: trace.traceId,
    get spans() {
      return trace.spans;
    },
    settle,
  };
}

export interface TraceQueueSettings {
  readonly batchSize: number;
  readonly lingerMs: number;
  readonly maxQueuedTraces: number;
}

export class TraceQueue {
  private readonly queue: QueuedTrace[] = [];
  private overflowing: QueuedTrace[] = [];
  private overflowSpooling: Promise<void> | undefined;
  /** The wait for a fuller batch; `endLinger` cuts it short. */
  private lingering: { readonly timer: NodeJS.Timeout; readonly done: () => void } | undefined;
  /** Queued traces whose writer waits for the commit: no batch lingers while there are. */
  private urgent = 0;
  /**
   * Traces still queued when the last batch was taken full: they have waited already, so the next
   * batch takes them at once. Otherwise the rest of one large write would wait out the linger for
   * traces that cannot come (the SDK's processor sends its next ones once these are kept).
   */
  private leftBehind = 0;
  /** Resolves once a full batch is queued (see `full`). */
  private filling: { readonly promise: Promise<void>; readonly done: () => void } | undefined;

  constructor(
    private readonly settings: TraceQueueSettings,
    /** Keeps traces that do not fit in memory (on the spool); resolves with where they ended up. */
    private readonly overflow: (traces: readonly QueuedTrace[]) => Promise<Placement>,
    /** Called when traces are queued: the drain loop takes them. */
    private readonly queued: () => void,
  ) {}

  get length(): number {
    return this.queue.length;
  }

  /** Queues one trace; resolves with where it ended up. `urgent`: its writer waits for the commit. */
  add(trace: PendingTrace, urgent: boolean): Promise<Placement> {
    return new Promise<Placement>((resolve) => {
      if (this.queue.length >= this.settings.maxQueuedTraces) {
        // Memory is bounded: past the queue's limit, traces wait on disk instead.
        this.overflowing.push(queued(trace, resolve));
        this.overflowSpooling ??= this.spoolOverflow();
        return;
      }
      if (urgent) this.urgent += 1;
      const settle = urgent
        ? (placement: Placement) => {
            this.urgent -= 1;
            resolve(placement);
          }
        : resolve;
      this.queue.push(queued(trace, settle));
      if (this.queue.length >= this.settings.batchSize) {
        this.filling?.done();
        this.filling = undefined;
      }
      if (urgent || this.queue.length >= this.settings.batchSize) this.endLinger();
      this.queued();
    });
  }

  /** Whether a trace of `traceId` is queued (not taken yet). */
  holds(traceId: string): boolean {
    return this.queue.some((trace) => trace.traceId === traceId);
  }

  /**
   * Queues traces taken before, behind those queued now, with the settles they had (see
   * `TableExporter`'s carry): no new placement, no overflow to the spool (they were counted in).
   */
  putBack(traces: readonly QueuedTrace[]): void {
    this.queue.push(...traces);
    this.queued();
  }

  /** The next batch, after lingering for a fuller one unless `hurry`; empty when nothing is queued. */
  async take(hurry: boolean): Promise<QueuedTrace[]> {
    const { batchSize, lingerMs } = this.settings;
    const full = this.queue.length >= batchSize;
    const waited = this.leftBehind > 0;
    if (this.queue.length > 0 && lingerMs > 0 && !hurry && !full && !waited && this.urgent === 0) {
      await new Promise<void>((done) => {
        this.lingering = { timer: setTimeout(() => this.endLinger(), lingerMs), done };
      });
    }
    const batch = this.queue.splice(0, batchSize);
    this.leftBehind = this.queue.length;
    return batch;
  }

  /** Resolves once a full batch is queued: at once when one is. */
  full(): Promise<void> {
    if (this.queue.length >= this.settings.batchSize) return Promise.resolve();
    if (this.filling === undefined) {
      let done = () => {};
      const promise = new Promise<void>((resolve) => (done = resolve));
      this.filling = { promise, done };
    }
    return this.filling.promise;
  }

  /** Ends a linger under way: the batch is taken now. */
  endLinger(): void {
    const lingering = this.lingering;
    if (lingering === undefined) return;
    this.lingering = undefined;
    clearTimeout(lingering.timer);
    lingering.done();
  }

  /**
   * Spools what overflowed the queue, many traces per append (one fsync), rather than one append
   * per trace: a burst of small traces would otherwise wait on an fsync each.
   */
  private async spoolOverflow(): Promise<void> {
    await Promise.resolve(); // the rest of the burst under way joins this append
    while (this.overflowing.length > 0) {
      const traces = this.overflowing;
      this.overflowing = [];
      const placement = await this.overflow(traces);
      for (const trace of traces) trace.settle(placement);
    }
    this.overflowSpooling = undefined;
  }
}
