/**
 * Groups spans by trace before they are written, so the table writer sees whole traces even when
 * a client's batch processor splits them over several requests.
 *
 * Durability: every request is appended to the intake journal (fsync'd) before it is
 * acknowledged; a journal record is removed only once every trace it touched has been accepted by
 * the writer (committed, spooled, parked or dead-lettered). After a crash the journal is replayed
 * into the assembler, and idempotent writes make the replay exactly-once in effect.
 */
import { diag } from '@opentelemetry/api';
import { stageOf } from '@aitdr/conventions';
import type { DeferredTraceWriter, SpanRecord, TraceWriter } from '@aitdr/conventions';
import type { OtlpEncoding } from '../otlp/encode-response.js';
import { scanTraceRequest } from '../otlp/decode-trace-request.js';
import type { IntakeSpans } from '../otlp/decode-trace-request.js';
import { WireSpans, decodeWireSpan } from '../otlp/wire-spans.js';
import type { SpanOrigin } from '../otlp/span-builder.js';
import { BackpressureError } from './intake-port.js';
import type { HeldTraces, IntakeRequest, TraceIntake } from './intake-port.js';
import type { IntakeJournal, JournalId } from './intake-journal.js';
import { HeldLogEvents, logEventsOfJournalRecord, logsJournalRecord } from './held-log-events.js';
import type { LogEventCounts, TraceLogEvents } from './held-log-events.js';
import type { LogsIntake, LogsIntakeRequest } from './intake-port.js';
import type { SpanLogEvent } from '../otlp/logs-decode.js';
import { WrittenTraces, mayReceiveLogEvents } from './written-traces.js';

export interface TraceAssemblerOptions {
  /** Quiet time after a trace's last span (once its root is in) before it is written. Default 1000 ms. */
  readonly waitMs?: number;
  /** Longest a trace is held without its root; then it is written as it is. Default 30000 ms. */
  readonly maxWaitMs?: number;
  /**
   * Spans held while their traces gather: past it the oldest traces are written early. Also the
   * bound on spans being written: past it requests get 429 until the writes catch up. So at most
   * about twice this many spans are in memory. Default 200000.
   */
  readonly maxHeldSpans?: number;
  /** Traces being written at once; past it requests wait for room (`maxRoomWaitMs`), then get 429. Default 2000. */
  readonly maxPendingTraces?: number;
  /**
   * How long a request waits for room among the traces being written before it gets 429.
   * Default 5000 ms (OTLP exporters time out after 10 s): a burst slows its senders down by the
   * writes' time instead of sending them away for Retry-After seconds while the store sits idle.
   */
  readonly maxRoomWaitMs?: number;
  /** Log events held waiting for their trace's spans; past it the oldest count as unattached. Default 100000. */
  readonly maxHeldLogEvents?: number;
  /**
   * How long a written trace is kept so log records naming its spans that come later still reach
   * its rows (it is written again with them; the store fills only empty columns). Default
   * `maxWaitMs`.
   */
  readonly keepWrittenMs?: number;
  /**
   * Spans of written traces kept for late log records; past it the oldest trace is let go.
   * Default a quarter of `maxHeldSpans` (50000), so lowering that bound for a small host lowers this.
   */
  readonly maxWrittenSpans?: number;
  /** Clock, for tests. */
  readonly now?: () => number;
}

/**
 * Spans of one trace from one protobuf request, held as their wire bytes: one copy per trace and
 * request (so no request body is kept alive by a span of another trace), with each span's end
 * offset and its origin (resource and scope, shared with the request's other spans). Decoded into
 * records when the trace is written.
 */
class WireChunk {
  constructor(
    readonly bytes: Buffer,
    readonly ends: readonly number[],
    /** One origin for all its spans, or each span's. */
    readonly origins: SpanOrigin | readonly SpanOrigin[],
    /** Whether a span of it has a GenAI span attribute key (see `mayReceiveLogEvents`). */
    readonly genAi: boolean,
  ) {}

