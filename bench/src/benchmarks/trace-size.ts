/**
 * Benchmark 7: cost against spans per trace. The same measurements as benchmarks 1 and 3, for
 * query traces of 2, 10 and 50 spans (the root, classification, schema context, then model
 * interactions: see `recordSizedQueryWithHelpers`), without feedback:
 * - collector CPU per span (its process, every thread, SQLite store) against the limit of the same
 *   run: the raw insert of the same rows (same driver and settings, about 2,560 spans per
 *   transaction) plus the protobuf decode of the same spans in requests of 512 spans;
 *   the collector is fed by two client processes of pre-encoded bodies, as in benchmark 3;
 * - in-process CPU per query (this process, every thread, over a block of queries and the flush
 *   that ends it) of the typed helpers + processor with the SQLite store and with the collector
 *   path (OTLP protobuf to an endpoint in another process), against the same spans written with
 *   bare OpenTelemetry calls; blocks in rotating order, the ratio taken within each round.
 * SQLite only for the collector: PostgreSQL's CPU per span for the usual query is in benchmark 3.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { createRecorder } from '@aitdr/sdk';
import type { Recorder } from '@aitdr/sdk';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';
import { BATCH_SPANS, runCollector, steadyNote } from '../collector/collector-run.js';
import type { OtlpSinkMessage } from '../collector/otlp-sink.js';
import { forkSource } from '../harness/child-process.js';
import { emitFigure, median } from '../harness/figures.js';
import { byMode, log, modeFromArgs } from '../harness/mode.js';
import { decodeCost } from '../raw/decode-cost.js';
import { mapStream } from '../raw/mapped-rows.js';
import { rawSqliteInsert } from '../raw/raw-insert.js';
import { recordBareSized, recordSizedQueryWithHelpers, toBareQuery } from '../workload/record-query.js';
import { loadQueryShapes, saveQueryShapes } from '../workload/realistic-queries.js';
import type { QueryShape } from '../workload/realistic-queries.js';
import { recordTraceStream } from '../workload/trace-stream.js';

const mode = modeFromArgs();
const SIZES = [2, 10, 50] as const;
const settings = byMode(mode, {
  // Spans per collector run (split over the clients), whatever the trace size.
  full: { runs: 2, spans: 16_000, clients: 2, queriesPerBlock: 300, rounds: 3, decodeCpuMs: 500 },
  quick: { runs: 1, spans: 12_000, clients: 2, queriesPerBlock: 200, rounds: 2, decodeCpuMs: 300 },
  smoke: { runs: 1, spans: 600, clients: 1, queriesPerBlock: 20, rounds: 1, decodeCpuMs: 50 },
});
const BENCH = '7 cost against spans per trace';
/** Spans per raw-insert transaction, whatever the trace size (whole traces). */
const RAW_SPANS_PER_TRANSACTION = 2560;
/** The targets, as in benchmarks 1 and 3. */
const TARGETS = { collectorCpuRatio: 1.5, inProcessCpuRatio: 3 } as const;

interface SizeResult {
  collectorUs: number[];
  rawUs: number[];
  decodeUs: number;
  wireBytesPerSpan: number;
  ratios: number[];
  clientUsPerSpan: number[];
  tracesPerSecond: number[];
}

async function collectorPart(
  shapes: readonly QueryShape[],
  directory: string,
  shapesFile: string,
  spans: number,
): Promise<SizeResult> {
  const traces = Math.max(settings.clients, Math.round(settings.spans / spans));
  const queriesPerClient = Math.ceil(traces / settings.clients);
  // The limit writes the rows of as many traces of the same size as the clients send.
  const stream = await recordTraceStream(shapes, queriesPerClient * settings.clients, {
    spansPerTrace: spans,
  });
  const rows = mapStream(stream.spans);
  const decode = await decodeCost(stream.spans, BATCH_SPANS, settings.decodeCpuMs);
  const result: SizeResult = {
    collectorUs: [],
    rawUs: [],
    decodeUs: decode.messageUsPerSpan,
    wireBytesPerSpan: decode.wireBytesPerSpan,
    ratios: [],
    clientUsPerSpan: [],
    tracesPerSecond: [],
  };
  const perTransaction = Math.max(1, Math.round(RAW_SPANS_PER_TRANSACTION / spans));
  for (let run = 0; run < settings.runs; run++) {
    const runDirectory = join(directory, `spans-${spans}-${run}`);
    mkdirSync(runDirectory, { recursive: true });
    const raw = rawSqliteInsert(join(runDirectory, 'raw.db'), rows, perTransaction);
    const collector = await runCollector(
      `sqlite:${join(runDirectory, 'training.db')}`,
      runDirectory,
      shapesFile,
      {
        clients: settings.clients,
        queriesPerClient,
        spansPerTrace: spans,
      },
    );
    const rawUs = (1000 * raw.cpuMs) / stream.spans.length;
    const writtenSpans = collector.traces * spans;
    const collectorUs = (1000 * collector.collectorCpuMs) / writtenSpans;
    result.rawUs.push(rawUs);
    result.collectorUs.push(collectorUs);
    result.ratios.push(collectorUs / (rawUs + decode.messageUsPerSpan));
    result.clientUsPerSpan.push((1000 * collector.clientCpuMs) / writtenSpans);
    result.tracesPerSecond.push(collector.tracesPerSecond);
    log(
      `${spans} spans per trace, run ${run + 1}: collector ${collectorUs.toFixed(1)} µs/span${steadyNote(collector, spans)} ` +
        `(${collector.traces} traces, ${collector.tracesPerSecond.toFixed(0)}/s, not written ${collector.notWritten}: ${collector.notWrittenWhere}), ` +
        `raw insert ${rawUs.toFixed(1)} µs/span (${raw.tracesPerSecond.toFixed(0)} traces/s) + decode ${decode.messageUsPerSpan.toFixed(1)} µs/span; ` +
        `clients ${((1000 * collector.clientCpuMs) / writtenSpans).toFixed(1)} µs/span sending`,
    );
  }
  return result;
}

