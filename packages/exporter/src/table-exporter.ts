/**
 * The table exporter: an OpenTelemetry `SpanExporter` and the project's `TraceWriter`. It routes:
 * traces go through one lane, a bounded in-memory queue drained in batches of up to `batchSize`
 * traces (waiting `lingerMs` for a batch to fill) to the store writer (breaker → retries →
 * dialect). Where a trace waits or rests when the store does not take it now lives in `keep/`:
 * the spool lane (kept through an outage, replayed), the parking lot (waiting for its query), dead
 * letters (refused), and the ledger behind `status()`. Nothing here throws into the host program:
 * background failures go to `diag`.
 */
import { join } from 'node:path';
import { ExportResultCode, RecordingError, writeSdkSpans } from '@aitdr/conventions';
import type {
  BreakerState,
  DeferredTrace,
  DeferredTraceWriter,
  ExportResult,
  ReadableSpan,
  RecorderStatus,
  SpanExporter,
  TraceWriteResult,
  TraceWriter,
  WriteOptions,
} from '@aitdr/conventions';
import { createDialect } from './dialects/create-dialect.js';
import { DeadLetterStore } from './keep/dead-letter-store.js';
import { DeadLetterLane } from './keep/dead-letters.js';
import type { DeadLetterReplay } from './keep/dead-letters.js';
import { DurableSpool } from './keep/durable-spool.js';
import { mergeSpans } from './keep/kept-pass.js';
import { Ledger, log } from './keep/ledger.js';
import type { ExporterCounters } from './keep/ledger.js';
import { ParkingLot } from './keep/parking-lot.js';
import { outcomePlacer, resultOfWrite } from './keep/placement.js';
import type { PendingTrace, PlaceOutcome, Placement, WriteTraces } from './keep/placement.js';
import { SpoolLane } from './keep/spool-lane.js';
import { countOutsideClosedSets } from './mapping/closed-sets.js';
import { groupByTrace } from './mapping/span-record.js';
import type { SpanRecord } from './mapping/span-record.js';
import type { TraceOutcome } from './store/batch-writer.js';
import { prepareThrough } from './store/write-traces.js';
import type { PreparedWrite } from './store/write-traces.js';
import { errorMessage } from './store/failures.js';
import { SchemaNotReadyError } from './store/store-errors.js';
import { StoreWriter } from './store/store-writer.js';
import { defaultStateDirectory, resolveStore } from './store-url.js';
import { TraceQueue } from './trace-queue.js';
import type { QueuedTrace } from './trace-queue.js';
import { DEFAULTS } from './types.js';
import type { TableExporterOptions } from './types.js';

export type { DeadLetterReplay } from './keep/dead-letters.js';

/** Waits for a write under way; undefined, so that none is under way after. */
async function settled(write: Promise<void> | undefined): Promise<undefined> {
  await write;
  return undefined;
}

/**
 * A deferred trace in the lanes: its records are made each time `spans` is read (mapping, and only
 * when set aside: spooling, parking, dead letters), so none is held between. Spans outside the
 * closed sets are counted the first time, as `writeTraces` counts them at intake.
 */
class DeferredPending implements PendingTrace {
  private counted = false;

  constructor(
    private readonly trace: DeferredTrace,
    private readonly ledger: Ledger,
  ) {}

  get traceId(): string {
    return this.trace.traceId;
  }

  get spans(): readonly SpanRecord[] {
    const spans = this.trace.spans();
    if (!this.counted) {
      this.counted = true;
      this.ledger.counters.outsideClosedSets += countOutsideClosedSets(spans);
    }
    return spans;
  }
}

/** `RecorderStatus` plus what only the table exporter knows. */
export interface TableExporterStatus extends RecorderStatus {
  readonly counters: ExporterCounters;
  /**
   * Traces in the parking lot now: feedback waiting for its query and, with
   * `parking.unattachedSpans`, spans of no stage waiting for their query row
   * (`counters.parkedUnattached` counts those as they are parked).
   */
  readonly parked: { readonly bytes: number; readonly traces: number };
}

