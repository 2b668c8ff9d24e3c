/**
 * One export call to whatever exporter the processor was given: a TraceWriter is written through
 * `writeTraces` with a write requirement, any other SpanExporter through `export`. Either way the
 * outcome is a promise that rejects with a typed RecordingError.
 */
import { context } from '@opentelemetry/api';
import {
  ExportResultCode,
  RecordingError,
  StoreUnavailableError,
  suppressTracing,
  writeSdkSpans,
} from '@aitdr/conventions';
import type {
  ExportResult,
  ReadableSpan,
  SpanExporter,
  TraceWriter,
  WriteRequirement,
} from '@aitdr/conventions';

/** Duck-typed, so a writer from another copy of the package (or a test double) is recognised. */
export function isTraceWriter(exporter: unknown): exporter is SpanExporter & TraceWriter {
  return (
    typeof exporter === 'object' &&
    exporter !== null &&
    typeof (exporter as Partial<TraceWriter>).writeTraces === 'function' &&
    typeof (exporter as Partial<TraceWriter>).status === 'function'
  );
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Keeps a RecordingError as it is; anything else means the store could not take the spans. */
function toRecordingError(error: unknown): RecordingError {
  if (error instanceof RecordingError) return error;
  return new StoreUnavailableError(`export failed: ${errorMessage(error)}`, { cause: error });
}

/**
 * Hands spans to the exporter with tracing suppressed (so an instrumented driver does not trace
 * the export itself). Resolves on success; rejects with a RecordingError on failure or when the
 * exporter has not answered within the timeout's time.
 */
export function exportSpans(
  exporter: SpanExporter,
  spans: ReadableSpan[],
  requirement: WriteRequirement,
  timeout: ExportTimeout,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const call = new ExportCall(resolve, reject, timeout);
    context.with(suppressTracing(context.active()), () => {
      try {
        if (isTraceWriter(exporter)) {
          // The SDK's edge: a TraceWriter takes span records, adapted from the SDK's spans here.
          writeSdkSpans(exporter, spans, { require: requirement }).then(
            () => call.settle(),
            (error: unknown) => call.settle(toRecordingError(error)),
          );
        } else {
          exporter.export(spans, (result: ExportResult) => {
            call.settle(
              result.code === ExportResultCode.SUCCESS
                ? undefined
                : toRecordingError(result.error ?? new Error('exporter reported failure')),
            );
          });
        }
      } catch (error) {
        call.settle(toRecordingError(error));
      }
    });
  });
}

/**
 * Times out the exports of one processor, which run one at a time, with one timer, re-armed
 * (`refresh`) as each export starts: creating and clearing a timer per export (a Timeout, its
 * timer list, an async resource) cost more than the rest of the export path with a fast exporter.
 * An export still open when the timer fires, its time after it started, fails with TIMEOUT.
 */
export class ExportTimeout {
  private current: ExportCall | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly timeoutMillis: number) {}

  start(call: ExportCall): void {
    this.current = call;
    if (this.timer === undefined) {
      this.timer = setTimeout(() => this.expire(), this.timeoutMillis);
      this.timer.unref();
    } else {
      this.timer.refresh();
    }
  }

  stop(call: ExportCall): void {
    if (this.current === call) this.current = undefined;
  }

  private expire(): void {
    const call = this.current;
    this.current = undefined;
    call?.settle(new RecordingError('TIMEOUT', `export did not finish within ${this.timeoutMillis} ms`));
  }
}

/**
 * One export's outcome: the first of the exporter's answer and the timeout wins. A class rather
 * than a local closure: it runs for every export, and run from source (tsx keeps function names)
 * every named local closure costs a property definition.
 */
class ExportCall {
  private settled = false;

  constructor(
    private readonly resolve: () => void,
    private readonly reject: (error: RecordingError) => void,
    private readonly timeout: ExportTimeout,
  ) {
    timeout.start(this);
  }

  settle(error?: RecordingError): void {
    if (this.settled) return;
    this.settled = true;
    this.timeout.stop(this);
    if (error === undefined) this.resolve();
    else this.reject(error);
  }
}
