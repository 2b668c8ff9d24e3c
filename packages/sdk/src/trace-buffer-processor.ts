import { diag, trace } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, SdkSpan, SpanExporter, SpanProcessor } from '@aitdr/conventions';
import { RecordingError, StoreUnavailableError } from '@aitdr/conventions';
import type { RecorderStatus, TraceWriter, WriteRequirement } from '@aitdr/conventions';
import { ExportTimeout, exportSpans, isTraceWriter } from './export-spans.js';
import { StageAttributeChecker } from './attribute-checker.js';
import { SpanRedactor } from './redaction.js';
import type {
  BackgroundMode,
  IncompleteFlushReason,
  ProcessorCounters,
  RecordingMode,
  SystemStatus,
  TraceBufferProcessorOptions,
} from './types.js';

/** Ended spans of one trace whose local root has not ended yet. */
interface OpenTrace {
  readonly spans: ReadableSpan[];
  /** When its first held span arrived (ms since epoch). */
  readonly openedAt: number;
}

/** How a Recorder asked for one trace to be exported, keyed by its root span. */
interface TraceRegistration {
  readonly mode: RecordingMode;
  readonly written?: Deferred;
}

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(error: RecordingError): void;
}

/** One export call waiting its turn: exports run one at a time, as the SpanExporter contract asks. */
interface ExportJob {
  readonly spans: ReadableSpan[];
  readonly requirement: WriteRequirement;
  readonly written: readonly Deferred[];
}

const SEEN = 1;
const SEEN_LOCAL_ROOT = 2;
type Seen = typeof SEEN | typeof SEEN_LOCAL_ROOT;
/** A span as this processor marks it (keys are the processor's own symbols). */
interface Marks {
  [key: symbol]: unknown;
}

/** The waiters of a job nobody awaits, shared: a background job allocates no array for them. */
const NO_WAITERS: readonly Deferred[] = Object.freeze([]);

/** A background mode's registration holds nothing of its trace: one shared object per mode. */
const BACKGROUND_REGISTRATIONS: Readonly<Record<BackgroundMode, TraceRegistration>> = {
  async: { mode: 'async' },
  buffered: { mode: 'buffered' },
};

const INCOMPLETE_REASONS: readonly IncompleteFlushReason[] = [
  'maxTraces',
  'maxSpansPerTrace',
  'maxAge',
  'forceFlush',
  'shutdown',
];

/**
 * A SpanProcessor that holds the ended spans of each trace until the trace's local root ends
 * (a span whose parent is absent, remote, or a span this processor never saw start), then hands
 * the whole tree to its exporter in one call. Bounded by open traces, spans per trace and age:
 * a trace reaching a bound is exported as it is (the table exporter stores it as INCOMPLETE and
 * completes it when the rest arrives). Spans are dropped only when the export queue is full too.
 */
export class TraceBufferProcessor implements SpanProcessor {
  readonly exporter: SpanExporter;
  private readonly defaultMode: BackgroundMode;
  private readonly maxTraces: number;
  private readonly maxSpansPerTrace: number;
  private readonly maxTraceAgeMillis: number;
  private readonly maxQueueSize: number;
  private readonly maxExportBatchSize: number;
  private readonly batchSize: number;
  private readonly batchDelayMillis: number;
  private readonly exportLingerMillis: number;
  private readonly exportTimeout: ExportTimeout;
  private readonly forceFlushTimeoutMillis: number;
  private readonly shutdownTimeoutMillis: number;
  private readonly redactor: SpanRedactor | undefined;
  private readonly checker = new StageAttributeChecker();

  /**
   * What this processor knows of a span is kept on the span itself, under keys of this processor
   * (so two processors never mix): whether it saw the span start and whether it is a local root,
   * and a root's registration. Nothing to clean up, and much cheaper on the request path than
   * weak collections.
   */
  private readonly seenKey = Symbol('@aitdr/sdk seen');
  private readonly registrationKey = Symbol('@aitdr/sdk registration');

  /** Insertion order is age order: the first entry is the oldest trace. */
  private readonly openTraces = new Map<string, OpenTrace>();
  private heldInOpenTraces = 0;
  private ageTimer: NodeJS.Timeout | undefined;

  private batch: ReadableSpan[] = [];
  private batchTraces = 0;
  private batchTimer: NodeJS.Timeout | undefined;