export class TableExporter implements SpanExporter, TraceWriter, DeferredTraceWriter {
  private readonly settings: {
    readonly batchSize: number;
    readonly spoolMaxBytes: number;
  };
  private readonly writer: StoreWriter;
  private readonly ledger = new Ledger();
  private readonly deadLetters: DeadLetterLane;
  private readonly spool: SpoolLane;
  private readonly parking: ParkingLot;
  private readonly place: PlaceOutcome;
  /** Resolves once the spool and the parking lot are open, or could not be (then false). */
  private readonly storage: Promise<boolean>;
  private readonly queue: TraceQueue;
  private readonly intakes = new Set<Promise<unknown>>();
  private storeReachable = true;
  /**
   * A write failed for a configuration reason (a privilege, the schema): unhealthy until a write
   * succeeds, even while a readiness probe (a plain SELECT) still gets through.
   */
  private misconfigured = false;
  private draining: Promise<void> | undefined;
  /** The batch taken and mapped while the one before it commits (see `drain`), until its write starts. */
  private mappedNext: readonly QueuedTrace[] | undefined;
  /** Traces put back once behind their query (see `carry`): the next time they are placed as decided. */
  private readonly carried = new WeakSet<QueuedTrace>();
  private drainAgain = false;
  private replayWanted = false;
  private parkPassWanted = false;
  /** Flushes under way: the queue does not linger while there are. */
  private flushing = 0;
  private readonly timers: NodeJS.Timeout[] = [];
  private shuttingDown = false;
  private shutdownDone: Promise<void> | undefined;

  /**
   * Prefer `createTableExporter`, which also takes the store's password from the environment.
   * Nothing connects here.
   */
  constructor(options: TableExporterOptions) {
    const store = resolveStore(options.store);
    const stateDirectory = options.stateDirectory ?? defaultStateDirectory(store);
    this.settings = {
      batchSize: Math.max(1, options.batchSize ?? DEFAULTS.batchSize),
      spoolMaxBytes: options.spool?.maxBytes ?? DEFAULTS.spool.maxBytes,
    };
    this.writer = new StoreWriter(
      createDialect(store, options.installSchema ?? DEFAULTS.installSchema[store.dialect]),
      {
        retries: options.retry?.retries ?? DEFAULTS.retry.retries,
        minDelayMs: options.retry?.minDelayMs ?? DEFAULTS.retry.minDelayMs,
        maxDelayMs: options.retry?.maxDelayMs ?? DEFAULTS.retry.maxDelayMs,
      },
      {
        errorThresholdPercentage:
          options.breaker?.errorThresholdPercentage ?? DEFAULTS.breaker.errorThresholdPercentage,
        volumeThreshold: options.breaker?.volumeThreshold ?? DEFAULTS.breaker.volumeThreshold,
        rollingWindowMs: options.breaker?.rollingWindowMs ?? DEFAULTS.breaker.rollingWindowMs,
        resetTimeoutMs: options.breaker?.resetTimeoutMs ?? DEFAULTS.breaker.resetTimeoutMs,
      },
      {
        retrying: (traces) => {
          this.ledger.counters.retried += traces;
        },
        failed: (error) => {
          this.storeReachable = false;
          if (this.writer.classify(error) === 'configuration') this.misconfigured = true;
          this.noteStoreFailure(error);
        },
        succeeded: () => {
          this.storeReachable = true;
          this.misconfigured = false;
        },
        breakerChanged: (state) => this.breakerChanged(state),
      },
    );
    this.deadLetters = new DeadLetterLane(
      new DeadLetterStore(
        options.deadLetter?.directory ?? join(stateDirectory, 'dead-letter'),
        options.deadLetter?.maxBytes ?? DEFAULTS.deadLetter.maxBytes,
      ),
      this.ledger,
      (error) => this.writer.errorCode(error),
    );
    this.parking = new ParkingLot(
      {
        maxAttempts: options.parking?.maxAttempts ?? DEFAULTS.parking.maxAttempts,
        maxAgeMs: options.parking?.maxAgeMs ?? DEFAULTS.parking.maxAgeMs,
        unattachedSpans: options.parking?.unattachedSpans ?? DEFAULTS.parking.unattachedSpans,
      },
      this.ledger,
      this.deadLetters,
    );
    this.place = outcomePlacer(this.ledger, this.parking, this.deadLetters);
    this.storage = this.openStorage(options, stateDirectory);
    this.spool = new SpoolLane(this.storage, this.ledger);
    this.queue = new TraceQueue(
      {
        batchSize: this.settings.batchSize,
        lingerMs: Math.max(0, options.lingerMs ?? DEFAULTS.lingerMs),
        maxQueuedTraces: Math.max(1, options.maxQueuedTraces ?? DEFAULTS.maxQueuedTraces),
      },
      (traces) => this.spool.keep(traces, 'the write queue is full'),
      () => this.kick(),
    );
    const every = (ms: number, tick: () => void) => this.timers.push(setInterval(tick, ms).unref());
    every(options.replayIntervalMs ?? DEFAULTS.replayIntervalMs, () => {
      if (this.spool.traces > 0) this.wantReplay();
    });
    every(options.parking?.retryIntervalMs ?? DEFAULTS.parking.retryIntervalMs, () => {
      if (this.parking.traces > 0) this.wantParkingPass();
    });
  }

