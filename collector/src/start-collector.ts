/**
 * Assembles a running collector: table exporter, intake journal, trace assembler, metrics,
 * optional forwarder, and the HTTP app listening on its port. Used by the CLI (`collector-command.ts`), the
 * demo (in-process, on an ephemeral port) and the tests.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { createTableExporter, parseStoreUrl, STORE_STATEMENT_TIMEOUT_VARIABLE } from '@aitdr/exporter';
import type { TableExporter, TableExporterOptions } from '@aitdr/exporter';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { diag } from '@opentelemetry/api';
import { warnRenamed } from '@aitdr/conventions';
import { SpoolJournal } from './assembler/spool-journal.js';
import { TraceAssembler } from './assembler/trace-assembler.js';
import { resolveConfig } from './config.js';
import type { CollectorConfig } from './config.js';
import { GrpcReceiver } from './grpc/grpc-receiver.js';
import { buildCollectorApp } from './http/app.js';
import { Forwarder } from './receiver/forwarder.js';
import type { ForwardingStatus } from './receiver/forwarder.js';
import type { Health, Readiness } from './receiver/readiness.js';
import { CollectorMetrics } from './receiver/metrics.js';

export interface StartCollectorOptions extends Partial<CollectorConfig> {
  /** @deprecated Renamed `stateDirectory`; read until the next release. */
  readonly spoolDirectory?: string;
  /** Fastify logger option; default false (the CLI passes JSON logging at its level). */
  readonly logger?: FastifyServerOptions['logger'];
  /** How often readiness re-checks the store. Default 5000 ms. */
  readonly storeCheckIntervalMs?: number;
  /** Tuning of the table exporter (retries, breaker, batch size); the store and spool come from the config. */
  readonly exporter?: Omit<TableExporterOptions, 'store' | 'stateDirectory'>;
  /** Where the store's password (`AITDR_STORE_PASSWORD`) is read from. Default `process.env`. */
  readonly environment?: Readonly<Record<string, string | undefined>>;
  /**
   * The collector owns its process (the CLI): it may set process-wide V8 flags for its own heap
   * (see `stopAllocationSitePretenuring`). Default false: a host program's heap is its own.
   */
  readonly ownsProcess?: boolean;
}

export interface RunningCollector {
  /** Base URL, e.g. `http://127.0.0.1:4318`; OTLP clients send to `${url}/v1/traces`. */
  readonly url: string;
  readonly port: number;
  /** The OTLP/gRPC address, e.g. `http://127.0.0.1:4317` (`https://` with TLS), when gRPC is on. */
  readonly grpcUrl?: string;
  readonly grpcPort?: number;
  readonly config: CollectorConfig;
  readonly app: FastifyInstance;
  readonly exporter: TableExporter;
  readiness(): Readiness;
  /** What was forwarded to the forward endpoint, when there is one. */
  forwarding(): ForwardingStatus | undefined;
  health(): Health;
  /** Stops accepting, writes every held trace, closes the store and the journal. Runs once. */
  close(): Promise<void>;
}

/** The table exporter's state directory (its spool, parked traces, dead letters) within a collector's state directory. */
export function collectorStoreStateDirectory(stateDirectory: string): string {
  return join(stateDirectory, 'store');
}

/**
 * Turns off V8's allocation-site pretenuring for this process (V8 reads the flag at each garbage
 * collection, so setting it after start-up takes effect). Spans and rows live from their release
 * until their transaction commits: long enough for V8 to start allocating them straight in the old
 * generation, and each such decision throws away the optimized decode, assembler and mapping code
 * that allocates them, compiled again. Measured (benchmark 3's collector run, alternating pairs,
 * with and without): about 70% fewer of those deoptimizations and 8% fewer optimizing compiles per
 * run; collector CPU per trace, median, 440 → 421 µs on SQLite (16 pairs, 11 lower), 399 → 390 µs
 * on PostgreSQL (14 pairs, 10 lower).
 */
function stopAllocationSitePretenuring(): void {
  setFlagsFromString('--no-allocation-site-pretenuring');
}

/**
 * Starts a collector. In process (demo, tests) OTLP/gRPC is off unless `grpcPort` is given; the
 * CLI passes its configured port (4317 by default).
 */