  private readonly queue: ExportJob[] = [];
  private queuedSpans = 0;
  private exporting = false;
  /** The job of the export under way, for its outcome's handlers. */
  private exportingJob: ExportJob | undefined;
  private drainScheduled: NodeJS.Immediate | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  /** flushAll calls under way: they export at once, without lingering. */
  private flushes = 0;
  private idleWaiters: (() => void)[] = [];

  private shuttingDown = false;
  private shutdownPromise: Promise<void> | undefined;
  private dropReported = false;
  private lastExportFailed = false;
  private lastError: { message: string; at: string } | undefined;

  private readonly counters = {
    tracesCompleted: 0,
    spansExported: 0,
    exportFailures: 0,
    spansDropped: 0,
    spansEndedAfterShutdown: 0,
    spansTruncated: 0,
    incompleteFlushesByReason: Object.fromEntries(INCOMPLETE_REASONS.map((reason) => [reason, 0])) as Record<
      IncompleteFlushReason,
      number
    >,
  };

  constructor(options: TraceBufferProcessorOptions) {
    this.exporter = options.exporter;
    this.defaultMode = options.mode ?? 'async';
    this.maxTraces = positive('maxTraces', options.maxTraces, 1000);
    this.maxSpansPerTrace = positive('maxSpansPerTrace', options.maxSpansPerTrace, 1000);
    this.maxTraceAgeMillis = positive('maxTraceAgeMillis', options.maxTraceAgeMillis, 300_000);
    this.maxQueueSize = positive('maxQueueSize', options.maxQueueSize, 8192);
    const maxExportBatchSize = positive('maxExportBatchSize', options.maxExportBatchSize, 1024);
    if (maxExportBatchSize > this.maxQueueSize) {
      diag.warn(`@aitdr/sdk: maxExportBatchSize exceeds maxQueueSize; using ${this.maxQueueSize}`);
    }
    this.maxExportBatchSize = Math.min(maxExportBatchSize, this.maxQueueSize);
    this.batchSize = positive('batchSize', options.batchSize, 64);
    this.batchDelayMillis = positive('batchDelayMillis', options.batchDelayMillis, 5000);
    this.exportLingerMillis =
      options.exportLingerMillis === 0 ? 0 : positive('exportLingerMillis', options.exportLingerMillis, 0);
    this.exportTimeout = new ExportTimeout(
      positive('exportTimeoutMillis', options.exportTimeoutMillis, 30_000),
    );
    this.forceFlushTimeoutMillis = positive(
      'forceFlushTimeoutMillis',
      options.forceFlushTimeoutMillis,
      30_000,
    );
    this.shutdownTimeoutMillis = positive('shutdownTimeoutMillis', options.shutdownTimeoutMillis, 30_000);
    this.redactor = options.redaction === undefined ? undefined : new SpanRedactor(options.redaction);
  }

  onStart(span: SdkSpan, parentContext: Context): void {
    if (this.shuttingDown) return;
    const parent = span.parentSpanContext;
    // A parent this processor never saw start (another provider's span) cannot end here, so
    // waiting for it would hold the trace until its age bound: treat the span as the local root.
    const localRoot =
      parent === undefined ||
      parent.isRemote === true ||
      this.seen(trace.getSpan(parentContext)) === undefined;
    (span as unknown as Marks)[this.seenKey] = localRoot ? SEEN_LOCAL_ROOT : SEEN;
  }

  /** How this processor saw `span` start, or undefined when it did not. */
  private seen(span: object | undefined): Seen | undefined {
    return span === undefined ? undefined : ((span as Marks)[this.seenKey] as Seen | undefined);
  }

  onEnd(span: ReadableSpan): void {
    const registration = (span as unknown as Marks)[this.registrationKey] as TraceRegistration | undefined;
    if (this.shuttingDown) {
      this.counters.spansEndedAfterShutdown += 1;
      registration?.written?.reject(shutDownError());
      return;
    }
    const traceId = span.spanContext().traceId;
    if (this.isLocalRoot(span)) {
      const open = this.openTraces.get(traceId);
      let spans: ReadableSpan[];
      if (open === undefined) spans = [span];
      else {
        this.forget(traceId, open);
        // The trace leaves the open ones: its array becomes the export's, no copy.
        spans = open.spans;
        spans.push(span);
      }
      this.counters.tracesCompleted += 1;
      this.dispatchComplete(spans, registration);
      return;
    }
    const open = this.openTrace(traceId);
    open.spans.push(span);
    this.heldInOpenTraces += 1;
    if (open.spans.length >= this.maxSpansPerTrace) this.flushIncomplete(traceId, open, 'maxSpansPerTrace');
  }

