/**
 * Benchmarks 1 and 2: what recording costs the request path.
 *
 * The same query (root span, eight stage spans, later feedback: ten spans with the demo's
 * attribute sizes) is recorded by four variants, in every round, in rotating order:
 * - `bare`: plain OpenTelemetry calls on a BasicTracerProvider with no processor (the baseline);
 * - `sqlite`, `postgres`: the typed helpers and the TraceBufferProcessor in `async` mode with a
 *   real table exporter (createRecorder) on a healthy store;
 * - `postgres-down`: the same with the database unreachable (connection refused), so the breaker
 *   is open and traces go to the spool.
 * - `helpers-noop`: the typed helpers and the processor with an exporter that does nothing: the
 *   SDK's own request-path code without any export work (to tell the two costs apart).
 * - `collector`: the typed helpers and the processor (createRecorder's collector path: OTLP
 *   protobuf, traces gathered into larger requests) sending to an OTLP endpoint in another process;
 * - `otel-batch-proto`: the bare calls with the standard BatchSpanProcessor and the official
 *   OTLP protobuf exporter sending to the same endpoint: what plain OpenTelemetry costs.
 * CPU per query: this process's CPU (every thread: the SQLite worker included) over a variant's
 * block of queries and the flush that ends it, so the background export is counted where it runs.
 * Each query is timed alone, from the call to the resolution of its promise; then the loop
 * sleeps one timer tick (untimed, about 1 ms: under 1000 queries per second, a rate every store
 * keeps up with, so nothing is dropped), in which the background export runs, as it would
 * between requests in a server.
 */
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { Recorder as SdkRecorder, TraceBufferProcessor, createRecorder } from '@aitdr/sdk';
import type { Recorder } from '@aitdr/sdk';
import { createTemporaryDatabase } from '@aitdr/tests/support/postgres.js';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';
import type { OtlpSinkMessage } from '../collector/otlp-sink.js';
import { forkSource } from '../harness/child-process.js';
import { emitFigure, mean, median, percentile } from '../harness/figures.js';
import { byMode, log, modeFromArgs } from '../harness/mode.js';
import { recordBare, recordWithHelpers, toBareQuery } from '../workload/record-query.js';
import { loadQueryShapes } from '../workload/realistic-queries.js';
import type { QueryShape } from '../workload/realistic-queries.js';

const mode = modeFromArgs();
const settings = byMode(mode, {
  full: { warmup: 1000, perRound: 600, rounds: 5 },
  quick: { warmup: 500, perRound: 500, rounds: 3 },
  smoke: { warmup: 50, perRound: 100, rounds: 2 },
});
const BENCH_1 = '1 request-path overhead';
const BENCH_2 = '2 overhead with the store down';

type VariantName =
  'bare' | 'helpers-noop' | 'sqlite' | 'postgres' | 'postgres-down' | 'collector' | 'otel-batch-proto';

/** Accepts every span and does nothing with it. */
const NOOP_EXPORTER: SpanExporter = {
  export: (_spans: ReadableSpan[], done: (result: ExportResult) => void) =>
    done({ code: ExportResultCode.SUCCESS }),
  shutdown: () => Promise.resolve(),
};

interface Variant {
  readonly name: VariantName;
  /** Records query `i`; resolves when the caller would continue. */
  record(i: number): Promise<void>;
  readonly recorder?: Recorder;
  /** Ends a block: exports what the variant still holds, so its CPU is counted in its block. */
  flush?(): Promise<void>;
}