  /** Decodes its spans into `records`; returns how many could not be decoded (left out). */
  decodeInto(records: SpanRecord[]): number {
    let undecodable = 0;
    let start = 0;
    const { bytes, ends, origins } = this;
    for (let i = 0; i < ends.length; i++) {
      const end = ends[i]!;
      const origin = Array.isArray(origins)
        ? (origins as readonly SpanOrigin[])[i]!
        : (origins as SpanOrigin);
      try {
        records.push(decodeWireSpan(bytes, start, end, origin));
      } catch (error) {
        // Cannot happen: the scan at intake read every byte the decode reads. Were it to, the
        // trace's other spans are still written, and the journal keeps the request until then.
        diag.error(`span held as bytes could not be decoded, left out: ${(error as Error).message}`);
        undecodable += 1;
      }
      start = end;
    }
    return undecodable;
  }
}

/** Whether log records may come for a trace of these parts after it is written, without decoding it. */
function mayReceiveLogEventsOf(parts: readonly HeldPart[]): boolean {
  return parts.some((part) => (part instanceof WireChunk ? part.genAi : mayReceiveLogEvents([part])));
}

/** What a held trace holds, in arrival order: records (JSON, written again) or wire chunks. */
type HeldPart = SpanRecord | WireChunk;

interface HeldTrace {
  readonly traceId: string;
  readonly parts: HeldPart[];
  /** Spans in `parts`. */
  spanCount: number;
  readonly journalIds: Set<JournalId>;
  readonly firstAt: number;
  lastAt: number;
  hasRoot: boolean;
  /** Late spans of a trace already written: no root will come. */
  readonly late: boolean;
}

/** Seconds clients are told to wait in Retry-After. */
const RETRY_AFTER_SECONDS = 5;
/** Trace IDs remembered after release, so their late spans are written without waiting for a root. */
const REMEMBERED_RELEASED_TRACES = 100_000;

const ENCODING_BYTE: Record<OtlpEncoding, number> = { protobuf: 1, json: 2 };
const ENCODING_PREFIX = { protobuf: Buffer.from([1]), json: Buffer.from([2]) } as const;

/** A journal record: one byte naming the encoding, then the request body as received. */
export function journalRecord(encoding: OtlpEncoding, body: Buffer): Buffer {
  return Buffer.concat(journalParts(encoding, body));
}

/** The same record in its two parts, as the journal writes it: the body is never copied. */
export function journalParts(encoding: OtlpEncoding, body: Buffer): readonly Buffer[] {
  return [ENCODING_PREFIX[encoding], body];
}

/** A journal record's spans, held as a request's are (replay reads what intake read). */
function spansOfRecord(record: Buffer): IntakeSpans {
  return scanTraceRequest(record[0] === ENCODING_BYTE.protobuf ? 'protobuf' : 'json', record.subarray(1))
    .spans;
}

/**
 * A trace released to the writer: its parts as held (records are made when the writer maps it),
 * or its records when log events were attached to them.
 */
interface ReleasedTrace {
  readonly traceId: string;
  readonly parts: readonly HeldPart[];
  readonly spanCount: number;
  readonly journalIds: Set<JournalId>;
  readonly hasRoot: boolean;
  readonly firstAt: number;
}

/**
 * The span a trace waits for: one with no parent, or the query span (the root of a query even
 * when the application continued a trace from elsewhere, whose parent never reaches us).
 */
function isRoot(span: SpanRecord): boolean {
  return span.parentSpanId === undefined || stageOf(span.attributes) === 'query';
}

export class TraceAssembler implements TraceIntake, LogsIntake {
  private readonly waitMs: number;
  private readonly maxWaitMs: number;
  private readonly maxHeldSpans: number;
  private readonly maxPendingTraces: number;
  private readonly maxRoomWaitMs: number;
  private readonly now: () => number;
  /** Requests waiting for room among the traces being written. */
  private roomWaiters: (() => void)[] = [];