interface InProcessResult {
  bareUs: number[];
  sqliteUs: number[];
  collectorUs: number[];
  sqliteRatios: number[];
  collectorRatios: number[];
}

/** CPU per query (this process, every thread) of each variant, blocks in rotating order. */
async function inProcessPart(
  shapes: readonly QueryShape[],
  directory: string,
): Promise<Map<number, InProcessResult>> {
  const bareQueries = shapes.map(toBareQuery);
  const sink = forkSource<OtlpSinkMessage>('collector/otlp-sink.ts', {});
  const sinkUrl = (await sink.next<Extract<OtlpSinkMessage, { type: 'listening' }>>('listening')).url;
  const recorders: Recorder[] = [];
  const results = new Map<number, InProcessResult>();
  try {
    const tracer = new BasicTracerProvider().getTracer('bench');
    const stateDirectory = join(directory, 'in-process');
    mkdirSync(stateDirectory, { recursive: true });
    const sqlite = await createRecorder({
      store: `sqlite:${join(directory, 'in-process.db')}`,
      storeOptions: { stateDirectory },
      mode: 'async',
    });
    recorders.push(sqlite);
    const toCollector = await createRecorder({ collector: { url: `${sinkUrl}/v1/traces` }, mode: 'async' });
    recorders.push(toCollector);
    type Variant = {
      name: 'bare' | 'sqlite' | 'collector';
      record(i: number, spans: number): Promise<void>;
      recorder?: Recorder;
    };
    const variants: Variant[] = [
      {
        name: 'bare',
        record: (i, spans) => recordBareSized(tracer, bareQueries[i % bareQueries.length]!, spans),
      },
      {
        name: 'sqlite',
        recorder: sqlite,
        record: (i, spans) => recordSizedQueryWithHelpers(sqlite, shapes[i % shapes.length]!, spans),
      },
      {
        name: 'collector',
        recorder: toCollector,
        record: (i, spans) => recordSizedQueryWithHelpers(toCollector, shapes[i % shapes.length]!, spans),
      },
    ];
    const block = async (variant: Variant, spans: number, count: number): Promise<number> => {
      const cpu = process.cpuUsage();
      for (let i = 0; i < count; i++) {
        await variant.record(i, spans);
        await sleep(1); // between requests, where the background export runs (untimed in benchmark 1)
      }
      await variant.recorder?.forceFlush();
      const used = process.cpuUsage(cpu);
      return (used.user + used.system) / count;
    };
    for (const spans of SIZES) {
      // Warm-up: code optimised for this size, the store's tables created.
      for (const variant of variants) await block(variant, spans, Math.max(10, settings.queriesPerBlock / 4));
      const result: InProcessResult = {
        bareUs: [],
        sqliteUs: [],
        collectorUs: [],
        sqliteRatios: [],
        collectorRatios: [],
      };
      for (let round = 0; round < settings.rounds; round++) {
        const order = variants.map((_, i) => variants[(i + round) % variants.length]!);
        const cpu = new Map<string, number>();
        for (const variant of order)
          cpu.set(variant.name, await block(variant, spans, settings.queriesPerBlock));
        result.bareUs.push(cpu.get('bare')!);
        result.sqliteUs.push(cpu.get('sqlite')!);
        result.collectorUs.push(cpu.get('collector')!);
        result.sqliteRatios.push(cpu.get('sqlite')! / cpu.get('bare')!);
        result.collectorRatios.push(cpu.get('collector')! / cpu.get('bare')!);
      }
      log(
        `${spans} spans per trace in process: CPU per query bare ${median(result.bareUs).toFixed(0)} µs, ` +
          `SQLite ${median(result.sqliteUs).toFixed(0)} µs, collector path ${median(result.collectorUs).toFixed(0)} µs`,
      );
      results.set(spans, result);
    }
    const dropped = recorders.reduce((sum, r) => sum + r.status().processor.spansDropped, 0);
    if (dropped > 0) log(`in process: ${dropped} spans dropped by the processors`);
  } finally {
    await Promise.all(recorders.map((r) => r.shutdown()));
    sink.send({ type: 'close' });
    await sink.exited;
  }
  return results;
}