  /** SpanExporter: keeps the spans' traces (committed, or spooled/parked/dead-lettered); FAILED only when they could not be kept. */
  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    // Adapted to span records at the edge (see writeSdkSpans); spans it cannot read answer FAILED.
    let written: Promise<unknown>;
    try {
      written = writeSdkSpans(this, spans, { require: 'accepted' });
    } catch (error) {
      written = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    written.then(
      () => resultCallback({ code: ExportResultCode.SUCCESS }),
      (error: unknown) =>
        resultCallback({
          code: ExportResultCode.FAILED,
          error: error instanceof Error ? error : new Error(String(error)),
        }),
    );
  }

  async writeTraces(spans: readonly SpanRecord[], options: WriteOptions = {}): Promise<TraceWriteResult> {
    if (this.shuttingDown) throw new RecordingError('SHUT_DOWN', 'the table exporter is shut down');
    const require = options.require ?? 'accepted';
    // Shutdown waits for writes that started before it until their traces are queued.
    const intake = this.intake(spans, require === 'committed');
    this.intakes.add(intake);
    try {
      const placements = await Promise.all(await intake);
      return resultOfWrite(placements, require, {
        deadLetterDirectory: this.deadLetters.directory,
        lastError: this.ledger.lastError?.message,
      });
    } finally {
      this.intakes.delete(intake);
    }
  }

  /**
   * Writes one trace whose records are made when the lane maps it (and again only if it is then
   * set aside): from hand-over to commit the exporter holds the trace's compact form, not records.
   */
  async writeDeferredTrace(trace: DeferredTrace, options: WriteOptions = {}): Promise<TraceWriteResult> {
    if (this.shuttingDown) throw new RecordingError('SHUT_DOWN', 'the table exporter is shut down');
    const require = options.require ?? 'accepted';
    this.ledger.counters.received += 1;
    // Queued at once, so a shutdown after this call waits for it (writeTraces tracks its intake for that).
    const placement = this.queue.add(new DeferredPending(trace, this.ledger), require === 'committed');
    return resultOfWrite([await placement], require, {
      deadLetterDirectory: this.deadLetters.directory,
      lastError: this.ledger.lastError?.message,
    });
  }

  /** Queues each trace of the spans; resolves, once queued, with a promise of each one's placement. */
  private intake(records: readonly SpanRecord[], urgent: boolean): Promise<Promise<Placement>[]> {
    const traces = groupByTrace(records);
    this.ledger.counters.received += traces.size;
    this.ledger.counters.outsideClosedSets += countOutsideClosedSets(records);
    return Promise.resolve(
      [...traces].map(([traceId, traceSpans]) => this.queue.add({ traceId, spans: traceSpans }, urgent)),
    );
  }

  status(): TableExporterStatus {
    const breaker = this.writer.state;
    const lastError = this.ledger.lastError;
    return {
      healthy: breaker !== 'open' && this.storeReachable && !this.misconfigured,
      breaker,
      spool: {
        bytes: this.spool.bytes,
        traces: this.spool.traces,
        capacityBytes: this.settings.spoolMaxBytes,
      },
      parked: { bytes: this.parking.bytes, traces: this.parking.traces },
      ...(lastError ? { lastError: { ...lastError } } : {}),
      counters: { ...this.ledger.counters },
    };
  }

  /**
   * Checks now that the store can be reached (one trivial read, no retries) and updates the
   * status's health with the answer. For readiness probes; never rejects.
   */
  async checkStore(): Promise<boolean> {
    if (this.shuttingDown) return false;
    await this.probeStore();
    return this.storeReachable;
  }

  /**
   * Connects now and checks the schema version, installing or upgrading it when `installSchema`
   * says so. Rejects with `SchemaNotReadyError` when the store answers that the schema is missing
   * or older than this recorder: a set-up mistake found at start. Any other failure (the store
   * down, a privilege missing) only shows in the status and the log: traces are then spooled.
   */
  async verifyStore(): Promise<void> {
    if (this.shuttingDown) throw new RecordingError('SHUT_DOWN', 'the table exporter is shut down');
    const failure = await this.probeStore();
    if (failure instanceof SchemaNotReadyError) throw failure;
  }

  /** One probe of the store, its answer kept for the status; resolves with the failure, if any. */
  private async probeStore(): Promise<unknown> {
    try {
      await this.writer.probe();
      this.storeReachable = true;
      return undefined;
    } catch (error) {
      this.storeReachable = false;
      this.noteStoreFailure(error);
      return error;
    }
  }

