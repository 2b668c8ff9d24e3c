/**
 * The recorder's own active context. Plain `startActiveSpan` on the recorder's tracers (and our
 * helpers) must nest spans even when the app registered no global context manager, and must not
 * install one behind the app's back. So the SDK keeps the active context in an AsyncLocalStorage
 * of its own and, where the app did register a manager, sets and reads that one too.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import type {
  Context,
  ContextManager,
  Span,
  SpanOptions,
  Tracer,
  TracerOptions,
  TracerProvider,
} from '@opentelemetry/api';
import { trace } from '@opentelemetry/api';

const storage = new AsyncLocalStorage<Context>();

/** The app's active context when it has a context manager; else ours. */
export function activeContext(): Context {
  const global = context.active();
  return global !== ROOT_CONTEXT ? global : (storage.getStore() ?? ROOT_CONTEXT);
}

/**
 * Runs `fn(arg)` with `active` as the active context, ours and the app's. Runs for every query and
 * every stage with a callback, so it creates no closure: the arguments pass through.
 */
export function withContext<T, R>(active: Context, fn: (arg: T) => R, arg: T): R {
  return storage.run(active, withGlobalContext<T, R>, active, fn, arg);
}

function withGlobalContext<T, R>(active: Context, fn: (arg: T) => R, arg: T): R {
  return context.with(active, fn, undefined, arg);
}

/**
 * A context manager on the same storage, installed globally only when `registerGlobal` asks for
 * it. Event emitters are not bound (our spans never need it).
 */
export class TracerContextManager implements ContextManager {
  active(): Context {
    return storage.getStore() ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    active: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    const bound = thisArg === undefined ? fn : fn.bind(thisArg);
    return storage.run(active, bound, ...args);
  }

  bind<T>(active: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const fn = target as unknown as (...args: unknown[]) => unknown;
    return function (this: unknown, ...args: unknown[]) {
      return storage.run(active, () => fn.apply(this, args));
    } as unknown as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    return this;
  }
}

/** A tracer whose spans take their parent from `activeContext()` and whose active spans set it. */
class ContextualTracer implements Tracer {
  constructor(private readonly tracer: Tracer) {}

  startSpan(name: string, options?: SpanOptions, parent?: Context): Span {
    return this.tracer.startSpan(name, options, parent ?? activeContext());
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    options: SpanOptions,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    options: SpanOptions,
    parent: Context,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    ...rest: [F] | [SpanOptions, F] | [SpanOptions, Context, F]
  ): ReturnType<F> {
    const fn = rest[rest.length - 1] as F;
    const options = rest.length > 1 ? (rest[0] as SpanOptions) : undefined;
    const parent = rest.length > 2 ? (rest[1] as Context) : activeContext();
    const span = this.tracer.startSpan(name, options, parent);
    return withContext(trace.setSpan(parent, span), fn as (span: Span) => ReturnType<F>, span);
  }
}

/**
 * The recorder's provider as the app sees it: tracers from it nest plain `startActiveSpan` spans
 * through `activeContext()`. `forceFlush` and `shutdown` reach the SDK provider underneath.
 */
export class ContextualTracerProvider implements TracerProvider {
  constructor(
    readonly provider: TracerProvider & { forceFlush(): Promise<void>; shutdown(): Promise<void> },
  ) {}

  getTracer(name: string, version?: string, options?: TracerOptions): Tracer {
    return new ContextualTracer(this.provider.getTracer(name, version, options));
  }

  forceFlush(): Promise<void> {
    return this.provider.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.provider.shutdown();
  }
}
