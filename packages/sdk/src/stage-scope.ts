/**
 * Typed stage spans. Every helper is `tracer.startSpan` with the attributes `toStageAttributes`
 * builds, the name `stageSpanName` gives and the kind of the stage's definition, so its spans map
 * exactly like spans written with plain OpenTelemetry. Parents are explicit (a scope's helpers
 * open children of its span), so nesting holds even where no context manager is installed.
 */
import { diag, INVALID_SPAN_CONTEXT, SpanStatusCode, trace } from '@opentelemetry/api';
import type {
  Attributes,
  Context,
  Exception,
  Link,
  Span,
  SpanOptions,
  TimeInput,
  Tracer,
} from '@opentelemetry/api';
import { ATTR_ERROR_TYPE, ATTR_STAGE, STAGES, stageSpanName } from '@aitdr/conventions';
import type { Stage, StageFields } from '@aitdr/conventions';
import { writeStageFields } from './stage-fields.js';
import type { RecordedStage, StageOptions, StageRecordOptions } from './types.js';
import { activeContext, withContext } from './tracer-context.js';

/** Stages recorded inside a query (the query and feedback are roots of their own traces). */
export type ChildStage = Exclude<Stage, 'query' | 'user_feedback'>;

/**
 * A stage helper. With the stage's fields (required ones included) it records a stage that has
 * already happened and returns its span ID. With a callback it records the stage around it:
 * fields may be given at the start and completed with `stage.set(…)`, the callback's result is
 * returned as it is (a promise stays a promise), and an error it throws is recorded on the span
 * and rethrown unchanged.
 */
export interface StageMethod<S extends ChildStage> {
  // The callback form comes first so an unannotated callback parameter is typed from it.
  <T>(fields: Partial<StageFields<S>>, fn: (stage: StageScope<S>) => T, options?: StageOptions): T;
  (fields: StageFields<S>, options?: StageRecordOptions): RecordedStage;
}

/** The stage helpers, opening children of the span they belong to. */
export interface StageRecorder {
  readonly classification: StageMethod<'classification'>;
  readonly schemaContext: StageMethod<'schema_context'>;
  readonly modelInteraction: StageMethod<'model_interaction'>;
  readonly responseSelection: StageMethod<'response_selection'>;
  readonly sqlProcessing: StageMethod<'sql_processing'>;
  readonly execution: StageMethod<'execution'>;
  /** The fallback span covers the fallback work: record the replacement model interaction with its own `modelInteraction`. */
  readonly fallback: StageMethod<'fallback'>;
}

export interface StartOptions {
  /** Context of the parent span; the active context when absent. */
  readonly parent?: Context;
  readonly root?: boolean;
  readonly links?: Link[];
  readonly startTime?: TimeInput;
  readonly attributes?: Attributes;
}

/** Shared default of the start options: most stages are recorded without any. */
const NO_START_OPTIONS: StartOptions = Object.freeze({});

/**
 * Starts and ends stage spans on one tracer. Attribute problems are reported by the processor,
 * off the request path (see `StageAttributeChecker`).
 */
export class StageSpans {
  /** `clock`: where times come from when none is given; OpenTelemetry's own when absent. */
  constructor(
    readonly tracer: Tracer,
    private readonly clock?: () => TimeInput,
  ) {}

  /** The clock's time, or undefined to let OpenTelemetry take its own. */
  now(): TimeInput | undefined {
    return this.clock?.();
  }

  start<S extends Stage>(
    stage: S,
    fields: Partial<StageFields<S>>,
    options: StartOptions = NO_START_OPTIONS,
    parent?: Context,
  ): StageSpan<S> {
    const { span, attributes } = this.open(stage, fields, options, parent);
    return new StageSpan(this, span, stage, attributes);
  }

  /**
   * Starts the span of a stage; the attributes object is the one its scope keeps up to date.
   * Runs for every stage recorded, so it builds each object once and no closures.
   */
  open<S extends Stage>(
    stage: S,
    fields: Partial<StageFields<S>>,
    options: StartOptions = NO_START_OPTIONS,
    parent: Context | undefined = options.parent,
  ): { span: Span; attributes: Attributes } {
    // The stage attribute last, over any the caller gave (a computed key in a literal is a slow path).
    const attributes: Attributes = options.attributes === undefined ? {} : { ...options.attributes };
    attributes[ATTR_STAGE] = stage;
    let span: Span | undefined;
    try {
      writeStageFields(stage, fields, attributes);
      const spanOptions: SpanOptions = { kind: STAGES[stage].spanKind, attributes };
      if (options.root === true) spanOptions.root = true;
      if (options.links !== undefined) spanOptions.links = options.links;
      const startTime = options.startTime ?? this.now();
      if (startTime !== undefined) spanOptions.startTime = startTime;
      span = this.tracer.startSpan(stageSpanName(stage, attributes), spanOptions, parent ?? activeContext());
    } catch (error) {
      diag.error('@aitdr/sdk: failed starting a span', error);
    }
    return { span: span ?? trace.wrapSpanContext(INVALID_SPAN_CONTEXT), attributes };
  }