export async function startCollector(options: StartCollectorOptions = {}): Promise<RunningCollector> {
  const {
    ownsProcess = false,
    logger,
    storeCheckIntervalMs,
    exporter: exporterOptions,
    environment,
    spoolDirectory,
    ...given
  } = options;
  if (spoolDirectory !== undefined)
    warnRenamed('startCollector({ spoolDirectory })', 'stateDirectory', (line) => diag.warn(line));
  const overrides = { ...(spoolDirectory === undefined ? {} : { stateDirectory: spoolDirectory }), ...given };
  // The defaults of the store given (the state directory is one per store); in process, no gRPC
  // port unless one is given.
  const defaults = resolveConfig({
    AITDR_GRPC_PORT: 'off',
    ...(overrides.store === undefined ? {} : { AITDR_STORE: overrides.store }),
  });
  const config: CollectorConfig = { ...defaults, ...withoutUndefined(overrides) };
  // Read before anything opens, so a missing file is a configuration error with nothing to undo.
  const tls = config.tls
    ? { cert: await readFile(config.tls.certFile), key: await readFile(config.tls.keyFile) }
    : undefined;
  await mkdir(config.stateDirectory, { recursive: true });

  // The journal first: its directory lock decides which of two collectors started on one spool
  // directory runs, before the other touches the exporter's state.
  const journal = await SpoolJournal.open({
    directory: join(config.stateDirectory, 'intake'),
    maxBytes: config.spoolMaxBytes,
  });
  let exporter: TableExporter;
  try {
    exporter = createTableExporter({
      // Traces per transaction: bigger batches measured faster on both stores (bench/, benchmark 3:
      // 1024 against 256, back to back, the same CPU per span and a higher rate on both stores).
      batchSize: 1024,
      // The assembler already hands traces over in bursts; the in-process default linger (50 ms) only
      // cost CPU here (benchmark 3, quick, alternating: SQLite 106.5/107.9 µs per span at 5 ms
      // against 122.9/116.4 at 50; PostgreSQL 95.1/96.3 against 98.2/101.7).
      lingerMs: 5,
      // What is being written is bounded by the assembler and kept by the journal: a burst must not
      // overflow the exporter's queue onto its spool (written and replayed for nothing).
      maxQueuedTraces: 20_000,
      ...exporterOptions,
      // Several instances may share the store, each getting part of a trace: spans of no stage that
      // reach this one before their query row is written elsewhere wait for it instead of being lost.
      parking: { unattachedSpans: true, ...exporterOptions?.parking },
      store: parseStoreUrl(config.store, {
        ...(environment ?? process.env),
        ...(config.storeStatementTimeoutMs === undefined
          ? {}
          : { [STORE_STATEMENT_TIMEOUT_VARIABLE]: String(config.storeStatementTimeoutMs) }),
      }),
      ...(config.installSchema === undefined ? {} : { installSchema: config.installSchema }),
      stateDirectory: collectorStoreStateDirectory(config.stateDirectory),
      spool: { ...exporterOptions?.spool, maxBytes: config.spoolMaxBytes },
    });
  } catch (error) {
    await journal.close();
    throw error;
  }
  try {
    // A missing or old schema stops the start here, with the message naming the fix; a store
    // that is down does not (traces are journaled and spooled until it is back).
    await exporter.verifyStore();
  } catch (error) {
    await exporter.shutdown();
    await journal.close();
    throw error;
  }
  const assembler = new TraceAssembler(exporter, journal, {
    waitMs: config.waitMs,
    maxWaitMs: config.maxWaitMs,
    maxHeldSpans: config.maxHeldSpans,
    maxPendingTraces: config.maxPendingTraces,
  });
  const metrics = new CollectorMetrics({
    writerStatus: () => exporter.status(),
    heldTraces: () => assembler.status(),
    journalBytes: () => journal.bytes,
  });
  const forwarder = config.forwardEndpoint
    ? new Forwarder({ endpoint: config.forwardEndpoint }, metrics)
    : undefined;

  let closed = false;
  const storeChecks = () => {
    const status = exporter.status();
    return {
      store: {
        ok: status.healthy,
        ...(status.healthy ? {} : { detail: status.lastError?.message ?? 'unreachable' }),
      },
      breaker: { ok: status.breaker !== 'open', detail: status.breaker },
      spool: {
        ok: status.spool.bytes < status.spool.capacityBytes,
        detail: `${status.spool.bytes} of ${status.spool.capacityBytes} bytes`,
      },
    };
  };
  const journalCheck = () => ({
    ok: !journal.full,
    detail: `${journal.bytes} of ${journal.capacityBytes} bytes${journal.full ? `, refusing requests: ${journal.refusalReason}` : ''}`,
  });
  // Ready = can accept and keep data: the journal takes requests, and what is written goes either
  // to the store or, while the store is down, to the spool. A store outage alone is not a reason
  // to be taken out of a balancer (every instance shares the store: all would go at once).
  const readiness = (): Readiness => {
    const { store, spool } = storeChecks();
    const checks = {
      accepting: { ok: !closed, ...(closed ? { detail: 'shutting down' } : {}) },
      journal: journalCheck(),
      keeping: {
        ok: store.ok || spool.ok,
        detail: store.ok
          ? 'store takes writes'
          : spool.ok
            ? `store unavailable, spooling (${spool.detail})`
            : `store unavailable and spool full (${spool.detail})`,
      },
    };
    return { ready: Object.values(checks).every((check) => check.ok), checks };
  };
  const health = (): Health => {
    const checks = { ...storeChecks(), journal: journalCheck() };
    return { storeHealthy: checks.store.ok, checks };
  };

  const app = buildCollectorApp(
    {
      maxBodyBytes: config.maxBodyBytes,
      ...(config.token ? { token: config.token } : {}),
      ...(tls ? { tls } : {}),
      logger: logger ?? false,
    },
    { intake: assembler, metrics, readiness, health, ...(forwarder ? { forwarder } : {}) },
  );

  await assembler.start();
  // Store trouble is logged when it starts and ends, not per request.
  let storeWasHealthy = true;
  const checkStore = async () => {
    await exporter.checkStore();
    const { healthy, lastError } = exporter.status();
    if (healthy !== storeWasHealthy) {
      if (healthy) app.log.info('store reachable again: spooled traces are being replayed');
      else
        app.log.warn(
          { reason: lastError?.message },
          'store unavailable: traces are kept on the spool, requests still accepted',
        );
    }
    storeWasHealthy = healthy;
  };
  void checkStore();
  const storeCheck = setInterval(() => void checkStore(), storeCheckIntervalMs ?? 5000);
  storeCheck.unref();

  let grpc: GrpcReceiver | undefined;
  try {
    await app.listen({ host: config.host, port: config.port });
    if (config.grpcPort !== undefined) {
      grpc = await GrpcReceiver.start(
        {
          host: config.host,
          port: config.grpcPort,
          maxBodyBytes: config.maxBodyBytes,
          ...(config.token ? { token: config.token } : {}),
          ...(tls ? { tls } : {}),
        },
        { intake: assembler, metrics, readiness, log: app.log, ...(forwarder ? { forwarder } : {}) },
      );
    }
  } catch (error) {
    clearInterval(storeCheck);
    await app.close();
    await assembler.close();
    await exporter.shutdown();
    await journal.close();
    throw error;
  }
  // Only now, with every module loaded and the SQLite thread started: once a V8 flag is set from
  // code, Node.js no longer accepts its built-in modules' compiled code cache, and each module (the
  // worker thread's too) loaded afterwards is compiled from source. Requests that come before it
  // only meet the flag at a later garbage collection.
  if (ownsProcess) stopAllocationSitePretenuring();
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      clearInterval(storeCheck);
      closed = true;
      // Stop accepting on both ports; requests under way finish first.
      await Promise.all([app.close(), grpc?.close()]);
      await assembler.close(); // write everything held
      await forwarder?.close();
      await exporter.shutdown();
      await journal.close();
    })());

  const forwarding = () => forwarder?.status();
  const scheme = tls ? 'https' : 'http';
  return {
    url: `${scheme}://${host}:${port}`,
    port,
    ...(grpc ? { grpcUrl: `${scheme}://${host}:${grpc.port}`, grpcPort: grpc.port } : {}),
    config,
    app,
    exporter,
    readiness,
    health,
    forwarding,
    close,
  };
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
