/**
 * The demo run: creates the sample database, records `queries` questions through the
 * instrumented pipeline (through the collector over OTLP/HTTP by default), records the users'
 * feedback later as traces of their own, shuts everything down, and reads the store back.
 */
import { existsSync, mkdirSync } from 'node:fs';
import type { UserFeedbackFields } from '@aitdr/conventions';
import { dirname, resolve } from 'node:path';
import { startCollector } from '@aitdr/collector';
import type { ForwardingStatus } from '@aitdr/collector';
import {
  ApiModelStandIn,
  createRng,
  createSampleDatabase,
  judgeAnswer,
  loadSqlParser,
  LocalModelStandIn,
  openSampleDatabase,
  readDatabaseSchema,
  referenceRows,
  SAMPLE_TABLES,
  simulateFeedback,
} from '@aitdr/demo';
import type { PipelineDependencies, ResultRow, SimulatedFeedback } from '@aitdr/demo';
import { parseStoreUrl, redactStoreUrl, StoreOpenError } from '@aitdr/exporter';
import type { StoreReadError } from '@aitdr/exporter';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createRecorder } from '@aitdr/sdk';
import type { Recorder, SetupOptions, SystemStatus } from '@aitdr/sdk';
import { demoCollectorStateDirectory, demoExporterStateDirectory } from '../commands/defaults.js';
import { countStoredRows } from '../store/table-rows.js';
import type { Progress } from '../terminal/progress.js';
import { RealClock, SimulatedClock } from './demo-clock.js';
import type { DemoClock } from './demo-clock.js';
import { planRequests } from './demo-timeline.js';
import { answerWithRecording } from './instrumented-pipeline.js';
import { CountingJaegerExporter } from './jaeger-export.js';
import { SentRowCounter } from './sent-rows.js';

/** How the spans reach the store. */
export type DemoTransport =
  /** OTLP/HTTP to a collector this run starts in-process on a loopback port (the default). */
  | { readonly kind: 'collector' }
  /** OTLP/HTTP to a collector already running elsewhere, which writes to its own store. */
  | { readonly kind: 'external-collector'; readonly url: string }
  /** The SDK hands whole traces to the table exporter in this process. */
  | { readonly kind: 'in-process' };

export interface DemoOptions {
  /** Questions to ask. */
  readonly queries: number;
  readonly seed: string | number;
  /** Where the traces are stored (read back for the summary): a store URL. */
  readonly store: string;
  /** The sample manufacturing database the questions are answered on; recreated from the seed. */
  readonly sampleDatabase: string;
  /** Days of history the questions spread over (simulated time). */
  readonly days: number;
  readonly transport: DemoTransport;
  /** Also send every span to Jaeger (OTLP/HTTP traces URL). */
  readonly jaegerUrl?: string;
  /** Wait out the models' latencies and record at the real time instead of simulating it. */
  readonly realTime: boolean;
  /** Where the exporter's or the collector's spool and dead letters live. */
  readonly stateDirectory: string;
  /** The run's "now": the simulated questions are asked on the days before it. Default: the clock. */
  readonly nowMs?: number;
  readonly progress?: Progress;
  /** Stops asking new questions (Ctrl-C): the run then shuts down cleanly and reports what it recorded. */
  readonly signal?: AbortSignal;
  /**
   * With an external collector: how long the stored counts must stay unchanged, and the longest
   * wait for all sent rows. Default 3 s (the collector waits 1 s for a trace by default) and 45 s
   * (its longest wait for a root is 30 s).
   */
  readonly settle?: { readonly quietMs: number; readonly maxMs: number };
}

const DEFAULT_SETTLE = { quietMs: 3000, maxMs: 45_000 };

/**
 * Reads the store until every sent row is there, or the counts stay unchanged for `quietMs`
 * (some traces may be refused or dead-lettered), or `maxMs` has passed.
 */