  /** Held traces in arrival order (Map keeps insertion order: the first is the oldest). */
  private readonly held = new Map<string, HeldTrace>();
  private heldSpans = 0;
  /** Journal record → traces still to be accepted by the writer. */
  private readonly outstanding = new Map<JournalId, number>();
  private readonly released = new Set<string>();
  /** Log records naming a span, held until their trace is released (see held-log-events.ts). */
  private readonly logEvents: HeldLogEvents;
  /** Written traces kept for log records that come after them (see written-traces.ts). */
  private readonly written: WrittenTraces<HeldPart>;
  private pendingTraces = 0;
  /** Spans of the traces being written: still in memory, like the held ones. */
  private pendingSpans = 0;
  private readonly writes = new Set<Promise<void>>();
  private releasedIncomplete = 0;
  /** Held spans left out of their trace because their bytes could not be decoded at release. */
  private undecodableSpans = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Whether the writer is refusing traces; logged when it starts and stops, not per trace. */
  private refusing = false;

  constructor(
    /** Takes traces as held (`writeDeferredTrace`) when it can; else as records. */
    private readonly writer: TraceWriter | DeferredTraceWriter,
    private readonly journal: IntakeJournal,
    options: TraceAssemblerOptions = {},
  ) {
    this.waitMs = options.waitMs ?? 1000;
    this.maxWaitMs = options.maxWaitMs ?? 30_000;
    this.maxHeldSpans = options.maxHeldSpans ?? 200_000;
    this.maxPendingTraces = options.maxPendingTraces ?? 2000;
    this.maxRoomWaitMs = options.maxRoomWaitMs ?? 5000;
    this.now = options.now ?? Date.now;
    this.logEvents = new HeldLogEvents(options.maxHeldLogEvents ?? 100_000);
    this.written = new WrittenTraces(
      options.keepWrittenMs ?? this.maxWaitMs,
      options.maxWrittenSpans ?? Math.floor(this.maxHeldSpans / 4),
    );
  }

  /** Replays what the journal still holds (after a crash), then releases traces as they come due. */
  async start(tickMs = Math.max(50, Math.min(this.waitMs / 4, 500))): Promise<void> {
    for await (const { id, payload } of this.journal.replay()) {
      const logEvents = logEventsOfJournalRecord(payload);
      if (logEvents) this.addLogEvents(id, logEvents);
      else this.add(id, spansOfRecord(payload));
    }
    this.timer = setInterval(() => this.tick(), tickMs);
    this.timer.unref();
  }

  async accept(request: IntakeRequest): Promise<void> {
    if (this.closed) throw new BackpressureError(503, RETRY_AFTER_SECONDS, 'collector is shutting down');
    if (this.pendingTraces >= this.maxPendingTraces && !(await this.roomWithin(this.maxRoomWaitMs))) {
      throw new BackpressureError(
        429,
        RETRY_AFTER_SECONDS,
        `store is behind: ${this.pendingTraces} traces being written`,
      );
    }
    // Memory: held spans are kept under the bound by writing the oldest traces early; spans being
    // written cannot be let go before the writer takes them, so past the bound requests wait. (A
    // request alone may pass it when nothing is being written: its size is the body cap's to bound.)
    if (this.pendingSpans > 0 && this.pendingSpans + request.spans.length > this.maxHeldSpans) {
      throw new BackpressureError(
        429,
        RETRY_AFTER_SECONDS,
        `store is behind: ${this.pendingSpans} spans being written`,
      );
    }
    let id: JournalId;
    try {
      id = await this.journal.append(journalParts(request.encoding, request.body));
    } catch (error) {
      throw new BackpressureError(
        503,
        RETRY_AFTER_SECONDS,
        `cannot keep traces: ${(error as Error).message}`,
      );
    }
    this.add(id, request.spans);
  }