  /**
   * Sets how the trace rooted at `rootSpan` is exported; call it right after starting the root.
   * For `sync` it returns a promise that resolves once the whole trace is committed and rejects
   * with a RecordingError when it cannot be (consume it: it may reject). Returns undefined
   * for the other modes. A span this processor did not see start is not its to export: `sync`
   * then rejects at once, the other modes log the misuse through `diag`.
   */
  registerTrace(rootSpan: object, mode: RecordingMode): Promise<void> | undefined {
    if (this.shuttingDown) {
      return mode === 'sync' ? Promise.reject(shutDownError()) : undefined;
    }
    if (this.seen(rootSpan) === undefined) {
      if (mode === 'sync') {
        return Promise.reject(
          new StoreUnavailableError(
            'the TraceBufferProcessor is not a span processor of the recording tracer',
          ),
        );
      }
      diag.warn('@aitdr/sdk: the TraceBufferProcessor is not a span processor of the recording tracer');
      return undefined;
    }
    if (mode !== 'sync') {
      (rootSpan as Marks)[this.registrationKey] = BACKGROUND_REGISTRATIONS[mode];
      return undefined;
    }
    const written = deferred();
    (rootSpan as Marks)[this.registrationKey] = { mode, written };
    return written.promise;
  }

  /** Counters and, when the exporter is a TraceWriter, its status. */
  status(): SystemStatus {
    const writer = isTraceWriter(this.exporter) ? safeStatus(this.exporter) : undefined;
    const shutDown = this.shutdownPromise !== undefined;
    const { incompleteFlushesByReason, ...counts } = this.counters;
    const processor: ProcessorCounters = {
      ...counts,
      tracesHeld: this.openTraces.size,
      spansHeld: this.heldInOpenTraces + this.batch.length + this.queuedSpans,
      incompleteFlushes: INCOMPLETE_REASONS.reduce(
        (sum, reason) => sum + incompleteFlushesByReason[reason],
        0,
      ),
      incompleteFlushesByReason: { ...incompleteFlushesByReason },
    };
    const lastError = writer?.lastError ?? this.lastError;
    return {
      healthy: !shutDown && (writer === undefined ? !this.lastExportFailed : writer.healthy),
      shutDown,
      processor,
      ...(writer === undefined ? {} : { writer, breaker: writer.breaker }),
      ...(lastError === undefined ? {} : { lastError }),
    };
  }

  /**
   * Exports everything held, open traces included (as incomplete: their roots have not ended),
   * and waits for the exports, at most `forceFlushTimeoutMillis`. Never rejects.
   */
  async forceFlush(): Promise<void> {
    await this.flushAll('forceFlush', this.forceFlushTimeoutMillis);
    await this.exporter.forceFlush?.().catch((error: unknown) => reportError('exporter flush failed', error));
  }

