/**
 * The table exporter: an OpenTelemetry `SpanExporter` and the project's `TraceWriter`. Traces go
 * through one lane: a bounded in-memory queue, batches of `batchSize` traces, the store writer
 * (breaker → retries → dialect). What the store cannot take now goes to the durable spool and is
 * replayed; feedback waiting for its query is parked and retried; data the store refuses is
 * dead-lettered. Nothing here throws into the host program: background failures go to `diag`.
 */
import { join } from 'node:path';
import { diag } from '@opentelemetry/api';
import { ExportResultCode } from '@aitdr/conventions';
import type { ExportResult, ReadableSpan, SpanExporter } from '@aitdr/conventions';
import { RecordingError, SpoolFullError, StoreUnavailableError } from '@aitdr/conventions';
import type {
  BreakerState,
  RecorderCounters,
  RecorderStatus,
  TraceWriteResult,
  TraceWriter,
  WriteOptions,
  WriteRequirement,
} from '@aitdr/conventions';
import { DeadLetterStore } from './dead-letter/dead-letter-store.js';
import type { DeadLetter } from './dead-letter/dead-letter-store.js';
import { createDialect } from './dialects/create-dialect.js';
import { countOutsideClosedSets } from './mapping/closed-sets.js';
import { groupByTrace, toSpanRecord, toSpanRecords } from './mapping/span-record.js';
import type { SpanRecord } from './mapping/span-record.js';
import { mapTrace } from './mapping/trace-mapper.js';
import type { MappedTrace } from './mapping/trace-mapper.js';
import { DurableSpool } from './spool/durable-spool.js';
import type { SpoolRecord } from './spool/durable-spool.js';
import type { TraceOutcome } from './store/batch-writer.js';
import { errorCode, errorMessage } from './store/failures.js';
import { SchemaNotReadyError } from './store/store-errors.js';
import { StoreWriter } from './store/store-writer.js';
import { defaultStateDirectory, resolveStore } from './store-url.js';
import { DEFAULTS } from './types.js';
import type { TableExporterOptions } from './types.js';

/** `RecorderStatus` plus what only the table exporter knows. */
export interface TableExporterStatus extends RecorderStatus {
  readonly counters: RecorderCounters & {
    /** Traces with no stage span whose query is not stored: not recorder traces, not kept. */
    readonly ignored: number;
    /**
     * Attribute values outside their closed set (`model.source` other than `api`/`local`), as
     * received: each is kept in its row's ATTRIBUTES, its column NULL.
     */
    readonly outsideClosedSets: number;
  };
  /** Feedback traces waiting for their query. */
  readonly parked: { readonly bytes: number; readonly traces: number };
}

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

/** Where one trace of a write ended up. */
type Placement =
  'committed' | 'ignored' | 'spooled' | 'parked' | 'dead-lettered' | { readonly dropped: RecordingError };

interface Job {
  readonly traceId: string;
  readonly spans: readonly SpanRecord[];
  settle(placement: Placement): void;
}

/** A trace to write, from the queue, the spool or the parking lot. */
interface PendingTrace {
  readonly traceId: string;
  readonly spans: readonly SpanRecord[];
}

/** What the spool and the parking lot keep per trace. */
interface KeptTrace {
  readonly spans: readonly SpanRecord[];
  /** Parking lot only: when it was first parked (epoch ms), tries so far, and why. */
  readonly parkedAt?: number;
  readonly attempts?: number;
  readonly reason?: string;
}

interface Storage {
  readonly spool: DurableSpool;
  readonly parked: DurableSpool;
}

type MutableCounters = { -readonly [K in keyof TableExporterStatus['counters']]: number };

const log = diag.createComponentLogger({ namespace: '@aitdr/exporter' });

const UNATTACHED_REASON = 'spans of no stage wait for their query row';

function mergeSpans(traces: readonly PendingTrace[]): Map<string, SpanRecord[]> {
  return groupByTrace(traces.flatMap((t) => t.spans));
}