/** A port on loopback where nothing listens: connecting is refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function timeQueries(variant: Variant, count: number, offset: number): Promise<number[]> {
  const micros: number[] = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const started = process.hrtime.bigint();
    await variant.record(offset + i);
    micros[i] = Number(process.hrtime.bigint() - started) / 1000;
    await sleep(1);
  }
  return micros;
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

async function main(): Promise<void> {
  const shapes = await loadQueryShapes();
  const bareQueries = shapes.map(toBareQuery);
  const shape = (i: number): QueryShape => shapes[i % shapes.length]!;
  const directory = createTemporaryDirectory('aitdr-bench-request-');
  const database = await createTemporaryDatabase('aitdr_bench');
  const downPort = await closedPort();
  const sink = forkSource<OtlpSinkMessage>('collector/otlp-sink.ts', {});
  const sinkUrl = (await sink.next<Extract<OtlpSinkMessage, { type: 'listening' }>>('listening')).url;
  const recorders: Recorder[] = [];
  const storeRecorder = async (name: string, store: string): Promise<Recorder> => {
    const stateDirectory = join(directory.path, name);
    mkdirSync(stateDirectory, { recursive: true });
    const recorder = await createRecorder({ store, storeOptions: { stateDirectory }, mode: 'async' });
    recorders.push(recorder);
    return recorder;
  };
  try {
    const tracer = new BasicTracerProvider().getTracer('bench');
    const noopProcessor = new TraceBufferProcessor({ exporter: NOOP_EXPORTER });
    const helpersOnly = new SdkRecorder({
      tracerProvider: new BasicTracerProvider({ spanProcessors: [noopProcessor] }),
      processor: noopProcessor,
      ownsTracerProvider: true,
    });
    recorders.push(helpersOnly);
    const sqlite = await storeRecorder('sqlite', `sqlite:${join(directory.path, 'training.db')}`);
    const postgres = await storeRecorder('postgres', database.url);
    const down = await storeRecorder('down', `postgres://postgres@127.0.0.1:${downPort}/unreachable`);
    const toCollector = await createRecorder({ collector: { url: `${sinkUrl}/v1/traces` }, mode: 'async' });
    recorders.push(toCollector);
    const batchProvider = new BasicTracerProvider({
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${sinkUrl}/v1/traces` }))],
    });
    const batchTracer = batchProvider.getTracer('bench');
    const flushRecorder = (recorder: Recorder) => () => recorder.forceFlush();
    const variants: Variant[] = [
      { name: 'bare', record: (i) => recordBare(tracer, bareQueries[i % bareQueries.length]!) },
      { name: 'helpers-noop', record: (i) => recordWithHelpers(helpersOnly, shape(i)) },
      {
        name: 'sqlite',
        recorder: sqlite,
        record: (i) => recordWithHelpers(sqlite, shape(i)),
        flush: flushRecorder(sqlite),
      },
      {
        name: 'postgres',
        recorder: postgres,
        record: (i) => recordWithHelpers(postgres, shape(i)),
        flush: flushRecorder(postgres),
      },
      {
        name: 'collector',
        recorder: toCollector,
        record: (i) => recordWithHelpers(toCollector, shape(i)),
        flush: flushRecorder(toCollector),
      },
      {
        name: 'otel-batch-proto',
        record: (i) => recordBare(batchTracer, bareQueries[i % bareQueries.length]!),
        flush: () => batchProvider.forceFlush(),
      },
      {
        name: 'postgres-down',
        recorder: down,
        record: (i) => recordWithHelpers(down, shape(i)),
        // Its last hand-over is spooled here, not in the next block (bare's in most rounds).
        flush: flushRecorder(down),
      },
    ];

    log(`request path: warm-up, ${settings.warmup} queries per variant`);
    for (const variant of variants) await timeQueries(variant, settings.warmup, 0);
    // The outage case is measured with the breaker open, as it is after the first failures.
    const opened = await waitFor(() => down.status().breaker === 'open', 30_000);
    log(`request path: breaker of the unreachable store ${opened ? 'open' : 'NOT open'}`);
    const droppedInWarmUp = down.status().processor.spansDropped;
    // The first run must not pay for the warm-up's exports still under way.
    await Promise.all(recorders.map((recorder) => recorder.forceFlush()));

    await batchProvider.forceFlush();

    const byVariant = new Map<VariantName, { mean: number[]; p99: number[]; max: number[]; cpu: number[] }>(
      variants.map((v) => [v.name, { mean: [], p99: [], max: [], cpu: [] }]),
    );
    const ratios = {
      helpersNoop: [] as number[],
      sqlite: [] as number[],
      postgres: [] as number[],
      collector: [] as number[],
      otelBatchProto: [] as number[],
      downP99: [] as number[],
      cpu: { sqlite: [] as number[], collector: [] as number[], otelBatchProto: [] as number[] },
    };
    let downBreakerOpenRounds = 0;
    for (let round = 0; round < settings.rounds; round++) {
      const means = new Map<VariantName, number>();
      const p99s = new Map<VariantName, number>();
      // Rotating the order spreads whatever else the machine does over every variant.
      const order = variants.map((_, i) => variants[(i + round) % variants.length]!);
      const cpuPerQuery = new Map<VariantName, number>();
      for (const variant of order) {
        const cpu = process.cpuUsage();
        const micros = await timeQueries(
          variant,
          settings.perRound,
          settings.warmup + round * settings.perRound,
        );
        await variant.flush?.();
        const used = process.cpuUsage(cpu);
        cpuPerQuery.set(variant.name, (used.user + used.system) / settings.perRound);
        const stats = byVariant.get(variant.name)!;
        stats.cpu.push(cpuPerQuery.get(variant.name)!);
        means.set(variant.name, mean(micros));
        p99s.set(variant.name, percentile(micros, 99));
        stats.mean.push(mean(micros));
        stats.p99.push(percentile(micros, 99));
        stats.max.push(Math.max(...micros));
        if (variant.name === 'postgres-down' && down.status().breaker === 'open') downBreakerOpenRounds += 1;
      }
      const bare = means.get('bare')!;
      ratios.helpersNoop.push(means.get('helpers-noop')! / bare);
      ratios.sqlite.push(means.get('sqlite')! / bare);
      ratios.postgres.push(means.get('postgres')! / bare);
      ratios.collector.push(means.get('collector')! / bare);
      ratios.otelBatchProto.push(means.get('otel-batch-proto')! / bare);
      const bareCpu = cpuPerQuery.get('bare')!;
      ratios.cpu.sqlite.push(cpuPerQuery.get('sqlite')! / bareCpu);
      ratios.cpu.collector.push(cpuPerQuery.get('collector')! / bareCpu);
      ratios.cpu.otelBatchProto.push(cpuPerQuery.get('otel-batch-proto')! / bareCpu);
      ratios.downP99.push(p99s.get('postgres-down')! / p99s.get('postgres')!);
      log(
        `round ${round + 1}: ` +
          [...means]
            .map(([name, us]) => `${name} ${us.toFixed(1)} µs (p99 ${p99s.get(name)!.toFixed(1)})`)
            .join(', '),
      );
    }

    for (const recorder of [sqlite, postgres]) await recorder.forceFlush();
    const counters = (recorder: Recorder) => {
      const status = recorder.status();
      return { dropped: status.processor.spansDropped, writer: status.writer };
    };
    log(`sqlite: ${JSON.stringify(counters(sqlite))}`);
    log(`postgres: ${JSON.stringify(counters(postgres))}`);
    log(`postgres-down: ${JSON.stringify(counters(down))}`);

    const runs = settings.rounds;
    const perQuery = (name: VariantName, label: string) => {
      const values = byVariant.get(name)!.mean;
      emitFigure({
        benchmark: BENCH_1,
        figure: `request_path.${name.replaceAll('-', '_')}.us_per_query`,
        label,
        value: median(values),
        unit: 'µs',
        runs: values,
        note: `mean per query over ${settings.perRound} queries per run, ${runs} runs`,
      });
    };
    perQuery('bare', 'Bare OpenTelemetry (BasicTracerProvider, no processor), per query');
    perQuery('helpers-noop', 'Typed helpers + TraceBufferProcessor, exporter that does nothing, per query');
    perQuery('sqlite', 'Typed helpers + TraceBufferProcessor + table exporter (SQLite, async), per query');
    perQuery(
      'postgres',
      'Typed helpers + TraceBufferProcessor + table exporter (PostgreSQL, async), per query',
    );
    const sqliteDropped = sqlite.status().processor.spansDropped;
    const postgresDropped = postgres.status().processor.spansDropped;
    emitFigure({
      benchmark: BENCH_1,
      figure: 'request_path.helpers_noop.ratio',
      label: 'SDK code alone: helpers + processor with a no-op exporter ÷ bare (same run)',
      value: median(ratios.helpersNoop),
      unit: '×',
      runs: ratios.helpersNoop,
      note: 'no target: separates the helpers’ own cost from the export work that shares the thread',
    });
    emitFigure({
      benchmark: BENCH_1,
      figure: 'request_path.sqlite.ratio',
      label: 'Overhead ratio, SQLite store (recorder ÷ bare, same run)',
      value: median(ratios.sqlite),
      unit: '×',
      runs: ratios.sqlite,
      target: { op: '<=', value: 1.3 },
      note: `spans dropped by the processor: ${sqliteDropped}`,
    });
    emitFigure({
      benchmark: BENCH_1,
      figure: 'request_path.postgres.ratio',
      label: 'Overhead ratio, PostgreSQL store (recorder ÷ bare, same run)',
      value: median(ratios.postgres),
      unit: '×',
      runs: ratios.postgres,
      target: { op: '<=', value: 1.3 },
      note: `spans dropped by the processor: ${postgresDropped}`,
    });

    perQuery(
      'collector',
      'Typed helpers + TraceBufferProcessor + OTLP protobuf to a collector (createRecorder), per query',
    );
    perQuery(
      'otel-batch-proto',
      'Bare OpenTelemetry + the standard BatchSpanProcessor + OTLP protobuf exporter, per query',
    );
    emitFigure({
      benchmark: BENCH_1,
      figure: 'request_path.collector.ratio',
      label: 'Overhead ratio, collector path (recorder ÷ bare, same run)',
      value: median(ratios.collector),
      unit: '×',
      runs: ratios.collector,
      target: { op: '<=', value: 1.3 },
      note: `spans dropped by the processor: ${toCollector.status().processor.spansDropped}`,
    });
    emitFigure({
      benchmark: BENCH_1,
      figure: 'request_path.otel_batch_proto.ratio',
      label: 'Standard BatchSpanProcessor + OTLP protobuf ÷ bare (same run)',
      value: median(ratios.otelBatchProto),
      unit: '×',
      runs: ratios.otelBatchProto,
      note: 'no target: what plain OpenTelemetry exporting costs, the anchor of the figures above',
    });
    const collectorP99 = byVariant.get('collector')!.p99;
    const batchP99 = byVariant.get('otel-batch-proto')!.p99;
    emitFigure({
      benchmark: BENCH_1,
      figure: 'request_path.collector.p99_over_otel_batch_proto',
      label: 'p99 per query, collector path ÷ standard BatchSpanProcessor + OTLP protobuf (same run)',
      value: median(collectorP99.map((p99, run) => p99 / batchP99[run]!)),
      unit: '×',
      runs: collectorP99.map((p99, run) => p99 / batchP99[run]!),
      target: { op: '<', value: 1 },
      note: `p99 µs: collector path ${collectorP99.map((v) => v.toFixed(0)).join(', ')}; standard ${batchP99.map((v) => v.toFixed(0)).join(', ')}`,
    });
    const cpuFigure = (name: VariantName, label: string) => {
      const values = byVariant.get(name)!.cpu;
      emitFigure({
        benchmark: BENCH_1,
        figure: `request_path.${name.replaceAll('-', '_')}.cpu_us_per_query`,
        label,
        value: median(values),
        unit: 'µs',
        runs: values,
        note: "this process's CPU (every thread) over a run's queries and the flush that ends it, per query",
      });
    };
    cpuFigure('bare', 'CPU per query, bare OpenTelemetry');
    cpuFigure('sqlite', 'CPU per query, helpers + processor + SQLite store, background export included');
    cpuFigure(
      'collector',
      'CPU per query, helpers + processor + OTLP protobuf to a collector, export included',
    );
    cpuFigure(
      'otel-batch-proto',
      'CPU per query, standard BatchSpanProcessor + OTLP protobuf, export included',
    );
    const cpuRatio = (figure: string, label: string, values: number[], target?: number) =>
      emitFigure({
        benchmark: BENCH_1,
        figure,
        label,
        value: median(values),
        unit: '×',
        runs: values,
        ...(target === undefined ? {} : { target: { op: '<=' as const, value: target } }),
      });
    cpuRatio(
      'request_path.sqlite.cpu_ratio',
      'CPU per query ÷ bare, SQLite store (same run)',
      ratios.cpu.sqlite,
      3,
    );
    cpuRatio(
      'request_path.collector.cpu_ratio',
      'CPU per query ÷ bare, collector path (same run)',
      ratios.cpu.collector,
      3,
    );
    cpuRatio(
      'request_path.otel_batch_proto.cpu_ratio',
      'CPU per query ÷ bare, standard BatchSpanProcessor + OTLP protobuf (same run)',
      ratios.cpu.otelBatchProto,
    );

    const healthy = byVariant.get('postgres')!;
    const outage = byVariant.get('postgres-down')!;
    const downStatus = down.status();
    emitFigure({
      benchmark: BENCH_2,
      figure: 'store_down.healthy.p99_us',
      label: 'p99 per query, PostgreSQL healthy',
      value: median(healthy.p99),
      unit: 'µs',
      runs: healthy.p99,
    });
    emitFigure({
      benchmark: BENCH_2,
      figure: 'store_down.down.p99_us',
      label: 'p99 per query, PostgreSQL unreachable (breaker open, spool active)',
      value: median(outage.p99),
      unit: 'µs',
      runs: outage.p99,
      note:
        `breaker open at the end of ${downBreakerOpenRounds} of ${runs} runs (it half-opens every 5 s to try); ` +
        `traces spooled: ${downStatus.writer?.counters.spooled ?? 0}; spans dropped by the processor's full queue: ` +
        `${droppedInWarmUp} in the warm-up (retries before the breaker opened), ${downStatus.processor.spansDropped - droppedInWarmUp} while measured`,
    });
    emitFigure({
      benchmark: BENCH_2,
      figure: 'store_down.p99_ratio',
      label: 'p99 ratio, unreachable ÷ healthy (same run)',
      value: median(ratios.downP99),
      unit: '×',
      runs: ratios.downP99,
      target: { op: '<=', value: 1.1 },
    });
    emitFigure({
      benchmark: BENCH_2,
      figure: 'store_down.down.max_us',
      label: 'Slowest single query with the store unreachable (the connect timeout is 5,000,000 µs)',
      value: Math.max(...outage.max),
      unit: 'µs',
      note: 'never near a database timeout: the request path does not wait on the database',
    });
  } finally {
    await Promise.all(recorders.map((r) => r.shutdown()));
    sink.send({ type: 'close' });
    await sink.exited;
    await database.drop();
    directory.remove();
  }
}

await main();
