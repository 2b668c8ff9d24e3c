/**
 * The path from mapped traces to committed rows: circuit breaker (opossum) → retries with
 * exponential backoff and jitter (p-retry) for transient failures only → one transaction per
 * batch. A row the database refuses costs only its own trace: the batch is retried without it.
 */
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@aitdr/conventions';
import CircuitBreaker from 'opossum';
import pRetry from 'p-retry';
import { StoreUnavailableError } from '@aitdr/conventions';
import type { BreakerState } from '@aitdr/conventions';
import type { MappedTrace } from '../mapping/trace-mapper.js';
import type { BreakerOptions, RetryOptions } from '../types.js';
import { writeBatch } from './batch-writer.js';
import type { BatchResult, TraceOutcome } from './batch-writer.js';
import type { Dialect, FailureKind } from './dialect.js';
import { describeStoreFailure } from './failure-table.js';

export type Outcomes = Map<string, TraceOutcome>;

export interface StoreWriterListener {
  /** A batch of `traces` traces is retried after `error`. */
  retrying(traces: number, error: unknown): void;
  /** An attempt failed for the store (not for the data). */
  failed(error: unknown): void;
  /** A batch reached the store. */
  succeeded(): void;
  breakerChanged(state: BreakerState): void;
}

/** Thrown inside a transaction to roll back after the driver reported refused rows. */
class RowsRefused extends Error {
  constructor(readonly result: BatchResult) {
    super('rows refused');
  }
}

/**
 * One batch's mapped traces, for one write. Its rows are let go once an attempt has taken them
 * (they are sent by then): kept until the commit answered, they outlived the young generation
 * while the next batch was mapped, and were copied and promoted. An attempt after the first (a
 * retry, a refused row looked for) maps the traces again: the mapping is pure.
 */
export class MappedBatch {
  readonly size: number;
  private mapped: readonly MappedTrace[] | undefined;

  constructor(
    mapped: readonly MappedTrace[],
    private readonly remap: () => readonly MappedTrace[],
  ) {
    this.mapped = mapped;
    this.size = mapped.length;
  }

  /** A batch of traces that stay mapped (each attempt takes the same ones). */
  static of(traces: readonly MappedTrace[]): MappedBatch {
    return new MappedBatch(traces, () => traces);
  }

  /** The traces, for one attempt: the next one gets them mapped again. */
  take(): readonly MappedTrace[] {
    const mapped = this.mapped ?? this.remap();
    this.mapped = undefined;
    return mapped;
  }
}

/** A query ID no trace has (all zeroes is invalid in OpenTelemetry). */
const PROBE_QUERY_ID = '0'.repeat(32);

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

export class StoreWriter {
  private readonly breaker: CircuitBreaker<[MappedBatch], Outcomes>;
  private readonly stopRetrying = new AbortController();
  private lastFailure: string | undefined;

  constructor(
    private readonly dialect: Dialect,
    private readonly retry: Required<RetryOptions>,
    breaker: Required<BreakerOptions>,
    private readonly listener: StoreWriterListener,
  ) {
    this.breaker = new CircuitBreaker((batch: MappedBatch) => this.attempt(batch), {
      // Each attempt is bounded by the driver's own connect and statement timeouts; an opossum
      // timeout would only abandon a write that goes on in the background.
      timeout: false,
      errorThresholdPercentage: breaker.errorThresholdPercentage,
      volumeThreshold: breaker.volumeThreshold,
      rollingCountTimeout: breaker.rollingWindowMs,
      resetTimeout: breaker.resetTimeoutMs,
    });
    this.breaker.on('open', () => listener.breakerChanged('open'));
    this.breaker.on('halfOpen', () => listener.breakerChanged('half-open'));
    this.breaker.on('close', () => listener.breakerChanged('closed'));
  }

  get state(): BreakerState {
    if (this.breaker.opened) return 'open';
    return this.breaker.halfOpen ? 'half-open' : 'closed';
  }

  /**
   * Writes the traces; resolves with each one's outcome. Rejects with `StoreUnavailableError`
   * when the breaker is open or transient failures outlast the retries: nothing is decided then.
   */
  async write(batch: MappedBatch): Promise<Outcomes> {
    try {
      return await this.breaker.fire(batch);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      // While the breaker is open, the status keeps saying why it opened.
      const message =
        code === 'EOPENBREAKER'
          ? `circuit breaker is open${this.lastFailure ? ` after: ${this.lastFailure}` : ''}`
          : this.explain(error);
      throw new StoreUnavailableError(`store unavailable: ${message}`, { cause: error });
    }
  }

  classify(error: unknown): FailureKind {
    return this.dialect.classify(error);
  }

