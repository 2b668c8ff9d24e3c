/**
 * The exporter's ledger: what `status()` counts and the last error, with the log line each error
 * also gets. Every lane writes here, so a count is kept in one place.
 */
import { diag } from '@opentelemetry/api';
import { SpoolFullError } from '@aitdr/conventions';
import type { RecorderCounters } from '@aitdr/conventions';
import type { RecordingError } from '@aitdr/conventions';

export const log = diag.createComponentLogger({ namespace: '@aitdr/exporter' });

/** `RecorderCounters` plus what only the table exporter counts. */
export type ExporterCounters = RecorderCounters & {
  /** Traces with no stage span whose query is not stored: not recorder traces, not kept. */
  readonly ignored: number;
  /**
   * Attribute values outside their closed set (`model.source` other than `api`/`local`), as
   * received: each is kept in its row's ATTRIBUTES, its column NULL.
   */
  readonly outsideClosedSets: number;
  /**
   * Of `parked`: traces of spans of no stage parked until another instance writes their query row
   * (`parking.unattachedSpans`); the rest of `parked` is feedback waiting for its query.
   */
  readonly parkedUnattached: number;
};

/** A trace that could not be kept anywhere, with the error its writer is given. */
export interface Dropped {
  readonly dropped: RecordingError;
}

export class Ledger {
  readonly counters: { -readonly [K in keyof ExporterCounters]: number } = {
    received: 0,
    written: 0,
    retried: 0,
    spooled: 0,
    replayed: 0,
    parked: 0,
    parkedUnattached: 0,
    deadLettered: 0,
    dropped: 0,
    ignored: 0,
    outsideClosedSets: 0,
  };
  private last: { message: string; at: string } | undefined;

  get lastError(): { readonly message: string; readonly at: string } | undefined {
    return this.last;
  }

  note(message: string, level: 'warn' | 'error' = 'warn'): void {
    this.last = { message, at: new Date().toISOString() };
    log[level](message);
  }

  /** Counts `traces` as lost for good and says why; the error is what their writers get. */
  drop(traces: number, message: string, cause?: unknown): Dropped {
    this.counters.dropped += traces;
    this.note(message, 'error');
    return { dropped: cause instanceof SpoolFullError ? cause : new SpoolFullError(message, { cause }) };
  }
}
