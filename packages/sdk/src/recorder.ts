import {
  diag,
  isSpanContextValid,
  isValidSpanId,
  isValidTraceId,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import type { Attributes, Link, Span, TimeInput, TracerProvider } from '@opentelemetry/api';
import type { QueryFields, UserFeedbackFields } from '@aitdr/conventions';
import { recordProcessingFlow } from './processing-flow.js';
import { isPromiseLike, StageSpan, StageSpans } from './stage-scope.js';
import type { StageScope, StartOptions } from './stage-scope.js';
import type { TraceBufferProcessor } from './trace-buffer-processor.js';
import type {
  FeedbackInput,
  FeedbackOptions,
  FeedbackRecord,
  ProcessingFlow,
  QueryInput,
  QueryOptions,
  QueryOutcome,
  QueryRecord,
  RecorderOptions,
  RecordingContext,
  RecordingMode,
  SystemStatus,
} from './types.js';
import { activeContext, withContext } from './tracer-context.js';

/** What an SDK tracer provider adds to the API's. */
interface SdkTracerProvider {
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** The query's root span while the query runs; the stage helpers open its children. */
export interface QueryScope extends StageScope<'query'>, QueryRecord {
  /**
   * Ends the query (for `startQuery`; `recordQuery` ends it for you). Resolves with its IDs; in
   * `sync` mode once the trace is committed, rejecting with a RecordingError when it cannot be.
   */
  end(endTime?: TimeInput): Promise<QueryRecord>;
}

class QuerySpan extends StageSpan<'query'> implements QueryScope {
  /** Set when the query ends; its promise is made only when `end()` is asked for it. */
  private record: QueryRecord | undefined;
  private ending: Promise<QueryRecord> | undefined;

  constructor(
    spans: StageSpans,
    span: Span,
    attributes: Attributes,
    private readonly written: Promise<void> | undefined,
  ) {
    super(spans, span, 'query', attributes);
  }

  get queryId(): string {
    return this.traceId;
  }

  get rootSpanId(): string {
    return this.spanId;
  }

  end(endTime?: TimeInput): Promise<QueryRecord> {
    if (this.record !== undefined) {
      diag.warn('@aitdr/sdk: query ended twice');
      return (this.ending ??= Promise.resolve(this.record));
    }
    const record = this.endRecord(endTime);
    this.ending = this.written === undefined ? Promise.resolve(record) : this.written.then(() => record);
    return this.ending;
  }

  /**
   * Ends the query for `recordQuery`: its record at once when nothing is to be awaited (`async`
   * and `buffered` modes), so the request path pays no promise for it.
   */
  endInline(): QueryRecord | Promise<QueryRecord> {
    if (this.record !== undefined || this.written !== undefined) return this.end();
    return this.endRecord(undefined);
  }

  private endRecord(endTime: TimeInput | undefined): QueryRecord {
    this.finish(endTime);
    this.record = { queryId: this.queryId, rootSpanId: this.rootSpanId };
    return this.record;
  }
}

/** A root span's start options (built without spreads of empty objects: it runs per trace). */
function startOptions(
  links: Link[],
  startTime: TimeInput | undefined,
  attributes: Attributes | undefined,
): StartOptions {
  const options: { -readonly [K in keyof StartOptions]: StartOptions[K] } = { root: true, links };
  if (startTime !== undefined) options.startTime = startTime;
  if (attributes !== undefined) options.attributes = attributes;
  return options;
}

/**
 * Records queries, finished flows and feedback as traces through a TraceBufferProcessor. Each
 * query is the root of its own trace, whose ID is the query ID.
 */
export class Recorder {
  readonly tracerProvider: TracerProvider;
  readonly processor: TraceBufferProcessor;
  readonly mode: RecordingMode;
  readonly context: RecordingContext;
  private readonly spans: StageSpans;
  private readonly ownsTracerProvider: boolean;
  private shutdownPromise: Promise<void> | undefined;

  constructor(options: RecorderOptions) {
    this.tracerProvider = options.tracerProvider;
    this.processor = options.processor;
    this.mode = options.mode ?? 'async';
    this.context = options.context ?? {};
    this.spans = new StageSpans(
      options.tracerProvider.getTracer(options.tracerName ?? '@aitdr/sdk'),
      options.clock,
    );
    this.ownsTracerProvider = options.ownsTracerProvider ?? false;
  }

  /**
   * Opens a query and returns its scope; end it with `query.end()`. For a query that does not fit
   * one callback. If a span is active (an HTTP server span, say), the query still starts a trace
   * of its own and links to that span.
   */
  startQuery(input: QueryInput | string, options: QueryOptions = {}): QueryScope {
    return this.openQuery(input, options, false);
  }

  /** `enter`: the query's context is made at once, for a callback that runs right away. */
  private openQuery(input: QueryInput | string, options: QueryOptions, enter: boolean): QuerySpan {
    const query = typeof input === 'string' ? { text: input } : input;
    const fields: QueryFields = { ...this.context, ...query.context, text: query.text };
    // Read once: the link and the span's start context are the same active context.
    const active = activeContext();
    const activeSpan = trace.getSpan(active)?.spanContext();
    const links: Link[] =
      activeSpan !== undefined && isSpanContextValid(activeSpan) ? [{ context: activeSpan }] : [];
    const { span, attributes } = this.spans.open(
      'query',
      fields,
      startOptions(links, query.startTime, query.attributes),
      active,
    );
    const scope = new QuerySpan(this.spans, span, attributes, this.register(span, options.mode));
    if (enter) scope.contextFrom(active);
    return scope;
  }

  /**
   * Records one query around `fn`, which gets the query scope (its helpers record the stages).
   * Resolves with the query ID, the root span ID and what `fn` returned; an error `fn` throws is
   * recorded on the query span and rethrown unchanged. In `sync` mode it resolves once the trace
   * is committed and rejects with a RecordingError when it cannot be.
   */
  async recordQuery<T>(
    input: QueryInput | string,
    fn: (query: QueryScope) => T | Promise<T>,
    options: QueryOptions = {},
  ): Promise<QueryOutcome<T>> {
    const query = this.openQuery(input, options, true);
    let result: T;
    try {
      const value = withContext(query.context(), fn, query);
      // A synchronous callback's result needs no turn of the event loop before the query ends.
      result = isPromiseLike(value) ? await value : value;
    } catch (error) {
      query.recordError(error);
      // The app's error matters more than the recording's: report the latter, throw the former.
      await query
        .end()
        .catch((recordingError: unknown) => diag.error('@aitdr/sdk: query not recorded', recordingError));
      throw error;
    }
    const ended = query.endInline();
    const record = ended instanceof Promise ? await ended : ended;
    return { queryId: record.queryId, rootSpanId: record.rootSpanId, result };
  }

  /**
   * Records every stage of a pipeline run that has already finished, from a plain object (with
   * the stages' real times when given). Model interactions can be referred to by `ref`.
   */
  recordFlow(flow: ProcessingFlow, options: QueryOptions = {}): Promise<QueryRecord> {
    return recordProcessingFlow(flow, (input) => this.startQuery(input, options), this.spans);
  }

  /**
   * Records feedback on an earlier query as a trace of its own, from the query ID alone or with
   * the root span ID (then the feedback span also links to the query's root span).
   */
  async recordFeedback(feedback: FeedbackInput, options: FeedbackOptions = {}): Promise<FeedbackRecord> {
    let givenQueryId: unknown;
    let rootSpanId: string | undefined;
    let startTime: TimeInput | undefined;
    let attributes: Attributes | undefined;
    const prototype: unknown = Object.getPrototypeOf(feedback);
    if (prototype === Object.prototype || prototype === null) {
      // A plain object's members found by enumerating it, as the stage writer does (see
      // stage-fields.ts): one it lacks (`startTime`, `attributes`) is never read from a new map.
      const input = feedback as unknown as Record<string, unknown>;
      for (const name in input) {
        if (name === 'queryId') givenQueryId = input[name];
        else if (name === 'rootSpanId') rootSpanId = input[name] as string | undefined;
        else if (name === 'startTime') startTime = input[name] as TimeInput | undefined;
        else if (name === 'attributes') attributes = input[name] as Attributes | undefined;
      }
    } else ({ queryId: givenQueryId, rootSpanId, startTime, attributes } = feedback);
    const queryId = String(givenQueryId).toLowerCase();
    const validQueryId = isValidTraceId(queryId);
    if (!validQueryId) {
      diag.warn(`@aitdr/sdk: feedback query ID ${JSON.stringify(givenQueryId)} is not a 32-hex trace ID`);
    }
    const links: Link[] =
      rootSpanId !== undefined && validQueryId && isValidSpanId(rootSpanId)
        ? [
            {
              context: {
                traceId: queryId,
                spanId: rootSpanId,
                traceFlags: TraceFlags.SAMPLED,
                isRemote: true,
              },
            },
          ]
        : [];
    // The input's other members are no stage fields: the helpers read only the stage's own.
    // Copied only to normalise the query ID: the writer reads the same values either way.
    const fields: UserFeedbackFields = givenQueryId === queryId ? feedback : { ...feedback, queryId };
    const span = this.spans.start('user_feedback', fields, startOptions(links, startTime, attributes));
    const written = this.register(span.span, options.mode);
    span.finish();
    if (written !== undefined) await written;
    return { feedbackId: span.spanId, feedbackTraceId: span.traceId, queryId };
  }

  /** Health, circuit-breaker state and counters of the whole recording path. */
  status(): SystemStatus {
    return this.processor.status();
  }

  /**
   * Exports everything held and waits for it (see TraceBufferProcessor.forceFlush); every
   * processor of the provider when the recorder owns it.
   */
  forceFlush(): Promise<void> {
    const provider = this.ownedProvider();
    if (provider === undefined) return this.processor.forceFlush();
    return provider
      .forceFlush()
      .catch((error: unknown) => diag.error('@aitdr/sdk: provider flush failed', error));
  }

  /** Flushes and shuts the processor down (and the provider, when the recorder owns it). Runs once. */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.shutdownOnce();
    return this.shutdownPromise;
  }

  private async shutdownOnce(): Promise<void> {
    const provider = this.ownedProvider();
    if (provider !== undefined) {
      await provider
        .shutdown()
        .catch((error: unknown) => diag.error('@aitdr/sdk: provider shutdown failed', error));
    }
    // Already done when the provider shut it down: shutdown runs once and returns the same promise.
    await this.processor.shutdown();
  }

  /** The SDK provider, when the recorder owns it. */
  private ownedProvider(): SdkTracerProvider | undefined {
    if (!this.ownsTracerProvider) return undefined;
    const provider = this.tracerProvider as Partial<SdkTracerProvider>;
    return typeof provider.forceFlush === 'function' && typeof provider.shutdown === 'function'
      ? (provider as SdkTracerProvider)
      : undefined;
  }

  /** Tells the processor the trace's mode; for `sync`, the promise of its durable write. */
  private register(root: Span, mode: RecordingMode | undefined): Promise<void> | undefined {
    if (!root.isRecording()) return undefined; // sampled out: nothing will be written
    // As `safely` does, without a closure per trace.
    let written: Promise<void> | undefined;
    try {
      written = this.processor.registerTrace(root, mode ?? this.mode);
    } catch (error) {
      diag.error('@aitdr/sdk: failed registering the trace', error);
      return undefined;
    }
    // Handled here so an abandoned query cannot cause an unhandled rejection; awaiting it still throws.
    written?.catch(() => undefined);
    return written;
  }
}