  /** Records a stage (with or without a callback) as a child of the span in `parent`. */
  child<S extends ChildStage, T>(
    parent: Context,
    stage: S,
    fields: Partial<StageFields<S>>,
    fnOrOptions: ((scope: StageSpan<S>) => T) | StageRecordOptions | undefined,
    options: StageOptions | undefined,
  ): T | RecordedStage {
    if (typeof fnOrOptions === 'function') {
      return this.start(stage, fields, options, parent).runWith(fnOrOptions);
    }
    // No scope object: nothing can reach this span after the call, so it cannot end twice.
    const { span, attributes } = this.open(stage, fields, fnOrOptions, parent);
    if (fnOrOptions?.error !== undefined) recordSpanError(span, attributes, fnOrOptions.error, this);
    endSpan(span, fnOrOptions?.endTime ?? this.now());
    return { spanId: span.spanContext().spanId };
  }
}

/** One stage span while it is open: its IDs, `set` for fields learnt on the way, the helpers for children. */
export interface StageScope<S extends Stage> extends StageRecorder {
  readonly stage: S;
  /** The OpenTelemetry span, for anything the helpers do not cover (events, more attributes). */
  readonly span: Span;
  /** Span ID (16 hex): the row ID of the stage, and what `interactionId` fields refer to. */
  readonly spanId: string;
  /** Trace ID (32 hex): the query ID. */
  readonly traceId: string;
  /** Adds or changes fields of the stage. */
  set(fields: Partial<StageFields<S>>): this;
  /**
   * Records an error on the span: status ERROR with its message, `error.type` (unless already
   * set) from the error's name or class, and an exception event. For errors the app handles
   * itself; an error thrown out of a helper's callback is recorded without it.
   */
  recordError(error: unknown): void;
}

/**
 * The span behind a StageScope; `finish` and `runWith` stay off the public interface. The stage
 * helpers are prototype methods: a scope allocates no closures, since most stages open none.
 */
export class StageSpan<S extends Stage> implements StageScope<S> {
  private ended = false;
  /** The context whose active span is this one: parent of children, active inside callbacks. */
  private scopeContext: Context | undefined;

  constructor(
    private readonly spans: StageSpans,
    readonly span: Span,
    readonly stage: S,
    private readonly attributes: Attributes,
  ) {}

  declare readonly classification: StageMethod<'classification'>;
  declare readonly schemaContext: StageMethod<'schema_context'>;
  declare readonly modelInteraction: StageMethod<'model_interaction'>;
  declare readonly responseSelection: StageMethod<'response_selection'>;
  declare readonly sqlProcessing: StageMethod<'sql_processing'>;
  declare readonly execution: StageMethod<'execution'>;
  declare readonly fallback: StageMethod<'fallback'>;

  /** Context for this span's children and callback, made once. */
  context(): Context {
    return (this.scopeContext ??= trace.setSpan(activeContext(), this.span));
  }

  /**
   * `context()` made now, from the active context the caller has just read: what `context()` would
   * read itself when called before anything can change the active context. Saves reading it twice.
   */
  contextFrom(active: Context): Context {
    return (this.scopeContext ??= trace.setSpan(active, this.span));
  }

  get spanId(): string {
    return this.span.spanContext().spanId;
  }

  get traceId(): string {
    return this.span.spanContext().traceId;
  }

  set(fields: Partial<StageFields<S>>): this {
    safely('setting attributes', undefined, () => {
      const attributes = writeStageFields(this.stage, fields, {});
      Object.assign(this.attributes, attributes);
      this.span.setAttributes(attributes);
      // Model interactions are named after their operation and model, which may be known only now.
      if (this.stage === 'model_interaction')
        this.span.updateName(stageSpanName(this.stage, this.attributes));
    });
    return this;
  }

