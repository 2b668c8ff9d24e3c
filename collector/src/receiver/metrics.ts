/**
 * Prometheus metrics of one collector, on a registry of its own (so tests can run several
 * collectors in one process). Counters kept elsewhere (the writer's, the assembler's) are read
 * when scraped rather than mirrored on every change.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BreakerState, RecorderStatus } from '@aitdr/conventions';
import type { HeldTraces } from '../assembler/intake-port.js';

/** The table exporter's status: what every writer reports, and what the table exporter adds. */
export type WriterStatus = RecorderStatus & {
  readonly counters: RecorderStatus['counters'] & {
    readonly ignored?: number;
    readonly outsideClosedSets?: number;
    readonly parkedUnattached?: number;
  };
  readonly parked?: { readonly bytes: number; readonly traces: number };
};

export interface MetricSources {
  writerStatus?: () => WriterStatus;
  heldTraces?: () => HeldTraces;
  journalBytes?: () => number;
}

const PREFIX = 'aitdr_collector_';
const BREAKER_STATES: readonly BreakerState[] = ['closed', 'half-open', 'open'];

/** A counter whose value lives elsewhere: set from its source at scrape time. */
function mirroredCounter(
  registry: Registry,
  name: string,
  help: string,
  read: () => number | undefined,
): void {
  new Counter({
    name: PREFIX + name,
    help,
    registers: [registry],
    collect() {
      const value = read();
      if (value === undefined) return;
      this.reset();
      this.inc(value);
    },
  });
}

function mirroredGauge(registry: Registry, name: string, help: string, read: () => number | undefined): void {
  new Gauge({
    name: PREFIX + name,
    help,
    registers: [registry],
    collect() {
      const value = read();
      if (value !== undefined) this.set(value);
    },
  });
}

export class CollectorMetrics {
  readonly registry = new Registry();
  readonly spansReceived: Counter;
  readonly spansAccepted: Counter;
  readonly spansRejected: Counter;
  readonly requests: Counter<'status'>;
  readonly requestDuration: Histogram<'status'>;
  readonly forwarded: Counter<'outcome'>;
  readonly grpcRequests: Counter<'code'>;