export class TableExporter implements SpanExporter, TraceWriter {
  private readonly settings: {
    readonly batchSize: number;
    readonly maxQueuedTraces: number;
    readonly spoolMaxBytes: number;
    readonly parking: {
      readonly maxAttempts: number;
      readonly maxAgeMs: number;
      readonly unattachedSpans: boolean;
    };
  };
  private readonly writer: StoreWriter;
  private readonly deadLetters: DeadLetterStore;
  private readonly storage: Promise<Storage | undefined>;
  private opened: Storage | undefined;
  private readonly queue: Job[] = [];
  private readonly intakes = new Set<Promise<unknown>>();
  private readonly counters: MutableCounters = {
    received: 0,
    written: 0,
    retried: 0,
    spooled: 0,
    replayed: 0,
    parked: 0,
    deadLettered: 0,
    dropped: 0,
    ignored: 0,
    outsideClosedSets: 0,
  };
  private lastError: { message: string; at: string } | undefined;
  private storeReachable = true;
  /**
   * A write failed for a configuration reason (a privilege, the schema): unhealthy until a write
   * succeeds, even while a readiness probe (a plain SELECT) still gets through.
   */
  private misconfigured = false;
  private draining: Promise<void> | undefined;
  /** Traces past the queue's limit, on their way to the spool. */
  private overflow: Job[] = [];
  private overflowSpooling: Promise<void> | undefined;
  private drainAgain = false;
  private replayWanted = false;
  private parkPassWanted = false;
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
      maxQueuedTraces: Math.max(1, options.maxQueuedTraces ?? DEFAULTS.maxQueuedTraces),
      spoolMaxBytes: options.spool?.maxBytes ?? DEFAULTS.spool.maxBytes,
      parking: {
        maxAttempts: options.parking?.maxAttempts ?? DEFAULTS.parking.maxAttempts,
        maxAgeMs: options.parking?.maxAgeMs ?? DEFAULTS.parking.maxAgeMs,
        unattachedSpans: options.parking?.unattachedSpans ?? DEFAULTS.parking.unattachedSpans,
      },
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
          this.counters.retried += traces;
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
    this.deadLetters = new DeadLetterStore(
      options.deadLetter?.directory ?? join(stateDirectory, 'dead-letter'),
      options.deadLetter?.maxBytes ?? DEFAULTS.deadLetter.maxBytes,
    );
    this.storage = this.openStorage(options, stateDirectory);
    const every = (ms: number, tick: () => void) => this.timers.push(setInterval(tick, ms).unref());
    every(options.replayIntervalMs ?? DEFAULTS.replayIntervalMs, () => {
      if ((this.opened?.spool.records ?? 0) > 0) this.wantReplay();
    });
    every(options.parking?.retryIntervalMs ?? DEFAULTS.parking.retryIntervalMs, () => {
      if ((this.opened?.parked.records ?? 0) > 0) {
        this.parkPassWanted = true;
        this.kick();
      }
    });
  }

  /** SpanExporter: keeps the spans' traces (committed, or spooled/parked/dead-lettered); FAILED only when they could not be kept. */
  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    // Adapted at the edge; synchronously when no resource is still resolving, so a write begun
    // before a shutdown is one the shutdown waits for. Spans it cannot read answer FAILED.
    let written: Promise<unknown>;
    try {
      written = spans.some((span) => span.resource.asyncAttributesPending)
        ? toSpanRecords(spans).then((records) => this.writeTraces(records, { require: 'accepted' }))
        : this.writeTraces(spans.map(toSpanRecord), { require: 'accepted' });
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
    // Shutdown waits for writes that started before it until their traces are queued.
    const intake = this.intake(spans);
    this.intakes.add(intake);
    try {
      const placements = await Promise.all(await intake);
      return this.outcomeOfWrite(placements, options.require ?? 'accepted');
    } finally {
      this.intakes.delete(intake);
    }
  }

  /** Queues each trace of the spans; resolves, once queued, with a promise of each one's placement. */
  private intake(records: readonly SpanRecord[]): Promise<Promise<Placement>[]> {
    const traces = groupByTrace(records);
    this.counters.received += traces.size;
    this.counters.outsideClosedSets += countOutsideClosedSets(records);
    return Promise.resolve(
      [...traces].map(
        ([traceId, traceSpans]) =>
          new Promise<Placement>((settle) => this.enqueue({ traceId, spans: traceSpans, settle })),
      ),
    );
  }

  status(): TableExporterStatus {
    const breaker = this.writer.state;
    const spool = this.opened?.spool;
    const parked = this.opened?.parked;
    return {
      healthy: breaker !== 'open' && this.storeReachable && !this.misconfigured,
      breaker,
      spool: {
        bytes: spool?.bytes ?? 0,
        traces: spool?.records ?? 0,
        capacityBytes: this.settings.spoolMaxBytes,
      },
      parked: { bytes: parked?.bytes ?? 0, traces: parked?.records ?? 0 },
      ...(this.lastError ? { lastError: { ...this.lastError } } : {}),
      counters: { ...this.counters },
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
    if ((await this.storage) === undefined) {
      throw new Error(
        `cannot replay dead letters: ${this.lastError?.message ?? 'the spool is not open'} (is another process using this state directory?)`,
      );
    }
    const chosen = (await this.deadLetters.read()).filter(
      ({ letter }) => traceIds === undefined || traceIds.has(letter.traceId),
    );
    const placements = await Promise.all(
      chosen.map(
        ({ letter }) =>
          new Promise<Placement>((settle) =>
            this.enqueue({ traceId: letter.traceId, spans: letter.spans, settle }),
          ),
      ),
    );
    const keptAgain = (placement: Placement) => typeof placement === 'string' && placement !== 'ignored';
    const replaced = new Set(chosen.filter((_, i) => keptAgain(placements[i]!)).map((c) => c.line));
    if (replaced.size > 0) await this.deadLetters.remove(replaced);
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
      remaining: (await this.deadLetters.read()).map(({ letter }) => letter),
    };
  }

  /** Writes what is queued, replays the spool while the store takes it, and tries parked traces once. */
  async forceFlush(): Promise<void> {
    if (this.shutdownDone) return this.shutdownDone;
    await this.storage;
    this.replayWanted = true;
    this.parkPassWanted = true;
    this.kick();
    await this.idle();
  }

  /** Writes (or spools) what is queued, stops the timers, closes the pool and the files. Runs once. */
  shutdown(): Promise<void> {
    this.shutdownDone ??= this.close();
    return this.shutdownDone;
  }

  private async close(): Promise<void> {
    this.shuttingDown = true;
    for (const timer of this.timers) clearInterval(timer);
    await Promise.allSettled([...this.intakes]);
    await this.idle();
    await this.writer
      .close()
      .catch((error: unknown) => log.warn(`closing the store: ${errorMessage(error)}`));
    const storage = await this.storage;
    await Promise.all([storage?.spool.close(), storage?.parked.close(), this.deadLetters.close()]);
  }

  private async openStorage(
    options: TableExporterOptions,
    stateDirectory: string,
  ): Promise<Storage | undefined> {
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
      this.opened = { spool, parked };
      // Traces a previous run spooled or parked are taken up now.
      if (spool.records > 0) this.wantReplay();
      if (parked.records > 0) {
        this.parkPassWanted = true;
        this.kick();
      }
      return this.opened;
    } catch (error) {
      // Writing to the store still works; only keeping traces through an outage does not.
      this.noteError(`cannot open the spool: ${errorMessage(error)}`, 'error');
      return undefined;
    }
  }

  private enqueue(job: Job): void {
    if (this.queue.length >= this.settings.maxQueuedTraces) {
      // Memory is bounded: past the queue's limit, traces wait on disk instead.
      this.overflow.push(job);
      this.overflowSpooling ??= this.spoolOverflow();
      return;
    }
    this.queue.push(job);
    this.kick();
  }

  /**
   * Spools what overflowed the queue, many traces per append (one fsync), rather than one append
   * per trace: a burst of small traces would otherwise wait on an fsync each.
   */
  private async spoolOverflow(): Promise<void> {
    await Promise.resolve(); // the rest of the burst under way joins this append
    while (this.overflow.length > 0) {
      const jobs = this.overflow;
      this.overflow = [];
      const placement = await this.spool(jobs, 'the write queue is full');
      for (const job of jobs) job.settle(placement);
    }
    this.overflowSpooling = undefined;
  }

  private outcomeOfWrite(placements: readonly Placement[], require: WriteRequirement): TraceWriteResult {
    const count = (placement: Placement) => placements.filter((p) => p === placement).length;
    const result: TraceWriteResult = {
      committed: count('committed'),
      spooled: count('spooled'),
      parked: count('parked'),
      deadLettered: count('dead-lettered'),
    };
    const dropped = placements.find((p): p is { dropped: RecordingError } => typeof p === 'object');
    if (dropped) throw dropped.dropped;
    if (require !== 'committed') return result;
    if (result.deadLettered > 0) {
      throw new RecordingError(
        'DEAD_LETTERED',
        `${result.deadLettered} trace(s) refused by the store; kept in the dead-letter store (${this.deadLetters.directory})`,
      );
    }
    if (result.parked > 0) {
      throw new RecordingError('PARKED', `${result.parked} trace(s) parked until their query is stored`);
    }
    if (result.spooled > 0) {
      throw new StoreUnavailableError(
        `${result.spooled} trace(s) spooled for replay: the store is unavailable${this.lastError ? ` (${this.lastError.message})` : ''}`,
      );
    }
    return result;
  }

  private wantReplay(): void {
    this.replayWanted = true;
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
    while (this.draining) await this.draining;
  }

  /** The lane: fresh traces first, then a replay batch and a parking pass in turn, until none has work. */
  private async drain(): Promise<void> {
    await this.storage;
    for (;;) {
      let worked = false;
      if (this.queue.length > 0) {
        await this.writeQueued(this.queue.splice(0, this.settings.batchSize));
        worked = true;
      }
      if (this.replayWanted && !this.shuttingDown) worked = (await this.replayBatch()) || worked;
      if (this.parkPassWanted && !this.shuttingDown) {
        this.parkPassWanted = false;
        await this.retryParked();
      }
      if (!worked) return;
    }
  }

  private async writeQueued(jobs: readonly Job[]): Promise<void> {
    const byTrace = new Map<string, Job[]>();
    for (const job of jobs) byTrace.set(job.traceId, [...(byTrace.get(job.traceId) ?? []), job]);
    let outcomes: Map<string, TraceOutcome> | undefined;
    try {
      outcomes = await this.writeToStore(jobs);
    } catch (error) {
      // A bug must not leave a caller waiting forever, nor lose the traces.
      this.noteError(`writing a batch failed unexpectedly: ${errorMessage(error)}`, 'error');
    }
    if (outcomes === undefined) {
      const placement = await this.spool(jobs, 'the store is unavailable');
      for (const job of jobs) job.settle(placement);
      return;
    }
    for (const [traceId, group] of byTrace) {
      const outcome = outcomes.get(traceId);
      const spans = mergeSpans(group).get(traceId) ?? [];
      const placement = outcome
        ? await this.place(traceId, spans, outcome, false)
        : await this.spool(group, 'no outcome was decided');
      for (const job of group) job.settle(placement);
    }
  }

  /**
   * Each trace's outcome, or undefined when the store is unavailable: then nothing was decided,
   * and the caller keeps the traces (spools them, or leaves them unacknowledged).
   */
  private async writeToStore(
    traces: readonly PendingTrace[],
  ): Promise<Map<string, TraceOutcome> | undefined> {
    const outcomes = new Map<string, TraceOutcome>();
    const mapped: MappedTrace[] = [];
    for (const [traceId, spans] of mergeSpans(traces)) {
      const trace = mapTrace(spans);
      if (trace.kind === 'mapped') mapped.push(trace);
      else outcomes.set(traceId, { kind: 'dead-lettered', reason: trace.reason });
    }
    try {
      for (const [traceId, outcome] of await this.writer.write(mapped)) outcomes.set(traceId, outcome);
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      this.noteError(error.message);
      return undefined;
    }
    // Every trace must end somewhere; one without an outcome is kept for a later try, not lost.
    const undecided = mapped.filter((trace) => !outcomes.has(trace.traceId)).length;
    if (undecided > 0) {
      this.noteError(`${undecided} trace(s) got no outcome from the store; kept for a later try`, 'error');
      return undefined;
    }
    return outcomes;
  }

  /** Acts on one decided outcome: counts it, parks or dead-letters the trace. */
  private async place(
    traceId: string,
    spans: readonly SpanRecord[],
    outcome: TraceOutcome,
    replayed: boolean,
    parkedBefore?: KeptTrace,
  ): Promise<Placement> {
    switch (outcome.kind) {
      case 'committed':
        this.counters.written += 1;
        if (replayed) this.counters.replayed += 1;
        return 'committed';
      case 'ignored':
        // Parked only when the trace's root is not among them: then the rest of the trace, its
        // query span perhaps, went elsewhere. With its root and no stage it is no recorder trace.
        if (this.settings.parking.unattachedSpans && spans.every((span) => span.parentSpanId !== undefined))
          return this.park(traceId, spans, UNATTACHED_REASON, parkedBefore, 'ignore');
        this.counters.ignored += 1;
        return 'ignored';
      case 'parked':
        return this.park(traceId, spans, outcome.reason, parkedBefore);
      case 'dead-lettered':
        return this.deadLetter(traceId, spans, outcome.reason, outcome.error);
    }
  }

  private async park(
    traceId: string,
    spans: readonly SpanRecord[],
    reason: string,
    before?: KeptTrace,
    /** What giving up means: unattached spans are no recorder trace, so they are ignored (counted). */
    giveUp: 'dead-letter' | 'ignore' = 'dead-letter',
  ): Promise<Placement> {
    const attempts = (before?.attempts ?? 0) + 1;
    const parkedAt = before?.parkedAt ?? Date.now();
    const { maxAttempts, maxAgeMs } = this.settings.parking;
    if (attempts >= maxAttempts || Date.now() - parkedAt >= maxAgeMs) {
      if (giveUp === 'ignore') {
        this.counters.ignored += 1;
        log.info(`trace ${traceId} ignored: ${reason}, none after ${attempts} attempt(s)`);
        return 'ignored';
      }
      return this.deadLetter(
        traceId,
        spans,
        `${reason}; gave up after ${attempts} attempt(s) over ${Date.now() - parkedAt} ms`,
      );
    }
    const parked = this.opened?.parked;
    try {
      if (parked === undefined) throw new Error('the parking lot could not be opened');
      const kept: KeptTrace = { spans, parkedAt, attempts, reason };
      await parked.append([JSON.stringify(kept)]);
    } catch (error) {
      return this.deadLetter(traceId, spans, `${reason}; could not be parked: ${errorMessage(error)}`);
    }
    if (before === undefined) this.counters.parked += 1;
    return 'parked';
  }

  private async deadLetter(
    traceId: string,
    spans: readonly SpanRecord[],
    reason: string,
    error?: unknown,
  ): Promise<Placement> {
    const code = (error as { errorNum?: unknown } | undefined)?.errorNum ?? errorCode(error);
    const letter: DeadLetter = {
      deadLetteredAt: new Date().toISOString(),
      traceId,
      reason,
      ...(error === undefined
        ? {}
        : {
            error: {
              message: errorMessage(error),
              ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
            },
          }),
      spans,
    };
    try {
      await this.deadLetters.add([letter]);
    } catch (failure) {
      return this.drop(
        1,
        `trace ${traceId} could not be dead-lettered (${reason}): ${errorMessage(failure)}`,
      );
    }
    this.counters.deadLettered += 1;
    log.warn(`trace ${traceId} dead-lettered: ${reason}`);
    return 'dead-lettered';
  }

  private async spool(traces: readonly PendingTrace[], why: string): Promise<Placement> {
    const spool = (await this.storage)?.spool;
    const records = traces.map((t) => JSON.stringify({ spans: t.spans } satisfies KeptTrace));
    try {
      if (spool === undefined) throw new SpoolFullError('the spool could not be opened');
      await spool.append(records);
    } catch (error) {
      return this.drop(
        traces.length,
        `${traces.length} trace(s) lost: ${why} and ${errorMessage(error)}`,
        error,
      );
    }
    this.counters.spooled += traces.length;
    return 'spooled';
  }

  private drop(traces: number, message: string, cause?: unknown): Placement {
    this.counters.dropped += traces;
    this.noteError(message, 'error');
    return { dropped: cause instanceof SpoolFullError ? cause : new SpoolFullError(message, { cause }) };
  }

  /** Replays the oldest spooled traces; false when there was nothing to do or the store is still unavailable. */
  private async replayBatch(): Promise<boolean> {
    const spool = this.opened?.spool;
    if (spool === undefined || spool.records === 0 || this.writer.state === 'open') {
      this.replayWanted = false;
      return false;
    }
    const records = await spool.read({ records: this.settings.batchSize });
    const traces = records.flatMap((record) => this.decode(record));
    const outcomes = await this.writeToStore(traces);
    if (outcomes === undefined) {
      this.replayWanted = false; // the breaker's half-open event or the replay timer asks again
      return false;
    }
    const spans = mergeSpans(traces);
    for (const [traceId, outcome] of outcomes)
      await this.place(traceId, spans.get(traceId) ?? [], outcome, true);
    const last = records.at(-1);
    if (last) await spool.acknowledge(last.sequence);
    return true;
  }

  /** Tries every parked trace once, in batches; those still waiting go back to the end of the lot. */
  private async retryParked(): Promise<void> {
    const parked = this.opened?.parked;
    for (let remaining = parked?.records ?? 0; parked && remaining > 0;) {
      const records = await parked.read({ records: Math.min(this.settings.batchSize, remaining) });
      if (records.length === 0) return;
      remaining -= records.length;
      const kept = new Map<string, KeptTrace>();
      const traces = records.flatMap((record) => this.decode(record, kept));
      const outcomes = await this.writeToStore(traces);
      if (outcomes === undefined) return; // store unavailable: not an attempt, try again later
      const spans = mergeSpans(traces);
      for (const [traceId, outcome] of outcomes) {
        await this.place(traceId, spans.get(traceId) ?? [], outcome, false, kept.get(traceId));
      }
      const last = records.at(-1);
      if (last) await parked.acknowledge(last.sequence);
    }
  }

  private decode(record: SpoolRecord, kept?: Map<string, KeptTrace>): PendingTrace[] {
    try {
      const trace = JSON.parse(record.data.toString('utf8')) as KeptTrace;
      const traceId = trace.spans[0]?.traceId;
      if (traceId === undefined) return [];
      const before = kept?.get(traceId);
      // Parts of one trace parked apart keep the earliest park time and the most attempts.
      kept?.set(traceId, {
        spans: [],
        parkedAt: Math.min(before?.parkedAt ?? Infinity, trace.parkedAt ?? Date.now()),
        attempts: Math.max(before?.attempts ?? 0, trace.attempts ?? 0),
        ...(trace.reason === undefined ? {} : { reason: trace.reason }),
      });
      return [{ traceId, spans: trace.spans }];
    } catch (error) {
      this.drop(1, `spooled record ${record.sequence} is unreadable: ${errorMessage(error)}`);
      return [];
    }
  }

  /** A configuration error is logged as an error naming its fix: no retry will make it go away. */
  private noteStoreFailure(error: unknown): void {
    const configuration = this.writer.classify(error) === 'configuration';
    this.noteError(`store: ${this.writer.explain(error)}`, configuration ? 'error' : 'warn');
  }

  private noteError(message: string, level: 'warn' | 'error' = 'warn'): void {
    this.lastError = { message, at: new Date().toISOString() };
    log[level](message);
  }
}