async function settledCounts(
  store: string,
  before: ReadonlyMap<string, number> | StoreReadError,
  sent: ReadonlyMap<string, number>,
  settle = DEFAULT_SETTLE,
): Promise<{ counts: ReadonlyMap<string, number> | StoreReadError; settled: boolean }> {
  const started = Date.now();
  let counts = await countStoredRows(store);
  let lastChange = Date.now();
  const allStored = (now: ReadonlyMap<string, number>) =>
    [...sent].every(
      ([table, rows]) =>
        (now.get(table) ?? 0) - (before instanceof Error ? 0 : (before.get(table) ?? 0)) >= rows,
    );
  for (;;) {
    if (!(counts instanceof Error) && allStored(counts)) return { counts, settled: true };
    if (Date.now() - lastChange >= settle.quietMs) return { counts, settled: true };
    if (Date.now() - started >= settle.maxMs) return { counts, settled: false };
    await new Promise((resolve) => setTimeout(resolve, 250));
    const next = await countStoredRows(store);
    if (!sameCounts(counts, next)) lastChange = Date.now();
    counts = next;
  }
}

function sameCounts(
  a: ReadonlyMap<string, number> | StoreReadError,
  b: ReadonlyMap<string, number> | StoreReadError,
): boolean {
  if (a instanceof Error || b instanceof Error) return a instanceof Error && b instanceof Error;
  return a.size === b.size && [...a].every(([table, rows]) => b.get(table) === rows);
}

export interface DemoResult {
  /** Questions asked: fewer than planned when the run was stopped. */
  readonly questions: number;
  readonly planned: number;
  readonly answered: number;
  /** Questions for which at least one fallback fired. */
  readonly withFallback: number;
  readonly fallbacks: number;
  readonly feedback: number;
  readonly correctedSql: number;
  /** Rows sent per table (stage spans that ended). */
  readonly sent: ReadonlyMap<string, number>;
  /** Rows in the store before and after the run, or why it could not be read. */
  readonly storedBefore: ReadonlyMap<string, number> | StoreReadError;
  readonly storedAfter: ReadonlyMap<string, number> | StoreReadError;
  /** The store, password hidden. */
  readonly store: string;
  /** The SQLite file of the store, when it is one. */
  readonly storeFile?: string;
  readonly sampleDatabase: string;
  /** Where the spans went: the collector's URL, or the table exporter in-process. */
  readonly destination: string;
  /** What the recording path reported at the end (spooled, dead-lettered … traces). */
  readonly recorderStatus: SystemStatus;
  /** With --jaeger: requests sent to Jaeger, failed (and why), skipped. */
  readonly jaeger?: ForwardingStatus;
  /** With an external collector: the stored counts had not settled when the wait ran out. */
  readonly unsettled?: boolean;
  readonly seconds: number;
}

const SERVICE_NAME = 'aitdr-demo';
const SERVICE_VERSION = '0.1.0';
/** Short, so traces are written soon after their root ends; closing the collector writes the rest. */
const COLLECTOR_TRACE_WAIT_MS = 200;

interface PendingFeedback {
  readonly queryId: string;
  readonly rootSpanId: string;
  readonly feedback: Omit<UserFeedbackFields, 'queryId'>;
  readonly atMs: number;
}

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const started = performance.now();
  const storeOptions = parseStoreUrl(options.store); // a store URL it cannot read fails here
  const storeFile = storeOptions.dialect === 'sqlite' ? storeOptions.filename : undefined;
  if (storeFile !== undefined && storeFile !== ':memory:') mkdirSync(dirname(storeFile), { recursive: true });

  // A store that cannot be reached fails the run before anything is recorded; a SQLite file
  // that does not exist yet is fine (it is created), as is a store without the tables yet.
  const newFile = storeFile !== undefined && !existsSync(storeFile);
  const storedBefore = await countStoredRows(options.store);
  if (storedBefore instanceof StoreOpenError && !newFile) throw storedBefore;

  const sampleDatabase = resolve(options.sampleDatabase);
  refuseToReplace(sampleDatabase, storeFile);
  mkdirSync(dirname(sampleDatabase), { recursive: true });
  createSampleDatabase(sampleDatabase, { seed: options.seed, overwrite: true });
  const db = openSampleDatabase(sampleDatabase);
  try {
    const deps: PipelineDependencies = {
      db,
      schema: readDatabaseSchema(db),
      parser: await loadSqlParser(),
      apiModel: new ApiModelStandIn(),
      localModel: new LocalModelStandIn(),
    };
    const clock: DemoClock = options.realTime ? new RealClock() : new SimulatedClock();
    const counter = new SentRowCounter();
    const { recorder, destination, close, jaeger } = await openDestination(options, clock, counter);

    let run: Awaited<ReturnType<typeof recordQuestions>>;
    try {
      run = await recordQuestions(recorder, deps, clock, options);
      await recorder.forceFlush();
    } finally {
      await recorder.shutdown();
      await close();
    }
    const sent = counter.rows();
    // A collector elsewhere writes after its own wait: read once its counts stop moving.
    const stored =
      options.transport.kind === 'external-collector'
        ? await settledCounts(options.store, storedBefore, sent, options.settle)
        : { counts: await countStoredRows(options.store), settled: true };
    const forwarding = jaeger();
    return {
      ...run,
      sent,
      storedBefore,
      storedAfter: stored.counts,
      ...(stored.settled ? {} : { unsettled: true }),
      ...(forwarding === undefined ? {} : { jaeger: forwarding }),
      store: redactStoreUrl(options.store),
      ...(storeFile === undefined ? {} : { storeFile }),
      sampleDatabase,
      destination,
      recorderStatus: recorder.status(),
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    db.close();
  }
}