  constructor(sources: MetricSources = {}) {
    const registers = [this.registry];
    this.spansReceived = new Counter({
      name: `${PREFIX}spans_received_total`,
      help: 'Spans decoded from requests.',
      registers,
    });
    this.spansAccepted = new Counter({
      name: `${PREFIX}spans_accepted_total`,
      help: 'Spans durably accepted (acknowledged).',
      registers,
    });
    this.spansRejected = new Counter({
      name: `${PREFIX}spans_rejected_total`,
      help: 'Spans rejected as invalid (partial success).',
      registers,
    });
    this.requests = new Counter({
      name: `${PREFIX}requests_total`,
      help: 'Trace export requests by HTTP status.',
      labelNames: ['status'],
      registers,
    });
    this.requestDuration = new Histogram({
      name: `${PREFIX}request_duration_seconds`,
      help: 'Time from request to response on /v1/traces.',
      labelNames: ['status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.forwarded = new Counter({
      name: `${PREFIX}forwarded_requests_total`,
      help: 'Requests forwarded to the forward endpoint, by outcome (ok, failed, skipped when the queue was full).',
      labelNames: ['outcome'],
      registers,
    });

    // What every Node service's dashboard expects: CPU, memory, heap, event-loop delay, GC.
    collectDefaultMetrics({ register: this.registry });
    this.grpcRequests = new Counter({
      name: `${PREFIX}grpc_requests_total`,
      help: 'OTLP/gRPC trace export calls by gRPC status code.',
      labelNames: ['code'],
      registers,
    });

    const writer = sources.writerStatus;
    const counter = (key: keyof WriterStatus['counters']) => () => writer?.().counters[key];
    mirroredCounter(
      this.registry,
      'traces_ignored_total',
      'Traces received but not stored: no stage span, and no stored query they belong to.',
      counter('ignored'),
    );
    mirroredCounter(
      this.registry,
      'attribute_values_outside_closed_sets_total',
      'Attribute values outside their closed set (kept in ATTRIBUTES, their column NULL).',
      counter('outsideClosedSets'),
    );
    mirroredGauge(
      this.registry,
      'parked_traces',
      'Traces parked now, waiting for their query row: feedback, and spans of no stage (parking.unattachedSpans).',
      () => writer?.().parked?.traces,
    );
    mirroredGauge(this.registry, 'parked_bytes', 'Bytes of parked traces.', () => writer?.().parked?.bytes);
    mirroredCounter(
      this.registry,
      'traces_received_total',
      'Traces handed to the table writer.',
      counter('received'),
    );
    mirroredCounter(
      this.registry,
      'traces_written_total',
      'Traces committed to the store.',
      counter('written'),
    );
    mirroredCounter(
      this.registry,
      'traces_retried_total',
      'Trace writes retried after a transient error.',
      counter('retried'),
    );
    mirroredCounter(
      this.registry,
      'traces_spooled_total',
      'Traces put on the durable spool.',
      counter('spooled'),
    );
    mirroredCounter(
      this.registry,
      'traces_replayed_total',
      'Traces replayed from the spool.',
      counter('replayed'),
    );
    mirroredCounter(
      this.registry,
      'traces_parked_total',
      'Traces parked until their query row is stored: feedback, and spans of no stage.',
      counter('parked'),
    );
    mirroredCounter(
      this.registry,
      'traces_parked_unattached_total',
      'Of traces_parked_total: spans of no stage parked until another instance stores their query row.',
      counter('parkedUnattached'),
    );
    mirroredCounter(
      this.registry,
      'traces_dead_lettered_total',
      'Traces kept in the dead-letter store.',
      counter('deadLettered'),
    );
    // The writer's `dropped` (its contract's word: it kept none of those traces, store down and
    // spool full). A collector does not lose them: it keeps each in memory and in its journal and
    // writes it again later, so what the collector acknowledged is never dropped.
    const droppedByWriter = counter('dropped');
    mirroredCounter(
      this.registry,
      'traces_dropped_by_writer_total',
      'Traces the store writer dropped (store down and spool full); the collector keeps each and writes it again.',
      droppedByWriter,
    );
    mirroredCounter(
      this.registry,
      'writer_refusals_total',
      'Deprecated, removed in the next release: renamed aitdr_collector_traces_dropped_by_writer_total.',
      droppedByWriter,
    );
    mirroredCounter(
      this.registry,
      'traces_released_incomplete_total',
      'Traces released without their root.',
      () => sources.heldTraces?.().releasedIncomplete,
    );
    mirroredCounter(
      this.registry,
      'spans_undecodable_total',
      'Accepted spans left out when their trace was written: held as bytes, they could not be decoded then.',
      () => sources.heldTraces?.().undecodableSpans,
    );
    mirroredGauge(
      this.registry,
      'held_traces',
      'Traces held while their spans gather.',
      () => sources.heldTraces?.().traces,
    );
    mirroredGauge(
      this.registry,
      'held_spans',
      'Spans held while their traces gather.',
      () => sources.heldTraces?.().spans,
    );
    mirroredGauge(
      this.registry,
      'pending_traces',
      'Traces being written: handed to the store writer, not yet committed or spooled.',
      () => sources.heldTraces?.().pendingTraces,
    );
    mirroredGauge(
      this.registry,
      'pending_spans',
      'Spans of the traces being written.',
      () => sources.heldTraces?.().pendingSpans,
    );
    mirroredGauge(this.registry, 'spool_bytes', 'Bytes on the store spool.', () => writer?.().spool.bytes);
    mirroredGauge(this.registry, 'journal_bytes', 'Bytes on the intake journal.', () =>
      sources.journalBytes?.(),
    );
    // Store trouble is reported here and in /health, not by /ready: the spool covers an outage.
    mirroredGauge(
      this.registry,
      'store_healthy',
      'Whether the store takes writes now (1) or traces wait on the spool (0).',
      () => (writer === undefined ? undefined : writer().healthy ? 1 : 0),
    );
    new Gauge({
      name: `${PREFIX}breaker_state`,
      help: 'Circuit breaker state around the store: 1 for the current state.',
      labelNames: ['state'],
      registers,
      collect() {
        const state = writer?.().breaker;
        if (state === undefined) return;
        for (const candidate of BREAKER_STATES) this.set({ state: candidate }, candidate === state ? 1 : 0);
      },
    });
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