  /** Runs once; later calls return the same promise. Never rejects. */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.shutdownOnce();
    return this.shutdownPromise;
  }

  private async shutdownOnce(): Promise<void> {
    this.shuttingDown = true;
    await this.flushAll('shutdown', this.shutdownTimeoutMillis);
    clearTimeout(this.ageTimer);
    clearTimeout(this.batchTimer);
    clearTimeout(this.lingerTimer);
    // What the time allowed no export for is lost: count it and release whoever waits for it.
    for (const job of this.queue.splice(0)) {
      this.counters.spansDropped += job.spans.length;
      for (const written of job.written) written.reject(shutDownError());
    }
    this.queuedSpans = 0;
    if (this.counters.spansDropped > 0) {
      diag.warn(
        `@aitdr/sdk: ${this.counters.spansDropped} spans were dropped because the export queue was full`,
      );
    }
    await this.exporter.shutdown().catch((error: unknown) => reportError('exporter shutdown failed', error));
  }

  private async flushAll(reason: IncompleteFlushReason, timeoutMillis: number): Promise<void> {
    for (const [traceId, open] of [...this.openTraces]) this.flushIncomplete(traceId, open, reason);
    this.flushBatch();
    const idle = this.whenIdle();
    let finished: boolean;
    this.flushes += 1;
    try {
      this.drain();
      finished = await withTimeout(idle, timeoutMillis);
    } finally {
      this.flushes -= 1;
    }
    if (!finished) diag.warn(`@aitdr/sdk: ${reason} gave up waiting for exports after ${timeoutMillis} ms`);
  }

  private isLocalRoot(span: ReadableSpan): boolean {
    const seen = this.seen(span);
    if (seen !== undefined) return seen === SEEN_LOCAL_ROOT;
    // Ended without a start we saw (the processor was added late): judge by the parent alone.
    const parent = span.parentSpanContext;
    return parent === undefined || parent.isRemote === true;
  }

  private openTrace(traceId: string): OpenTrace {
    const existing = this.openTraces.get(traceId);
    if (existing !== undefined) return existing;
    if (this.openTraces.size >= this.maxTraces) {
      const oldest = this.openTraces.entries().next().value;
      if (oldest !== undefined) this.flushIncomplete(oldest[0], oldest[1], 'maxTraces');
    }
    const open: OpenTrace = { spans: [], openedAt: Date.now() };
    this.openTraces.set(traceId, open);
    this.ageTimer ??= this.startAgeTimer(this.maxTraceAgeMillis);
    return open;
  }

  private forget(traceId: string, open: OpenTrace): void {
    this.openTraces.delete(traceId);
    this.heldInOpenTraces -= open.spans.length;
  }

  private flushIncomplete(traceId: string, open: OpenTrace, reason: IncompleteFlushReason): void {
    this.forget(traceId, open);
    if (open.spans.length === 0) return;
    this.counters.incompleteFlushesByReason[reason] += 1;
    this.enqueue({ spans: open.spans, requirement: 'accepted', written: NO_WAITERS });
  }

  /** One timer for the oldest open trace, re-armed for the next oldest. */
  private startAgeTimer(delayMillis: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.ageTimer = undefined;
      const now = Date.now();
      for (const [traceId, open] of [...this.openTraces]) {
        if (now - open.openedAt < this.maxTraceAgeMillis) {
          this.ageTimer = this.startAgeTimer(open.openedAt + this.maxTraceAgeMillis - now);
          return;
        }
        this.flushIncomplete(traceId, open, 'maxAge');
      }
    }, delayMillis);
    timer.unref();
    return timer;
  }

  private dispatchComplete(spans: ReadableSpan[], registration: TraceRegistration | undefined): void {
    const mode = registration?.mode ?? this.defaultMode;
    if (mode === 'buffered') {
      this.batch.push(...spans);
      this.batchTraces += 1;
      if (this.batchTraces >= this.batchSize) this.flushBatch();
      else this.batchTimer ??= unrefTimeout(() => this.flushBatch(), this.batchDelayMillis);
      return;
    }
    const written = registration?.written;
    this.enqueue({
      spans,
      requirement: mode === 'sync' ? 'committed' : 'accepted',
      written: written === undefined ? NO_WAITERS : [written],
    });
  }

  private flushBatch(): void {
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    if (this.batch.length === 0) return;
    const spans = this.batch;
    this.batch = [];
    this.batchTraces = 0;
    this.enqueue({ spans, requirement: 'accepted', written: NO_WAITERS });
  }

  private enqueue(job: ExportJob): void {
    // Someone awaits a committed write: never drop it (its caller bounds how many there are).
    if (job.requirement !== 'committed' && this.queuedSpans + job.spans.length > this.maxQueueSize) {
      this.counters.spansDropped += job.spans.length;
      if (!this.dropReported) {
        this.dropReported = true;
        diag.warn(
          `@aitdr/sdk: export queue full (${this.maxQueueSize} spans); dropping spans until it drains. See status().processor.spansDropped.`,
        );
      }
      return;
    }
    this.queue.push(job);
    this.queuedSpans += job.spans.length;
    this.scheduleDrain();
  }

  /** Exports start on a later turn of the event loop: never inside span.end() on the request path. */
  private scheduleDrain(): void {
    this.drainScheduled ??= setImmediate(() => {
      this.drainScheduled = undefined;
      this.drain();
    });
  }

  /**
   * Whether to wait for more background traces before exporting: only with a linger set, while
   * no committed write (sync mode) or flush waits, and until a full export batch is waiting. Larger
   * requests cost the exporter (and a collector) less per span; the queue's bound is unchanged.
   */
  private shouldLinger(): boolean {
    return (
      this.exportLingerMillis > 0 &&
      this.flushes === 0 &&
      this.queuedSpans < this.maxExportBatchSize &&
      this.queue.every((job) => job.requirement === 'accepted')
    );
  }

  private drain(): void {
    if (this.exporting) return;
    if (this.queue.length > 0 && this.lingerTimer === undefined && this.shouldLinger()) {
      this.lingerTimer = unrefTimeout(() => this.endLinger(), this.exportLingerMillis);
      return;
    }
    if (this.lingerTimer !== undefined) {
      if (this.shouldLinger()) return;
      clearTimeout(this.lingerTimer);
      this.lingerTimer = undefined;
    }
    this.exportNext();
  }

  private endLinger(): void {
    this.lingerTimer = undefined;
    if (!this.exporting) this.exportNext();
  }

  private exportNext(): void {
    const job = this.nextJob();
    if (job === undefined) {
      this.dropReported = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
      return;
    }
    this.exporting = true;
    // `then` rather than `finally`: one promise per export instead of three (with the same rethrow).
    void this.run(job).then(this.afterExport, this.afterFailedRun);
  }

  /** The next export may start; made once, as every export ends here. */
  private readonly afterExport = (): void => {
    this.exporting = false;
    this.exportingJob = undefined;
    this.drain();
  };

  private readonly afterFailedRun = (error: unknown): never => {
    this.afterExport();
    throw error;
  };

  /** The next job; waiting background jobs are merged into one call, up to maxExportBatchSize spans. */
  private nextJob(): ExportJob | undefined {
    const first = this.queue.shift();
    if (first === undefined) return undefined;
    this.queuedSpans -= first.spans.length;
    if (first.requirement === 'committed') return first;
    // A background job's array is its own (a finished trace's or a batch's, handed over; no one
    // awaits it): the others are merged into it, with no copy for the usual lone job.
    const spans = first.spans;
    while (this.queue[0] !== undefined && this.queue[0].requirement === 'accepted') {
      const next: ExportJob = this.queue[0];
      if (spans.length + next.spans.length > this.maxExportBatchSize) break;
      this.queue.shift();
      this.queuedSpans -= next.spans.length;
      spans.push(...next.spans);
    }
    return first;
  }

  /**
   * Starts one export; settles once its outcome is counted. Not an async function awaiting the
   * export: that cost two promises more per export (its own and the await's), for the same turns.
   */
  private run(job: ExportJob): Promise<void> {
    try {
      this.checker.check(job.spans);
      this.counters.spansTruncated += this.checker.countTruncated(job.spans);
      const spans =
        this.redactor === undefined ? job.spans : job.spans.map((span) => this.redactor!.redactSpan(span));
      this.exportingJob = job;
      return exportSpans(this.exporter, spans, job.requirement, this.exportTimeout).then(
        this.exported,
        this.exportFailed,
      );
    } catch (error) {
      // As an async function would: a failure before the export rejects with what was thrown.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- rethrown unchanged
      return Promise.reject(error);
    }
  }

  /** The export under way's outcome (exports run one at a time); made once, as every export ends here. */
  private readonly exported = (): void => {
    const job = this.exportingJob!;
    this.counters.spansExported += job.spans.length;
    this.lastExportFailed = false;
    for (const written of job.written) written.resolve();
  };

  private readonly exportFailed = (error: unknown): void => {
    const job = this.exportingJob!;
    const recordingError = error as RecordingError;
    this.counters.exportFailures += 1;
    this.lastExportFailed = true;
    this.lastError = { message: recordingError.message, at: new Date().toISOString() };
    if (job.written.length > 0) for (const written of job.written) written.reject(recordingError);
    else reportError('export failed', recordingError);
  };

  private whenIdle(): Promise<void> {
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (Number.isFinite(value) && value > 0) return value;
  diag.warn(`@aitdr/sdk: ${name} must be a positive number; using ${fallback}`);
  return fallback;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: RecordingError) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function unrefTimeout(callback: () => void, delayMillis: number): NodeJS.Timeout {
  const timer = setTimeout(callback, delayMillis);
  timer.unref();
  return timer;
}

/** True when `promise` settled within the time, false when the time ran out first. */
async function withTimeout(promise: Promise<void>, timeoutMillis: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = unrefTimeout(() => resolve(false), timeoutMillis);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function shutDownError(): RecordingError {
  return new RecordingError('SHUT_DOWN', 'the recorder was shut down before the trace was written');
}

function safeStatus(writer: TraceWriter): RecorderStatus | undefined {
  try {
    return writer.status();
  } catch (error) {
    diag.error('@aitdr/sdk: the exporter status() threw', error);
    return undefined;
  }
}

/**
 * Failures nobody awaits go to the diag logger: core's global error handler is per copy of
 * `@opentelemetry/core`, which differs between the app's OpenTelemetry line and ours.
 */
function reportError(what: string, error: unknown): void {
  diag.error(`@aitdr/sdk: ${what}`, error);
}