  /**
   * Writes dead letters again (every one, or those of `traceIds`) once their cause is fixed: a
   * column widened, a query that arrived after its feedback gave up waiting. A letter whose trace
   * is kept again (committed, spooled, parked, or dead-lettered anew with the new reason) is
   * removed from the file; a replay that keeps nothing leaves its letter as it was. The file is
   * this exporter's: replay in the process that owns the state directory, or with it stopped.
   */
  async replayDeadLetters(traceIds?: ReadonlySet<string>): Promise<DeadLetterReplay> {
    if (this.shuttingDown) throw new RecordingError('SHUT_DOWN', 'the table exporter is shut down');
    // The spool's lock says this process owns the state directory: rewriting the dead-letter
    // file under another process's open handle would lose what that process appends next.
    if (!(await this.storage)) {
      throw new Error(
        `cannot replay dead letters: ${this.ledger.lastError?.message ?? 'the spool is not open'} (is another process using this state directory?)`,
      );
    }
    return this.deadLetters.replay(traceIds, (trace) => this.queue.add(trace, true));
  }

  /** Writes what is queued, replays the spool while the store takes it, and tries parked traces once. */
  async forceFlush(): Promise<void> {
    if (this.shutdownDone) return this.shutdownDone;
    this.flushing += 1;
    try {
      await this.storage;
      this.replayWanted = true;
      this.parkPassWanted = true;
      this.kick();
      await this.idle();
    } finally {
      this.flushing -= 1;
    }
  }

  /** Writes (or spools) what is queued, stops the timers, closes the pool and the files. Runs once. */
  shutdown(): Promise<void> {
    this.shutdownDone ??= this.close();
    return this.shutdownDone;
  }

  private async close(): Promise<void> {
    this.shuttingDown = true;
    this.queue.endLinger();
    for (const timer of this.timers) clearInterval(timer);
    await Promise.allSettled([...this.intakes]);
    await this.idle();
    await this.writer
      .close()
      .catch((error: unknown) => log.warn(`closing the store: ${errorMessage(error)}`));
    await this.storage; // still opening: closed once open, or its locks would outlive the exporter
    await Promise.all([this.spool.lot?.close(), this.parking.lot?.close(), this.deadLetters.close()]);
  }

  private async openStorage(options: TableExporterOptions, stateDirectory: string): Promise<boolean> {
    try {
      const spool = await DurableSpool.open({
        directory: options.spool?.directory ?? join(stateDirectory, 'spool'),
        maxBytes: this.settings.spoolMaxBytes,
        segmentBytes: options.spool?.segmentBytes ?? DEFAULTS.spool.segmentBytes,
      });
      const parked = await DurableSpool.open({
        directory: options.parking?.directory ?? join(stateDirectory, 'parked'),
        maxBytes: options.parking?.maxBytes ?? DEFAULTS.parking.maxBytes,
      }).catch(async (error: unknown) => {
        await spool.close();
        throw error;
      });
      this.spool.lot = spool;
      this.parking.lot = parked;
      // Traces a previous run spooled or parked are taken up now.
      if (spool.records > 0) this.wantReplay();
      if (parked.records > 0) this.wantParkingPass();
      return true;
    } catch (error) {
      // Writing to the store still works; only keeping traces through an outage does not.
      this.noteError(`cannot open the spool: ${errorMessage(error)}`, 'error');
      return false;
    }
  }

  private wantReplay(): void {
    this.replayWanted = true;
    this.kick();
  }

  private wantParkingPass(): void {
    this.parkPassWanted = true;
    this.kick();
  }

  private breakerChanged(state: BreakerState): void {
    if (state === 'open') log.warn('circuit breaker opened: traces are spooled until the store recovers');
    else this.wantReplay(); // half-open: the next replay batch is the trial
  }

  private kick(): void {
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    this.draining = this.drain()
      .catch((error: unknown) => this.noteError(`background write: ${errorMessage(error)}`, 'error'))
      .finally(() => {
        this.draining = undefined;
        if (this.drainAgain) {
          this.drainAgain = false;
          this.kick();
        }
      });
  }

  private async idle(): Promise<void> {
    this.queue.endLinger();
    while (this.draining) await this.draining;
  }