  /**
   * Journals a logs request, then holds its span events with their traces. Logs take no room
   * among the traces being written, so they wait for nothing but the journal.
   */
  async acceptLogs(request: LogsIntakeRequest): Promise<void> {
    if (this.closed) throw new BackpressureError(503, RETRY_AFTER_SECONDS, 'collector is shutting down');
    let id: JournalId;
    try {
      id = await this.journal.append(logsJournalRecord(request.encoding, request.body));
    } catch (error) {
      throw new BackpressureError(503, RETRY_AFTER_SECONDS, `cannot keep logs: ${(error as Error).message}`);
    }
    this.addLogEvents(id, request.events);
  }

  private addLogEvents(id: JournalId, events: readonly SpanLogEvent[]): void {
    // A trace written and still kept is held again, to be written again with its events.
    for (const traceId of new Set(events.map((e) => e.traceId))) this.holdWrittenAgain(traceId);
    // A trace written and no longer kept cannot take its events: they are counted.
    const holdable = events.filter(({ traceId }) => this.held.has(traceId) || !this.released.has(traceId));
    this.logEvents.unattached += events.length - holdable.length;
    const touched = this.logEvents.add(id, holdable, this.now());
    if (touched.size === 0) void this.journal.acknowledge(id);
    else this.outstanding.set(id, (this.outstanding.get(id) ?? 0) + touched.size);
    // Traces held again count against the span bound like any other (their events go with them).
    this.releaseOverflow();
  }

  /** Holds a written trace that is still kept again, as late spans are held: no root to wait for. */
  private holdWrittenAgain(traceId: string): void {
    if (this.held.has(traceId)) return;
    const now = this.now();
    const written = this.written.take(traceId, now);
    if (written === undefined) return;
    this.held.set(traceId, {
      traceId,
      parts: [...written.parts],
      spanCount: written.spans,
      journalIds: new Set(),
      firstAt: now,
      lastAt: now,
      hasRoot: written.hasRoot,
      late: true,
    });
    this.heldSpans += written.spans;
  }

  /** Counts of log events attached to their spans and of those that could not be. */
  logEventCounts(): LogEventCounts {
    return this.logEvents.counts();
  }

  /** Lets every request waiting for room check again (it waits on when another took the room). */
  private wakeRoomWaiters(): void {
    for (const resolve of this.roomWaiters.splice(0)) resolve();
  }

  /** Whether the traces being written dropped below the bound within `timeoutMs`. */
  private async roomWithin(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.pendingTraces >= this.maxPendingTraces && !this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.roomWaiters.push(resolve);
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
    return !this.closed;
  }

  private add(id: JournalId, spans: IntakeSpans): void {
    const now = this.now();
    const touched = new Set<string>();
    if (spans instanceof WireSpans) {
      this.addWire(id, spans, now, touched);
    } else {
      for (const span of spans) {
        const trace = this.heldTrace(span.traceId, id, now, touched);
        trace.parts.push(span);
        trace.spanCount += 1;
        if (isRoot(span)) trace.hasRoot = true;
      }
    }
    this.heldSpans += spans.length;
    if (touched.size === 0) void this.journal.acknowledge(id);
    else this.outstanding.set(id, (this.outstanding.get(id) ?? 0) + touched.size);
    this.releaseOverflow();
  }

  /** The held trace of `traceId` (made when new), noting this request's journal record in it. */
  private heldTrace(traceId: string, id: JournalId, now: number, touched: Set<string>): HeldTrace {
    let trace = this.held.get(traceId);
    if (trace === undefined) {
      trace = {
        traceId,
        parts: [],
        spanCount: 0,
        journalIds: new Set(),
        firstAt: now,
        lastAt: now,
        hasRoot: false,
        late: this.released.has(traceId),
      };
      this.held.set(traceId, trace);
    }
    trace.lastAt = now;
    if (!trace.journalIds.has(id)) {
      trace.journalIds.add(id);
      touched.add(traceId);
    }
    return trace;
  }

