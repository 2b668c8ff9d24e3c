/**
 * Typed stage spans. Every helper is `tracer.startSpan` with the attributes `toStageAttributes`
 * builds, the name `stageSpanName` gives and the kind of the stage's definition, so its spans map
 * exactly like spans written with plain OpenTelemetry. Parents are explicit (a scope's helpers
 * open children of its span), so nesting holds even where no context manager is installed.
 */
import { context, diag, INVALID_SPAN_CONTEXT, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes, Exception, Link, Span, TimeInput, Tracer } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_STAGE,
  STAGES,
  stageSpanName,
  toStageAttributes,
  validateStageAttributes,
} from '@aitdr/conventions';
import type { Stage, StageFields } from '@aitdr/conventions';
import type { RecordedStage, StageOptions, StageRecordOptions } from './types.js';

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

interface StartOptions {
  readonly parent?: Span;
  readonly root?: boolean;
  readonly links?: Link[];
  readonly startTime?: TimeInput;
  readonly attributes?: Attributes;
}

/** Starts and ends stage spans on one tracer; reports attribute problems once each through `diag`. */
export class StageSpans {
  private readonly reported = new Set<string>();

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
    options: StartOptions = {},
  ): StageSpan<S> {
    const { span, attributes } = this.open(stage, fields, options);
    return new StageSpan(this, span, stage, attributes);
  }

  /** Starts the span of a stage; the attributes object is the one its scope keeps up to date. */
  open<S extends Stage>(
    stage: S,
    fields: Partial<StageFields<S>>,
    options: StartOptions = {},
  ): { span: Span; attributes: Attributes } {
    const attributes = safely<Attributes>('building attributes', {}, () => ({
      ...options.attributes,
      ...toStageAttributes(stage, fields as StageFields<S>),
    }));
    const startTime = options.startTime ?? this.now();
    const span = safely('starting a span', undefined, () =>
      this.tracer.startSpan(
        stageSpanName(stage, attributes),
        {
          kind: STAGES[stage].spanKind,
          attributes,
          ...(options.root === true ? { root: true } : {}),
          ...(options.links === undefined ? {} : { links: options.links }),
          ...(startTime === undefined ? {} : { startTime }),
        },
        options.parent === undefined ? context.active() : trace.setSpan(context.active(), options.parent),
      ),
    );
    return { span: span ?? trace.wrapSpanContext(INVALID_SPAN_CONTEXT), attributes };
  }

  /** Lists problems with a stage's final attributes, once per stage, attribute and kind of problem. */
  validate(stage: Stage, attributes: Attributes): void {
    for (const problem of validateStageAttributes(stage, attributes)) {
      const key = `${stage}|${problem.key}|${problem.problem}`;
      if (this.reported.has(key)) continue;
      this.reported.add(key);
      diag.warn(`@aitdr/sdk: ${problem.message}`);
    }
  }

  /** Records a stage (with or without a callback) as a child of `parent`. */
  child<S extends ChildStage, T>(
    parent: Span,
    stage: S,
    fields: Partial<StageFields<S>>,
    fnOrOptions: ((scope: StageSpan<S>) => T) | StageRecordOptions | undefined,
    options: StageOptions | undefined,
  ): T | RecordedStage {
    if (typeof fnOrOptions === 'function') {
      const scope = this.start(stage, fields, { ...options, parent });
      return scope.runWith(fnOrOptions);
    }
    const recordOptions = fnOrOptions ?? {};
    const scope = this.start(stage, fields, { ...recordOptions, parent });
    if (recordOptions.error !== undefined) scope.recordError(recordOptions.error);
    scope.finish(recordOptions.endTime);
    return { spanId: scope.spanId };
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

/** The span behind a StageScope; `finish` and `runWith` stay off the public interface. */
export class StageSpan<S extends Stage> implements StageScope<S> {
  private ended = false;

  readonly classification: StageMethod<'classification'>;
  readonly schemaContext: StageMethod<'schema_context'>;
  readonly modelInteraction: StageMethod<'model_interaction'>;
  readonly responseSelection: StageMethod<'response_selection'>;
  readonly sqlProcessing: StageMethod<'sql_processing'>;
  readonly execution: StageMethod<'execution'>;
  readonly fallback: StageMethod<'fallback'>;

  constructor(
    private readonly spans: StageSpans,
    readonly span: Span,
    readonly stage: S,
    private readonly attributes: Attributes,
  ) {
    this.classification = this.helper('classification');
    this.schemaContext = this.helper('schema_context');
    this.modelInteraction = this.helper('model_interaction');
    this.responseSelection = this.helper('response_selection');
    this.sqlProcessing = this.helper('sql_processing');
    this.execution = this.helper('execution');
    this.fallback = this.helper('fallback');
  }

  get spanId(): string {
    return this.span.spanContext().spanId;
  }

  get traceId(): string {
    return this.span.spanContext().traceId;
  }

  set(fields: Partial<StageFields<S>>): this {
    safely('setting attributes', undefined, () => {
      const { [ATTR_STAGE]: _stage, ...attributes } = toStageAttributes(
        this.stage,
        fields as StageFields<S>,
      ) as Attributes;
      Object.assign(this.attributes, attributes);
      this.span.setAttributes(attributes);
      // Model interactions are named after their operation and model, which may be known only now.
      if (this.stage === 'model_interaction')
        this.span.updateName(stageSpanName(this.stage, this.attributes));
    });
    return this;
  }

  recordError(error: unknown): void {
    safely('recording an error', undefined, () => {
      if (this.attributes[ATTR_ERROR_TYPE] === undefined) {
        const errorType = errorTypeOf(error);
        this.attributes[ATTR_ERROR_TYPE] = errorType;
        this.span.setAttribute(ATTR_ERROR_TYPE, errorType);
      }
      this.span.recordException(toException(error), this.spans.now());
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessageOf(error) });
    });
  }

  /** Ends the span (once) after checking its attributes against the stage's definition. */
  finish(endTime?: TimeInput): void {
    if (this.ended) {
      diag.warn(`@aitdr/sdk: ${this.stage} span ended twice`);
      return;
    }
    this.ended = true;
    safely('ending a span', undefined, () => {
      this.spans.validate(this.stage, this.attributes);
      this.span.end(endTime ?? this.spans.now());
    });
  }

  /** Runs `fn` with this span active; ends the span when it returns or settles. */
  runWith<T>(fn: (scope: this) => T): T {
    const active = trace.setSpan(context.active(), this.span);
    let result: T;
    try {
      result = context.with(active, fn, undefined, this);
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

  private helper<C extends ChildStage>(stage: C): StageMethod<C> {
    return ((fields: Partial<StageFields<C>>, fnOrOptions?: unknown, options?: StageOptions) =>
      this.spans.child(
        this.span,
        stage,
        fields,
        fnOrOptions as ((scope: StageSpan<C>) => unknown) | StageRecordOptions | undefined,
        options,
      )) as StageMethod<C>;
  }
}

/** `error.type`: the error's name when it has one of its own, else its class; `_OTHER` otherwise. */
export function errorTypeOf(error: unknown): string {
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

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
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