async function main(): Promise<void> {
  const directory = createTemporaryDirectory('aitdr-bench-trace-size-');
  try {
    const shapesFile = join(directory.path, 'shapes.json');
    const shapes = await loadQueryShapes();
    saveQueryShapes(shapes, shapesFile);
    const collector = new Map<number, SizeResult>();
    for (const spans of SIZES)
      collector.set(spans, await collectorPart(shapes, directory.path, shapesFile, spans));
    const inProcess = await inProcessPart(shapes, directory.path);

    for (const spans of SIZES) {
      const c = collector.get(spans)!;
      const limit = c.rawUs.map((raw) => raw + c.decodeUs);
      emitFigure({
        benchmark: BENCH,
        figure: `trace_size.spans_${spans}.collector_cpu_us_per_span`,
        label: `${spans} spans per trace: collector CPU per span (SQLite, its process, every thread)`,
        value: median(c.collectorUs),
        unit: 'µs',
        runs: c.collectorUs,
        note:
          `${median(c.tracesPerSecond).toFixed(0)} traces/s; clients ${median(c.clientUsPerSpan).toFixed(1)} µs/span sending ` +
          `(pre-encoded bodies, same 2 cores); ${c.wireBytesPerSpan.toFixed(0)} B per span on the wire`,
      });
      emitFigure({
        benchmark: BENCH,
        figure: `trace_size.spans_${spans}.limit_cpu_us_per_span`,
        label: `${spans} spans per trace: limit, raw insert + protobuf decode CPU per span (same rows, same run)`,
        value: median(limit),
        unit: 'µs',
        runs: limit,
        note: `raw insert ${median(c.rawUs).toFixed(1)} µs (${Math.max(1, Math.round(RAW_SPANS_PER_TRANSACTION / spans))} traces per transaction) + decode ${c.decodeUs.toFixed(1)} µs`,
      });
      emitFigure({
        benchmark: BENCH,
        figure: `trace_size.spans_${spans}.collector_cpu_ratio`,
        label: `${spans} spans per trace: collector CPU per span ÷ the limit (same run)`,
        value: median(c.ratios),
        unit: '×',
        runs: c.ratios,
        target: { op: '<=', value: TARGETS.collectorCpuRatio },
      });
      const p = inProcess.get(spans)!;
      emitFigure({
        benchmark: BENCH,
        figure: `trace_size.spans_${spans}.bare_cpu_us_per_query`,
        label: `${spans} spans per trace: CPU per query, bare OpenTelemetry`,
        value: median(p.bareUs),
        unit: 'µs',
        runs: p.bareUs,
        note: `${settings.queriesPerBlock} queries per block, ${settings.rounds} rounds`,
      });
      emitFigure({
        benchmark: BENCH,
        figure: `trace_size.spans_${spans}.sqlite_cpu_ratio`,
        label: `${spans} spans per trace: CPU per query ÷ bare, helpers + processor + SQLite store, export included (same round)`,
        value: median(p.sqliteRatios),
        unit: '×',
        runs: p.sqliteRatios,
        target: { op: '<=', value: TARGETS.inProcessCpuRatio },
        note: `${median(p.sqliteUs).toFixed(0)} µs per query`,
      });
      emitFigure({
        benchmark: BENCH,
        figure: `trace_size.spans_${spans}.collector_path_cpu_ratio`,
        label: `${spans} spans per trace: CPU per query ÷ bare, helpers + processor + OTLP protobuf to a collector, export included (same round)`,
        value: median(p.collectorRatios),
        unit: '×',
        runs: p.collectorRatios,
        target: { op: '<=', value: TARGETS.inProcessCpuRatio },
        note: `${median(p.collectorUs).toFixed(0)} µs per query`,
      });
    }
  } finally {
    directory.remove();
  }
}

await main();