  /** The database's code for the error (what a dead letter records), as the dialect's classification reads it. */
  errorCode(error: unknown): string | number | undefined {
    return this.dialect.describe(error).code;
  }

  /** The failure as the status and the log show it: a configuration error names its fix. */
  explain(error: unknown): string {
    return describeStoreFailure(error, this.dialect.describe(error));
  }

  /**
   * Reaches the store with one trivial read, outside the breaker and without retries: what a
   * readiness check needs to know now. Connects (and installs the schema) when not connected yet.
   */
  async probe(): Promise<void> {
    await context.with(suppressTracing(context.active()), () =>
      this.dialect.transaction((tx) => tx.existingQueryIds([PROBE_QUERY_ID])),
    );
  }

  async close(): Promise<void> {
    this.stopRetrying.abort();
    this.breaker.shutdown();
    await this.dialect.close();
  }

  private async attempt(batch: MappedBatch): Promise<Outcomes> {
    // The exporter's own database calls must not be traced (pg or oracledb instrumentation would
    // record them, and those spans would come back here).
    return context.with(suppressTracing(context.active()), async () => {
      const outcomes = await pRetry(() => this.commitIsolating(batch), {
        retries: this.retry.retries,
        minTimeout: this.retry.minDelayMs,
        maxTimeout: this.retry.maxDelayMs,
        factor: 2,
        randomize: true,
        // The delays keep the process alive (at most retries × maxDelayMs): a batch under retry
        // then reaches the store or the spool, and a caller awaiting its commit gets an answer.
        // Unref'd, a program with nothing else to do exited mid-retry with the batch in memory.
        unref: false,
        signal: this.stopRetrying.signal,
        onFailedAttempt: ({ error }) => {
          this.lastFailure = this.explain(error);
          this.listener.failed(error);
        },
        // Only transient failures are retried: a configuration error (privilege, schema,
        // credentials) stays until an operator fixes it; the breaker's trial batches find out when.
        shouldRetry: ({ error }) => {
          const transient = this.dialect.classify(error) === 'transient';
          if (transient) this.listener.retrying(batch.size, error);
          return transient;
        },
      });
      this.listener.succeeded();
      return outcomes;
    });
  }

  /**
   * Commits the batch; when a refused row fails a whole statement (PostgreSQL, SQLite), finds
   * the trace it belongs to by writing the traces one by one. Transient failures propagate.
   */
  private async commitIsolating(batch: MappedBatch): Promise<Outcomes> {
    try {
      return await this.commitWithoutRefused(batch);
    } catch (error) {
      if (this.isStoreFailure(error)) throw error;
      const traces = batch.take();
      const [only] = traces;
      if (traces.length === 1 && only) return new Map([[only.traceId, this.refusal(error)]]);
      const outcomes: Outcomes = new Map();
      for (const trace of traces) {
        for (const [traceId, outcome] of await this.commitIsolating(MappedBatch.of([trace])))
          outcomes.set(traceId, outcome);
      }
      return outcomes;
    }
  }

  /** Commits the batch; drivers that report refused rows one by one (Oracle) get them left out. */
  private async commitWithoutRefused(batch: MappedBatch): Promise<Outcomes> {
    const decided: Outcomes = new Map();
    // Traces whose rows were refused: decided, left out of the next try.
    const refused = new Set<string>();
    while (refused.size < batch.size) {
      try {
        const result = await this.dialect.transaction(async (tx) => {
          // Taken inside the transaction, so nothing holds the rows once they are sent.
          const taken = batch.take();
          const pending = refused.size === 0 ? taken : taken.filter((t) => !refused.has(t.traceId));
          const written = await writeBatch(tx, pending);
          if (written.rejected.size > 0) throw new RowsRefused(written);
          return written;
        });
        for (const [traceId, outcome] of result.outcomes) decided.set(traceId, outcome);
        return decided;
      } catch (error) {
        if (!(error instanceof RowsRefused)) throw error;
        for (const [traceId, cause] of error.result.rejected) {
          if (this.isStoreFailure(cause)) throw cause;
          decided.set(traceId, this.refusal(cause));
          refused.add(traceId);
        }
      }
    }
    return decided;
  }

  /** The store, not the data, failed: no trace is refused for it. */
  private isStoreFailure(error: unknown): boolean {
    const kind = this.dialect.classify(error);
    return kind === 'transient' || kind === 'configuration';
  }

  private refusal(error: unknown): TraceOutcome {
    return this.dialect.classify(error) === 'missing-parent'
      ? { kind: 'parked', reason: messageOf(error) }
      : { kind: 'dead-lettered', reason: `refused by the database: ${messageOf(error)}`, error };
  }
}