  /** Holds a protobuf request's spans as bytes: one compact copy per trace, the body let go. */
  private addWire(id: JournalId, spans: WireSpans, now: number, touched: Set<string>): void {
    const { body, starts, ends, traceIds, roots, genAi, origins, originIndex } = spans;
    // The spans of each trace, in request order (a request usually carries many traces).
    const byTrace = new Map<string, number[]>();
    for (let i = 0; i < traceIds.length; i++) {
      const traceId = traceIds[i]!;
      const indexes = byTrace.get(traceId);
      if (indexes === undefined) byTrace.set(traceId, [i]);
      else indexes.push(i);
    }
    for (const [traceId, indexes] of byTrace) {
      let size = 0;
      for (const i of indexes) size += ends[i]! - starts[i]!;
      // Its own memory (not a slice of the shared pool), so it goes when this trace does.
      const bytes = Buffer.allocUnsafeSlow(size);
      const chunkEnds: number[] = [];
      let offset = 0;
      let hasRoot = false;
      let anyGenAi = false;
      const first = originIndex[indexes[0]!]!;
      let oneOrigin = true;
      for (const i of indexes) {
        offset += body.copy(bytes, offset, starts[i], ends[i]);
        chunkEnds.push(offset);
        if (roots[i]) hasRoot = true;
        if (genAi[i]) anyGenAi = true;
        if (originIndex[i] !== first) oneOrigin = false;
      }
      const trace = this.heldTrace(traceId, id, now, touched);
      trace.parts.push(
        new WireChunk(
          bytes,
          chunkEnds,
          oneOrigin ? origins[first]! : indexes.map((i) => origins[originIndex[i]!]!),
          anyGenAi,
        ),
      );
      trace.spanCount += indexes.length;
      if (hasRoot) trace.hasRoot = true;
    }
  }

  /** Releases the traces that are due. Called by the timer; public so tests can drive time. */
  tick(): void {
    const now = this.now();
    for (const trace of this.held.values()) {
      const settled = (trace.hasRoot || trace.late) && now - trace.lastAt >= this.waitMs;
      if (settled || now - trace.firstAt >= this.maxWaitMs) this.release(trace);
    }
    for (const expired of this.logEvents.takeExpired(now, this.maxWaitMs, (id) => this.held.has(id)))
      void this.settleJournal(expired.journalIds);
    this.written.expire(now);
  }

  /** Past the span bound, the oldest traces are written as they are rather than dropped. */
  private releaseOverflow(): void {
    for (const trace of this.held.values()) {
      if (this.heldSpans <= this.maxHeldSpans) return;
      this.release(trace);
    }
  }

  private release(held: HeldTrace): void {
    this.held.delete(held.traceId);
    const logEvents: TraceLogEvents | undefined = this.logEvents.take(held.traceId);
    const journalIds = held.journalIds;
    let parts: readonly HeldPart[] = held.parts;
    let spanCount = held.spanCount;
    if (logEvents) {
      // Events are attached to records, so this trace is decoded now and carried as records.
      const records = this.recordsOf(held.parts);
      this.logEvents.attach(records, logEvents);
      for (const id of logEvents.journalIds) journalIds.add(id);
      parts = records;
      spanCount = records.length;
    }
    const trace: ReleasedTrace = {
      traceId: held.traceId,
      parts,
      spanCount,
      journalIds,
      hasRoot: held.hasRoot,
      firstAt: held.firstAt,
    };
    this.heldSpans -= held.spanCount;
    if (!held.hasRoot && !held.late) this.releasedIncomplete += 1;
    this.remember(trace.traceId);
    if (mayReceiveLogEventsOf(held.parts)) {
      // Kept as held (compact), unless events were attached: only the records carry those.
      this.written.remember(trace.traceId, { parts, spans: spanCount, hasRoot: held.hasRoot }, this.now());
    }
    this.pendingTraces += 1;
    this.pendingSpans += spanCount;
    const write = this.write(trace).finally(() => {
      this.pendingTraces -= 1;
      this.pendingSpans -= spanCount;
      this.writes.delete(write);
      // Waiters are woken once there is room, not by every trace written while there is none
      // (each wake cost every waiting request a new promise and timer).
      if (this.pendingTraces < this.maxPendingTraces) this.wakeRoomWaiters();
    });
    this.writes.add(write);
  }