/**
 * The sample database is recreated on every run: refuse when that would replace the store, or a
 * file that is not a sample database (a typo in --sample-db must not cost anyone their data).
 */
function refuseToReplace(sampleDatabase: string, storeFile: string | undefined): void {
  if (sampleDatabase === storeFile) {
    throw new Error(
      `the sample database and the store are the same file, ${sampleDatabase}: give each its own`,
    );
  }
  if (!existsSync(sampleDatabase)) return;
  let tables: Set<string>;
  try {
    const db = openSampleDatabase(sampleDatabase);
    try {
      tables = new Set(
        db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[],
      );
    } finally {
      db.close();
    }
  } catch {
    tables = new Set();
  }
  if (!SAMPLE_TABLES.every((table) => tables.has(table))) {
    throw new Error(
      `${sampleDatabase} is not a sample database the demo made; not replacing it (choose another --sample-db)`,
    );
  }
}

/** The recorder, with the collector it sends to when the run starts one. */
async function openDestination(
  options: DemoOptions,
  clock: DemoClock,
  counter: SentRowCounter,
): Promise<{
  recorder: Recorder;
  destination: string;
  close: () => Promise<void>;
  jaeger: () => ForwardingStatus | undefined;
}> {
  const common: SetupOptions = {
    serviceName: SERVICE_NAME,
    serviceVersion: SERVICE_VERSION,
    context: { clientInfo: `${SERVICE_NAME}/${SERVICE_VERSION} (stand-in models)`, databaseType: 'sqlite' },
    spanProcessors: [counter],
    ...(clock.recorderClock === undefined ? {} : { clock: clock.recorderClock }),
  };
  // Without a collector of ours, the SDK sends to Jaeger itself, through an exporter that counts.
  const jaegerExporter =
    options.jaegerUrl === undefined || options.transport.kind === 'collector'
      ? undefined
      : new CountingJaegerExporter(options.jaegerUrl);
  const jaeger =
    jaegerExporter === undefined
      ? {}
      : { spanProcessors: [...(common.spanProcessors ?? []), new BatchSpanProcessor(jaegerExporter)] };
  const jaegerStatus = () => jaegerExporter?.status();
  switch (options.transport.kind) {
    case 'in-process': {
      const recorder = await createRecorder({
        ...common,
        ...jaeger,
        store: options.store,
        // The demo fills a store of its own, so it may install the schema (PostgreSQL too).
        storeOptions: {
          stateDirectory: demoExporterStateDirectory(options.stateDirectory),
          installSchema: true,
        },
      });
      return {
        recorder,
        destination: 'the table exporter, in-process',
        close: () => Promise.resolve(),
        jaeger: jaegerStatus,
      };
    }
    case 'external-collector': {
      const recorder = await createRecorder({
        ...common,
        ...jaeger,
        collector: { url: options.transport.url },
      });
      return {
        recorder,
        destination: options.transport.url,
        close: () => Promise.resolve(),
        jaeger: jaegerStatus,
      };
    }
    case 'collector': {
      // The collector forwards to Jaeger itself, unchanged, beside storing.
      const collector = await startCollector({
        store: options.store,
        host: '127.0.0.1',
        port: 0,
        stateDirectory: demoCollectorStateDirectory(options.stateDirectory),
        waitMs: COLLECTOR_TRACE_WAIT_MS,
        exporter: { installSchema: true },
        ...(options.jaegerUrl === undefined ? {} : { forwardEndpoint: options.jaegerUrl }),
      });
      try {
        const recorder = await createRecorder({
          ...common,
          collector: { url: `${collector.url}/v1/traces` },
        });
        return {
          recorder,
          destination: `the collector at ${collector.url}`,
          close: () => collector.close(),
          jaeger: () => collector.forwarding(),
        };
      } catch (error) {
        await collector.close();
        throw error;
      }
    }
  }
}