  recordError(error: unknown): void {
    recordSpanError(this.span, this.attributes, error, this.spans);
  }

  /** Ends the span, once. */
  finish(endTime?: TimeInput): void {
    if (this.ended) {
      diag.warn(`@aitdr/sdk: ${this.stage} span ended twice`);
      return;
    }
    this.ended = true;
    endSpan(this.span, endTime ?? this.spans.now());
  }

  /** Runs `fn` with this span active; ends the span when it returns or settles. */
  runWith<T>(fn: (scope: this) => T): T {
    let result: T;
    try {
      result = withContext(this.context(), fn, this);
    } catch (error) {
      this.recordError(error);
      this.finish();
      throw error;
    }
    if (isPromiseLike(result)) {
      return result.then(
        (value) => {
          this.finish();
          return value;
        },
        (error: unknown) => {
          this.recordError(error);
          this.finish();
          throw error;
        },
      ) as T;
    }
    this.finish();
    return result;
  }

  /** Records a child stage of this span (what every stage helper does). */
  child<C extends ChildStage>(
    stage: C,
    fields: Partial<StageFields<C>>,
    fnOrOptions?: unknown,
    options?: StageOptions,
  ): unknown {
    return this.spans.child(
      this.context(),
      stage,
      fields,
      fnOrOptions as ((scope: StageSpan<C>) => unknown) | StageRecordOptions | undefined,
      options,
    );
  }
}

/**
 * The stage helper for `stage`: one function on the prototype, shared by every scope, calling
 * `child` on the scope it is invoked on.
 */
function helper<C extends ChildStage>(stage: C): StageMethod<C> {
  return function (
    this: StageSpan<Stage>,
    fields: Partial<StageFields<C>>,
    fnOrOptions?: unknown,
    options?: StageOptions,
  ) {
    return this.child(stage, fields, fnOrOptions, options);
  } as StageMethod<C>;
}

const STAGE_HELPERS: StageRecorder = {
  classification: helper('classification'),
  schemaContext: helper('schema_context'),
  modelInteraction: helper('model_interaction'),
  responseSelection: helper('response_selection'),
  sqlProcessing: helper('sql_processing'),
  execution: helper('execution'),
  fallback: helper('fallback'),
};
Object.assign(StageSpan.prototype, STAGE_HELPERS);

/**
 * What `StageScope.recordError` does, for a span and the attributes kept with it. A try/catch of
 * its own rather than `safely`: it runs for every failed stage, and a closure per call is avoidable.
 */
function recordSpanError(span: Span, attributes: Attributes, error: unknown, spans: StageSpans): void {
  try {
    if (attributes[ATTR_ERROR_TYPE] === undefined) {
      const errorType = errorTypeOf(error);
      attributes[ATTR_ERROR_TYPE] = errorType;
      span.setAttribute(ATTR_ERROR_TYPE, errorType);
    }
    span.recordException(toException(error), spans.now());
    span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessageOf(error) });
  } catch (failure) {
    diag.error('@aitdr/sdk: failed recording an error', failure);
  }
}

function endSpan(span: Span, endTime: TimeInput | undefined): void {
  try {
    span.end(endTime);
  } catch (error) {
    diag.error('@aitdr/sdk: failed ending a span', error);
  }
}

/** `error.type`: the error's name when it has one of its own, else its class; `_OTHER` otherwise. */
function errorTypeOf(error: unknown): string {
  if (error instanceof Error) {
    if (error.name !== '' && error.name !== 'Error') return error.name;
    const className = error.constructor.name;
    return className === '' ? 'Error' : className;
  }
  if (typeof error === 'object' && error !== null && typeof (error as { name?: unknown }).name === 'string') {
    return (error as { name: string }).name;
  }
  return '_OTHER';
}

function errorMessageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { message?: unknown }).message === 'string'
  ) {
    return (error as { message: string }).message;
  }
  return String(error);
}

function toException(error: unknown): Exception {
  if (error instanceof Error) return error;
  if (typeof error === 'object' && error !== null) {
    return { name: errorTypeOf(error), message: errorMessageOf(error) };
  }
  return String(error);
}

export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** Runs recording work; a failure is logged through `diag` and never reaches the application. */
export function safely<T>(what: string, fallback: T, action: () => T): T {
  try {
    return action();
  } catch (error) {
    diag.error(`@aitdr/sdk: failed ${what}`, error);
    return fallback;
  }
}