  /** The records of a held trace's parts, in arrival order; undecodable spans counted when `count`. */
  private recordsOf(parts: readonly HeldPart[], count = true): SpanRecord[] {
    const records: SpanRecord[] = [];
    let undecodable = 0;
    for (const part of parts) {
      if (part instanceof WireChunk) undecodable += part.decodeInto(records);
      else records.push(part);
    }
    if (count) this.undecodableSpans += undecodable;
    return records;
  }

  private remember(traceId: string): void {
    this.released.delete(traceId);
    this.released.add(traceId);
    if (this.released.size > REMEMBERED_RELEASED_TRACES) {
      const oldest = this.released.values().next().value;
      if (oldest !== undefined) this.released.delete(oldest);
    }
  }

  private async write(trace: ReleasedTrace): Promise<void> {
    try {
      if ('writeDeferredTrace' in this.writer) {
        // Decoded when the writer maps it, each time it needs the records: the spans that cannot
        // be decoded are counted the first time only (the same ones fail every time).
        const { traceId, parts } = trace;
        let decoded = false;
        await this.writer.writeDeferredTrace(
          {
            traceId,
            spans: () => {
              const records = this.recordsOf(parts, !decoded);
              decoded = true;
              return records;
            },
          },
          { require: 'accepted' },
        );
      } else {
        await this.writer.writeTraces(this.recordsOf(trace.parts), { require: 'accepted' });
      }
    } catch (error) {
      // The writer could not keep the trace (store down and spool full): it stays in the journal
      // and in memory, and is tried again after the wait; new requests meanwhile meet a full
      // journal and get 503.
      if (!this.refusing)
        diag.warn(`writer refuses traces, holding them to retry: ${(error as Error).message}`);
      this.refusing = true;
      if (!this.closed) this.hold(trace);
      return;
    }
    if (this.refusing) diag.info('writer accepts traces again');
    this.refusing = false;
    await this.settleJournal(trace.journalIds);
  }

  /** One trace of each of these journal records is settled; a record is removed once all of its are. */
  private async settleJournal(journalIds: Iterable<JournalId>): Promise<void> {
    for (const id of journalIds) {
      const left = (this.outstanding.get(id) ?? 1) - 1;
      if (left > 0) {
        this.outstanding.set(id, left);
      } else {
        this.outstanding.delete(id);
        await this.journal.acknowledge(id);
      }
    }
  }

  /** Puts a trace back to be released again later, merging with spans that arrived meanwhile. */
  private hold(trace: ReleasedTrace): void {
    const now = this.now();
    const existing = this.held.get(trace.traceId);
    if (existing) {
      existing.parts.push(...trace.parts);
      existing.spanCount += trace.spanCount;
      for (const id of trace.journalIds) existing.journalIds.add(id);
      existing.hasRoot ||= trace.hasRoot;
    } else {
      this.held.set(trace.traceId, {
        traceId: trace.traceId,
        parts: [...trace.parts],
        spanCount: trace.spanCount,
        journalIds: trace.journalIds,
        hasRoot: trace.hasRoot,
        firstAt: trace.firstAt,
        lastAt: now,
        late: true,
      });
    }
    this.heldSpans += trace.spanCount;
  }

  status(): HeldTraces {
    return {
      traces: this.held.size,
      spans: this.heldSpans,
      releasedIncomplete: this.releasedIncomplete,
      undecodableSpans: this.undecodableSpans,
      pendingTraces: this.pendingTraces,
      pendingSpans: this.pendingSpans,
    };
  }

  /** Writes everything held, waits for the writes, and stops. Later requests get 503. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.closed = true;
    this.wakeRoomWaiters();
    for (const trace of [...this.held.values()]) this.release(trace);
    await Promise.allSettled([...this.writes]);
  }
}