/** Asks every question, and records each user's feedback once its (simulated) time has come. */
async function recordQuestions(
  recorder: Recorder,
  deps: PipelineDependencies,
  clock: DemoClock,
  options: DemoOptions,
): Promise<
  Pick<
    DemoResult,
    'questions' | 'planned' | 'answered' | 'withFallback' | 'fallbacks' | 'feedback' | 'correctedSql'
  >
> {
  const rng = createRng(options.seed);
  const requests = planRequests(options.queries, rng.fork('timeline'), {
    nowMs: options.nowMs ?? Date.now(),
    days: options.days,
  });
  const references = new Map<string, readonly ResultRow[]>();
  const pending: PendingFeedback[] = [];
  const totals = {
    questions: 0,
    planned: requests.length,
    answered: 0,
    withFallback: 0,
    fallbacks: 0,
    feedback: 0,
    correctedSql: 0,
  };

  // Feedback is given later, from the query ID the UI kept, as a trace of its own.
  const giveFeedbackUntil = async (untilMs: number) => {
    pending.sort((a, b) => a.atMs - b.atMs);
    while (pending.length > 0 && pending[0]!.atMs <= untilMs) {
      const { queryId, rootSpanId, feedback, atMs } = pending.shift()!;
      clock.jumpTo(atMs);
      await recorder.recordFeedback({ queryId, rootSpanId, ...feedback });
      totals.feedback += 1;
      if (feedback.correctedSql !== undefined) totals.correctedSql += 1;
    }
  };

  options.progress?.start(requests.length);
  for (const request of requests) {
    if (options.signal?.aborted === true) break;
    if (clock.simulated) {
      await giveFeedbackUntil(request.arrivalMs);
      clock.jumpTo(request.arrivalMs);
    }
    const questionRng = rng.fork(`question/${request.index}`);
    const { queryId, rootSpanId, result } = await recorder.recordQuery(
      {
        text: request.text,
        context: { username: request.username, sessionId: request.sessionId, queryMode: 'interactive' },
      },
      (query) => answerWithRecording(query, request.text, deps, questionRng, clock),
    );
    totals.questions += 1;
    if (result.status === 'answered') totals.answered += 1;
    if (result.fallbacks > 0) totals.withFallback += 1;
    totals.fallbacks += result.fallbacks;

    let reference = references.get(request.question.id);
    if (reference === undefined) {
      reference = referenceRows(deps.db, deps.parser, request.question);
      references.set(request.question.id, reference);
    }
    const feedback = simulateFeedback(
      judgeAnswer(result.rows, reference),
      request.question,
      questionRng.fork('feedback'),
      {
        answeredAt: new Date(clock.now()),
        username: request.username,
      },
    );
    if (feedback !== undefined) {
      // In real time the user answers at the end of the run, not hours from now.
      const atMs = clock.simulated ? Date.parse(feedback.submittedAt) : 0;
      const given = clock.simulated ? feedback : withoutSubmittedAt(feedback);
      pending.push({ queryId, rootSpanId, feedback: given, atMs });
    }
    options.progress?.increment();
  }
  await giveFeedbackUntil(Number.POSITIVE_INFINITY);
  options.progress?.stop();
  return totals;
}

function withoutSubmittedAt(feedback: SimulatedFeedback): Omit<UserFeedbackFields, 'queryId'> {
  const { submittedAt: _submittedAt, ...rest } = feedback;
  return rest;
}