  /**
   * The lane: fresh traces first, then a replay batch and a parking pass in turn, until none has
   * work. A fresh batch is mapped while the one before it commits (the store works meanwhile);
   * its transaction starts only once that one has ended, so batches still commit one at a time
   * and in order, and each sees what the one before it stored.
   */
  private async drain(): Promise<void> {
    await this.storage;
    let committing: Promise<void> | undefined;
    try {
      for (;;) {
        let worked = false;
        if (this.queue.length > 0) {
          // While a batch commits, the next is taken once full: a smaller one waits for the
          // commit, filling meanwhile, as it did when batches were mapped one after the other.
          if (committing !== undefined) await Promise.race([committing, this.queue.full()]);
          const jobs = await this.queue.take(this.flushing > 0 || this.shuttingDown);
          const write = this.prepareQueued(jobs);
          this.mappedNext = jobs;
          await committing;
          this.mappedNext = undefined;
          committing = this.writeQueued(jobs, write);
          // Awaited before the next write or at the end of the lane, where a failure ends the drain.
          void committing.catch(() => undefined);
          worked = true;
        }
        if ((this.replayWanted || this.parkPassWanted) && !this.shuttingDown)
          committing = await settled(committing);
        if (this.replayWanted && !this.shuttingDown) {
          const replayed =
            this.writer.state !== 'open' &&
            (await this.spool.replay(this.write, this.place, this.settings.batchSize));
          // Nothing replayed (empty, or the store still unavailable): the breaker's half-open event
          // or the replay timer asks again.
          if (!replayed) this.replayWanted = false;
          worked = replayed || worked;
        }
        if (this.parkPassWanted && !this.shuttingDown) {
          this.parkPassWanted = false;
          await this.parking.retry(this.write, this.place, this.settings.batchSize);
        }
        if (!worked) return;
      }
    } finally {
      await committing;
    }
  }

  /** Maps the batch now; a mapping that throws fails its write, as a failed write would. */
  private prepareQueued(jobs: readonly QueuedTrace[]): PreparedWrite {
    try {
      return this.prepareWrite(jobs);
    } catch (error) {
      return () => Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private async writeQueued(jobs: readonly QueuedTrace[], write: PreparedWrite): Promise<void> {
    const byTrace = new Map<string, QueuedTrace[]>();
    for (const job of jobs) byTrace.set(job.traceId, [...(byTrace.get(job.traceId) ?? []), job]);
    let outcomes: Map<string, TraceOutcome> | undefined;
    try {
      outcomes = await write();
    } catch (error) {
      // A bug must not leave a caller waiting forever, nor lose the traces.
      this.noteError(`writing a batch failed unexpectedly: ${errorMessage(error)}`, 'error');
    }
    if (outcomes === undefined) {
      const placement = await this.spool.keep(jobs, 'the store is unavailable');
      for (const job of jobs) job.settle(placement);
      return;
    }
    for (const [traceId, group] of byTrace) {
      const outcome = outcomes.get(traceId);
      if (outcome?.kind === 'parked' && outcome.awaiting !== undefined && this.carry(group, outcome.awaiting))
        continue;
      // Only a trace set aside (parked, dead-lettered, spooled) is kept with its spans; a committed
      // one, nearly every trace, is only counted: its spans are not grouped again for nothing.
      const spans = outcome?.kind === 'committed' ? [] : (mergeSpans(group).get(traceId) ?? []);
      const placement = outcome
        ? await this.place({ traceId, spans }, outcome, { replayed: false })
        : await this.spool.keep(group, 'no outcome was decided');
      for (const job of group) job.settle(placement);
    }
  }

  /**
   * Puts feedback back in the queue, once, when its query's trace is in this lane behind it (queued,
   * or the batch mapped next): the two came close together, the feedback first (in benchmark 3,
   * from requests in flight at once), and the query's batch commits before the feedback's next
   * one. Parked instead, it waited for the parking lot's next pass (`retryIntervalMs`).
   */
  private carry(group: readonly QueuedTrace[], queryId: string): boolean {
    if (group.some((job) => this.carried.has(job))) return false;
    const behind = this.queue.holds(queryId) || this.mappedNext?.some((job) => job.traceId === queryId);
    if (!behind) return false;
    for (const job of group) this.carried.add(job);
    this.queue.putBack(group);
    return true;
  }

  /** Maps traces and returns their write (see `drain`). */
  private readonly prepareWrite = prepareThrough(
    () => this.writer,
    (message, level) => this.noteError(message, level),
  );

  /** The `write` every lane is handed. */
  private readonly write: WriteTraces = async (traces) => this.prepareWrite(traces)();

  /** A configuration error is logged as an error naming its fix: no retry will make it go away. */
  private noteStoreFailure(error: unknown): void {
    const configuration = this.writer.classify(error) === 'configuration';
    this.noteError(`store: ${this.writer.explain(error)}`, configuration ? 'error' : 'warn');
  }

  private noteError(message: string, level: 'warn' | 'error' = 'warn'): void {
    this.ledger.note(message, level);
  }
}
