/**
 * The few OpenTelemetry SDK shapes the packages exchange with an app's SDK, declared structurally.
 * OpenTelemetry JS has two live lines (`@opentelemetry/sdk-trace-base` 2.x with API < 1.10,
 * `@opentelemetry/sdk-trace` 3.x with API 1.10+) whose interfaces have the same shape but live in
 * different packages; importing either would tie the packages (and their published types) to one
 * line. Only `@opentelemetry/api`, one package for both lines, is imported.
 */
import { context, createContextKey } from '@opentelemetry/api';
import type {
  Attributes,
  Context,
  HrTime,
  Link,
  Span as ApiSpan,
  SpanContext,
  SpanKind,
  SpanStatus,
} from '@opentelemetry/api';

/** The SDK's `ExportResultCode` (`@opentelemetry/core`), the same numbers on both lines. */
export const ExportResultCode = { SUCCESS: 0, FAILED: 1 } as const;

export interface ExportResult {
  readonly code: number;
  readonly error?: Error;
}

export interface TimedEvent {
  readonly time: HrTime;
  readonly name: string;
  readonly attributes?: Attributes;
  readonly droppedAttributesCount?: number;
}

export interface InstrumentationScope {
  readonly name: string;
  readonly version?: string;
  readonly schemaUrl?: string;
}

/** What the packages read of a span's resource. */
export interface SpanResource {
  readonly attributes: Attributes;
  readonly asyncAttributesPending?: boolean;
  waitForAsyncAttributes?(): Promise<void>;
}

/** A finished span as the SDK hands it to processors and exporters. */
export interface ReadableSpan {
  readonly name: string;
  readonly kind: SpanKind;
  readonly spanContext: () => SpanContext;
  readonly parentSpanContext?: SpanContext | undefined;
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  readonly status: SpanStatus;
  readonly attributes: Attributes;
  readonly links: Link[];
  readonly events: TimedEvent[];
  readonly duration: HrTime;
  readonly ended: boolean;
  readonly resource: SpanResource;
  readonly instrumentationScope: InstrumentationScope;
  readonly droppedAttributesCount: number;
  readonly droppedEventsCount: number;
  readonly droppedLinksCount: number;
}

/** A span while it runs, as the SDK hands it to `SpanProcessor.onStart`. */
export type SdkSpan = ApiSpan & ReadableSpan;

export interface SpanExporter {
  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
  forceFlush?(): Promise<void>;
}

export interface SpanProcessor {
  forceFlush(): Promise<void>;
  onStart(span: SdkSpan, parentContext: Context): void;
  onEnd(span: ReadableSpan): void;
  shutdown(): Promise<void>;
}

/**
 * The key `@opentelemetry/core`'s `suppressTracing` sets. `createContextKey` makes a
 * `Symbol.for` key, so every copy of core (either line) sees the same one.
 */
const SUPPRESS_TRACING_KEY = createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING');

/** Like core's `suppressTracing`: instrumentation (a traced database driver) skips spans under it. */
export function suppressTracing(parent: Context = context.active()): Context {
  return parent.setValue(SUPPRESS_TRACING_KEY, true);
}
