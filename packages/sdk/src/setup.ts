/**
 * Set-up in one call: a tracer provider with the TraceBufferProcessor and the exporter for a
 * store (the table exporter, loaded only then), a collector (standard OTLP/HTTP) or any exporter;
 * optionally Jaeger beside it. It lives beside an app's own OpenTelemetry set-up: nothing global
 * is touched unless `registerGlobal` asks for it.
 */
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import type { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@aitdr/conventions';
import { Recorder } from './recorder.js';
import { RedactingSpanExporter, SpanRedactor } from './redaction.js';
import { TraceBufferProcessor } from './trace-buffer-processor.js';
import type { OtlpDestination, SetupOptions, TableExporterFactory } from './types.js';

/** The package that stores traces in the nine tables; an optional peer of this one. */
const TABLE_EXPORTER_MODULE = '@aitdr/exporter';

/** Jaeger's OTLP/HTTP receiver on its default port. */
export const DEFAULT_JAEGER_URL = 'http://localhost:4318/v1/traces';

/**
 * Builds the tracer provider and returns a Recorder on it; `recorder.shutdown()` shuts the
 * provider down. Rejects when the options name no destination or more than one, or when a store
 * is given and @aitdr/exporter is not installed: a set-up mistake is better found at start-up
 * than by a recorder that silently stores nothing.
 */
export async function createRecorder(options: SetupOptions): Promise<Recorder> {
  const exporter = await destinationExporter(options);
  const mode = options.mode ?? 'async';
  const processor = new TraceBufferProcessor({
    ...options.buffer,
    exporter,
    // Traces nobody awaits (plain OpenTelemetry spans) follow the background part of the mode.
    mode: mode === 'buffered' ? 'buffered' : 'async',
    ...(options.redaction === undefined ? {} : { redaction: options.redaction }),
  });
  const spanProcessors: SpanProcessor[] = [processor];
  if (options.jaeger !== undefined) {
    const jaeger = new OTLPTraceExporter(
      otlpConfig(options.jaeger === true ? {} : options.jaeger, DEFAULT_JAEGER_URL),
    );
    const viewed =
      options.redaction === undefined
        ? jaeger
        : new RedactingSpanExporter(jaeger, new SpanRedactor(options.redaction));
    spanProcessors.push(new BatchSpanProcessor(viewed));
  }
  spanProcessors.push(...(options.spanProcessors ?? []));

  const tracerProvider = new BasicTracerProvider({ resource: resourceOf(options), spanProcessors });
  if (options.registerGlobal === true) {
    trace.setGlobalTracerProvider(tracerProvider);
    // Without a context manager `startActiveSpan` cannot nest spans. The API refuses (and logs)
    // a second registration, so an app that has one keeps it, and ours is switched off again.
    const contextManager = new AsyncLocalStorageContextManager().enable();
    if (!context.setGlobalContextManager(contextManager)) contextManager.disable();
  }
  return new Recorder({
    tracerProvider,
    processor,
    mode,
    ...(options.context === undefined ? {} : { context: options.context }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ownsTracerProvider: true,
  });
}

async function destinationExporter(options: SetupOptions): Promise<SpanExporter> {
  const given = (['store', 'collector', 'exporter'] as const).filter((key) => options[key] !== undefined);
  if (given.length !== 1) {
    throw new Error(
      `createRecorder needs exactly one destination (store, collector or exporter); got ${given.length === 0 ? 'none' : given.join(', ')}`,
    );
  }
  if (options.exporter !== undefined) return options.exporter;
  if (options.collector !== undefined) {
    // With no url the exporter reads OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT itself.
    return new OTLPTraceExporter(otlpConfig(options.collector === true ? {} : options.collector));
  }
  const createTableExporter = options.tableExporterFactory ?? (await loadTableExporterFactory());
  // The table exporter keeps its spool (and parked feedback, dead letters) under its
  // `stateDirectory`; `spoolDirectory` is this package's name for it (AITDR_SPOOL_DIRECTORY).
  const { spoolDirectory, ...storeOptions } = options.storeOptions ?? {};
  const exporter = createTableExporter({
    ...storeOptions,
    ...(spoolDirectory === undefined ? {} : { stateDirectory: spoolDirectory }),
    store: options.store as string | object,
  });
  await verifyStore(exporter);
  return exporter;
}

/**
 * The table exporter checks the schema at start (`verifyStore`): a store without the schema, or
 * with an older one, rejects createRecorder with the exporter's message naming the fix.
 */
async function verifyStore(exporter: SpanExporter): Promise<void> {
  const verify = (exporter as { verifyStore?: unknown }).verifyStore;
  if (typeof verify !== 'function') return;
  try {
    await (verify as () => Promise<void>).call(exporter);
  } catch (error) {
    await exporter.shutdown().catch(() => undefined);
    throw error;
  }
}

/** Loads @aitdr/exporter on demand, so an app recording through a collector needs no database driver. */
async function loadTableExporterFactory(): Promise<TableExporterFactory> {
  // A variable specifier keeps bundlers and the type checker from requiring the optional package.
  const specifier: string = TABLE_EXPORTER_MODULE;
  let loaded: unknown;
  try {
    loaded = await import(specifier);
  } catch (error) {
    throw new Error(`a store needs ${TABLE_EXPORTER_MODULE}; install it beside @aitdr/sdk`, { cause: error });
  }
  const factory = (loaded as { createTableExporter?: unknown }).createTableExporter;
  if (typeof factory !== 'function') {
    throw new Error(`${TABLE_EXPORTER_MODULE} does not export createTableExporter`);
  }
  return factory as TableExporterFactory;
}

/** Only the settings given, so the OTLP exporter falls back to the OTEL_EXPORTER_OTLP_* variables for the rest. */
function otlpConfig(destination: OtlpDestination, defaultUrl?: string): OtlpDestination {
  const url = destination.url ?? defaultUrl;
  return {
    ...(url === undefined ? {} : { url }),
    ...(destination.headers === undefined ? {} : { headers: destination.headers }),
    ...(destination.timeoutMillis === undefined ? {} : { timeoutMillis: destination.timeoutMillis }),
  };
}

/** OpenTelemetry's defaults, then OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES, then the options. */
function resourceOf(options: SetupOptions): Resource {
  const named = resourceFromAttributes({
    ...(options.serviceName === undefined ? {} : { [ATTR_SERVICE_NAME]: options.serviceName }),
    ...(options.serviceVersion === undefined ? {} : { [ATTR_SERVICE_VERSION]: options.serviceVersion }),
  });
  return defaultResource()
    .merge(detectResources({ detectors: [envDetector] }))
    .merge(named)
    .merge(options.resource ?? null);
}
