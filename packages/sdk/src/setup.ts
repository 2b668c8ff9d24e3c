/**
 * Set-up in one call: a tracer provider with the TraceBufferProcessor and the exporter for a
 * store (the table exporter, loaded only then), a collector (standard OTLP/HTTP) or any exporter;
 * optionally Jaeger beside it. It lives beside an app's own OpenTelemetry set-up: nothing global
 * is touched unless `registerGlobal` asks for it.
 *
 * The OpenTelemetry SDK packages are the app's (optional peers): `@opentelemetry/sdk-trace-base`
 * 2.x or `@opentelemetry/sdk-trace` 3.x (or 2.9+), `@opentelemetry/resources`, and the OTLP
 * exporter for the protocol in use. They are loaded here, on first use, so importing
 * `@aitdr/sdk` needs none of them and works on either OpenTelemetry JS line.
 */
import { context, diag, ProxyTracerProvider, trace } from '@opentelemetry/api';
import type { Attributes, TracerProvider } from '@opentelemetry/api';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION, ExportResultCode, warnRenamed } from '@aitdr/conventions';
import type { SpanExporter, SpanProcessor } from '@aitdr/conventions';
import { otlpProtocolFromEnv, samplerSettingFromEnv, sdkDisabledFromEnv } from './env.js';
import { useNativeProtobufWriter } from './otlp-protobuf.js';
import type { OtlpProtocol, SamplerSetting } from './env.js';
import { Recorder } from './recorder.js';
import { RedactingSpanExporter, SpanRedactor } from './redaction.js';
import { TraceBufferProcessor } from './trace-buffer-processor.js';
import { ContextualTracerProvider, TracerContextManager } from './tracer-context.js';
import { WholeQuerySampler } from './whole-query-sampler.js';
import type { Sampler } from './whole-query-sampler.js';
import type { OtlpDestination, SetupOptions, TableExporterFactory } from './types.js';

/** The package that stores traces in the nine tables; an optional peer of this one. */
const TABLE_EXPORTER_MODULE = '@aitdr/exporter';

/** Jaeger's OTLP/HTTP receiver on its default port. */
export const DEFAULT_JAEGER_URL = 'http://localhost:4318/v1/traces';

/** How long background traces wait to share one request to a collector (see `exportLingerMillis`). */
const COLLECTOR_EXPORT_LINGER_MILLIS = 200;

/**
 * How long background traces wait to share one write to a store. Each write call the table
 * exporter gets ends in at least one transaction, and a SQLite transaction costs about 2 ms of CPU
 * besides its rows (measured: 182, 150, 133 µs per trace at 32, 64, 128 traces per transaction);
 * traces handed over one by one made transactions of ~60 traces, gathered for 100 ms ~90. A
 * background trace may reach the store up to 100 ms later; sync writes, flushes and shutdown never wait.
 */
const STORE_EXPORT_LINGER_MILLIS = 100;

/**
 * The table exporter's batching when this processor feeds it: a hand-over is written at once,
 * in one transaction up to 256 traces. With the exporter's own defaults (128 traces, lingering
 * 100 ms for a fuller batch) benchmark 1's hand-overs (~150-200 traces) were split into two
 * transactions, and a linger only delays the commit: the processor sends nothing more until its
 * hand-over is kept. Half the commits: the SQLite thread's CPU per query 15% lower (8 of 8
 * alternating pairs), the process's 5.6% (median, 6 of 8). Not larger: the spool's replay and the
 * parking retry map `batchSize` traces in one go on the application's thread.
 */
const STORE_BATCHING = { batchSize: 256, lingerMs: 0 } as const;

/** The OTLP trace exporter package for each protocol. */
const OTLP_EXPORTER_MODULES: Record<OtlpProtocol, string> = {
  'http/protobuf': '@opentelemetry/exporter-trace-otlp-proto',
  'http/json': '@opentelemetry/exporter-trace-otlp-http',
};

/** What the set-up uses of a provider package; the same on both lines but for the names. */
interface ProviderModule {
  createProvider(options: {
    resource: unknown;
    spanProcessors: SpanProcessor[];
    sampler: Sampler;
    spanLimits: Record<string, number>;
  }): TracerProvider & { forceFlush(): Promise<void>; shutdown(): Promise<void> };
  batchProcessor(exporter: SpanExporter): SpanProcessor;
  sampler(setting: SamplerSetting): Sampler;
}

type SamplerClass = new (config?: unknown) => Sampler;
interface SamplerClasses {
  AlwaysOnSampler: SamplerClass;
  AlwaysOffSampler: SamplerClass;
  ParentBasedSampler: SamplerClass;
  TraceIdRatioBasedSampler: SamplerClass;
}

interface ResourcesModule {
  defaultResource(): ResourceValue;
  detectResources(config: { detectors: unknown[] }): ResourceValue;
  envDetector: unknown;
  resourceFromAttributes(attributes: Attributes): ResourceValue;
}
interface ResourceValue {
  merge(other: ResourceValue | null): ResourceValue;
}

/** Thrown by `createRecorder` when a package its options need is not installed. */
export class MissingPackageError extends Error {
  override readonly name = 'MissingPackageError';

  constructor(
    readonly packageName: string,
    purpose: string,
    options?: ErrorOptions,
  ) {
    super(`${purpose} needs ${packageName}; install it (npm install ${packageName})`, options);
  }
}

/**
 * Builds the tracer provider and returns a Recorder on it; `recorder.shutdown()` shuts the
 * provider down. Rejects when the options name no destination or more than one, or when a package
 * they need (the SDK's provider, a store's exporter and driver, the OTLP exporter) is not
 * installed: a set-up mistake is better found at start-up than by a recorder that silently
 * stores nothing. With `OTEL_SDK_DISABLED=true` (or `disabled`) it records nothing and loads
 * nothing, and the app's callbacks still run.
 */
export async function createRecorder(options: SetupOptions): Promise<Recorder> {
  const mode = options.mode ?? 'async';
  if (options.disabled ?? sdkDisabledFromEnv()) return disabledRecorder(options);
  const provider = await loadProviderModule();
  const exporter = await destinationExporter(options);
  const processor = new TraceBufferProcessor({
    // Each export is a request to a collector, a transaction in a store: gathered, they cost less per span.
    exportLingerMillis: exportLingerOf(options),
    ...options.buffer,
    exporter,
    // Traces nobody awaits (plain OpenTelemetry spans) follow the background part of the mode.
    mode: mode === 'buffered' ? 'buffered' : 'async',
    ...(options.redaction === undefined ? {} : { redaction: options.redaction }),
  });
  const spanProcessors: SpanProcessor[] = [processor];
  if (options.jaeger !== undefined) {
    const jaeger = await otlpExporter(options.jaeger === true ? {} : options.jaeger, DEFAULT_JAEGER_URL);
    const viewed =
      options.redaction === undefined
        ? jaeger
        : new RedactingSpanExporter(jaeger, new SpanRedactor(options.redaction));
    spanProcessors.push(provider.batchProcessor(viewed));
  }
  spanProcessors.push(...(options.spanProcessors ?? []));

  const sdkProvider = provider.createProvider({
    resource: await resourceOf(options),
    spanProcessors,
    sampler: new WholeQuerySampler(options.sampler ?? provider.sampler(samplerSettingFromEnv())),
    // Training data is stored whole: general limits (OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT, …) would cut
    // the question and the SQL short without a trace of it in the rows.
    spanLimits: { attributeValueLengthLimit: Infinity, attributeCountLimit: Infinity },
  });
  const tracerProvider = new ContextualTracerProvider(sdkProvider);
  if (options.registerGlobal === true) {
    trace.setGlobalTracerProvider(tracerProvider);
    // The API refuses (and logs) a second registration, so an app that has a manager keeps it.
    context.setGlobalContextManager(new TracerContextManager());
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

/** The export linger for the destination: only to a collector or a store (any other exporter: none). */
function exportLingerOf(options: SetupOptions): number {
  if (options.collector !== undefined) return COLLECTOR_EXPORT_LINGER_MILLIS;
  return options.store !== undefined ? STORE_EXPORT_LINGER_MILLIS : 0;
}

/** Spans from the API's no-op tracer: nothing recorded, nothing loaded, callbacks still run. */
function disabledRecorder(options: SetupOptions): Recorder {
  const discard: SpanExporter = {
    export: (_spans, resultCallback) => resultCallback({ code: ExportResultCode.SUCCESS }),
    shutdown: () => Promise.resolve(),
  };
  diag.info('@aitdr/sdk: OpenTelemetry SDK disabled (OTEL_SDK_DISABLED); nothing is recorded');
  return new Recorder({
    // A proxy with no delegate hands out the API's no-op tracer, whatever the app registered.
    tracerProvider: new ProxyTracerProvider(),
    processor: new TraceBufferProcessor({ exporter: discard }),
    mode: options.mode ?? 'async',
    ...(options.context === undefined ? {} : { context: options.context }),
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
    return otlpExporter(options.collector === true ? {} : options.collector);
  }
  const createTableExporter = options.tableExporterFactory ?? (await loadTableExporterFactory());
  // The table exporter keeps its spool (and parked feedback, dead letters) under its
  // `stateDirectory`; `spoolDirectory` was this package's old name for it.
  const { spoolDirectory, ...storeOptions } = options.storeOptions ?? {};
  if (spoolDirectory !== undefined)
    warnRenamed('storeOptions.spoolDirectory', 'storeOptions.stateDirectory', (line) =>
      diag.warn(`@aitdr/sdk: ${line}`),
    );
  const stateDirectory = (storeOptions.stateDirectory ?? spoolDirectory) as string | undefined;
  // Awaited: the table exporter checks at creation that its database driver loads.
  const exporter = await createTableExporter({
    ...STORE_BATCHING,
    ...storeOptions,
    ...(stateDirectory === undefined ? {} : { stateDirectory }),
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
  const loaded = await importOptional(TABLE_EXPORTER_MODULE, 'a store (createRecorder({ store }))');
  const factory = (loaded as { createTableExporter?: unknown }).createTableExporter;
  if (typeof factory !== 'function') {
    throw new Error(`${TABLE_EXPORTER_MODULE} does not export createTableExporter`);
  }
  return factory as TableExporterFactory;
}

/**
 * The provider package of the app's OpenTelemetry line: `@opentelemetry/sdk-trace-base` on line 2
 * (it exists only there, and applies the `OTEL_BSP_*` variables to the Jaeger batch processor, as
 * its users expect), else `@opentelemetry/sdk-trace` (3.x, or 2.9+; the same API, other names).
 */
async function loadProviderModule(): Promise<ProviderModule> {
  const base = await importIfInstalled('@opentelemetry/sdk-trace-base');
  if (base !== undefined) {
    const module = base as SamplerClasses & {
      BasicTracerProvider: new (options: object) => ReturnType<ProviderModule['createProvider']>;
      BatchSpanProcessor: new (exporter: SpanExporter) => SpanProcessor;
    };
    return {
      createProvider: (options) => new module.BasicTracerProvider(options),
      batchProcessor: (exporter) => new module.BatchSpanProcessor(exporter),
      sampler: (setting) => samplerOf(module, setting),
    };
  }
  const module = (await importOptional(
    '@opentelemetry/sdk-trace',
    'createRecorder (a tracer provider: @opentelemetry/sdk-trace, or sdk-trace-base on OpenTelemetry JS 2)',
  )) as SamplerClasses & {
    TracerProvider: new (options: object) => ReturnType<ProviderModule['createProvider']>;
    BatchSpanProcessor: new (options: { exporter: SpanExporter }) => SpanProcessor;
  };
  return {
    createProvider: (options) => new module.TracerProvider(options),
    batchProcessor: (exporter) => new module.BatchSpanProcessor({ exporter }),
    sampler: (setting) => samplerOf(module, setting),
  };
}

/** The sampler OTEL_TRACES_SAMPLER names, built as the SDK itself would. */
function samplerOf(classes: SamplerClasses, setting: SamplerSetting): Sampler {
  const root = (name: 'always_on' | 'always_off' | 'traceidratio'): Sampler => {
    if (name === 'always_on') return new classes.AlwaysOnSampler();
    if (name === 'always_off') return new classes.AlwaysOffSampler();
    return new classes.TraceIdRatioBasedSampler(setting.ratio);
  };
  if (!setting.name.startsWith('parentbased_')) return root(setting.name as 'always_on');
  return new classes.ParentBasedSampler({
    root: root(setting.name.slice('parentbased_'.length) as 'always_on'),
  });
}

/** The OTLP/HTTP exporter for OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL, or the destination's own. */
async function otlpExporter(destination: OtlpDestination, defaultUrl?: string): Promise<SpanExporter> {
  const protocol = destination.protocol ?? otlpProtocolFromEnv();
  const specifier = OTLP_EXPORTER_MODULES[protocol];
  const module = (await importOptional(specifier, `OTLP over ${protocol}`)) as {
    OTLPTraceExporter: new (config: object) => SpanExporter;
  };
  const url = destination.url ?? defaultUrl;
  // Only the settings given, so the exporter falls back to the OTEL_EXPORTER_OTLP_* variables for the rest.
  const exporter = new module.OTLPTraceExporter({
    ...(url === undefined ? {} : { url }),
    ...(destination.headers === undefined ? {} : { headers: destination.headers }),
    ...(destination.timeoutMillis === undefined ? {} : { timeoutMillis: destination.timeoutMillis }),
  });
  // The same bytes with less CPU (see otlp-protobuf.ts); the JSON exporter is left as it is.
  if (protocol === 'http/protobuf') useNativeProtobufWriter(exporter);
  return exporter;
}

/** OpenTelemetry's defaults, then OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES, then the options. */
async function resourceOf(options: SetupOptions): Promise<unknown> {
  const resources = (await importOptional(
    '@opentelemetry/resources',
    'createRecorder (the service resource)',
  )) as ResourcesModule;
  const named = resources.resourceFromAttributes({
    ...options.resource,
    ...(options.serviceName === undefined ? {} : { [ATTR_SERVICE_NAME]: options.serviceName }),
    ...(options.serviceVersion === undefined ? {} : { [ATTR_SERVICE_VERSION]: options.serviceVersion }),
  });
  return resources
    .defaultResource()
    .merge(resources.detectResources({ detectors: [resources.envDetector] }))
    .merge(named);
}

/** A variable specifier keeps bundlers and the type checker from requiring the optional package. */
async function importOptional(specifier: string, purpose: string): Promise<unknown> {
  try {
    return await import(specifier);
  } catch (error) {
    if (isNotFound(error, specifier)) throw new MissingPackageError(specifier, purpose, { cause: error });
    throw error;
  }
}

async function importIfInstalled(specifier: string): Promise<unknown> {
  try {
    return await import(specifier);
  } catch (error) {
    if (isNotFound(error, specifier)) return undefined;
    throw error;
  }
}

/** The package itself is missing (not one of its own imports failing inside it). */
function isNotFound(error: unknown, specifier: string): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : '';
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || message.startsWith('Cannot find')) &&
    message.includes(`'${specifier}'`)
  );
}
