/**
 * Benchmark 3: collector throughput against the raw insert rate, for SQLite and PostgreSQL.
 *
 * Each run, for each store:
 * - the limit: the same rows (the exporter's mapper applied to a stream of the same traces)
 *   inserted directly with the same driver, schema and durability settings; the batch size
 *   (traces per transaction) is tuned in the first run over several sizes, the best is used after;
 * - the collector, in a process of its own, fed by several client processes that send OTLP/HTTP
 *   protobuf bodies encoded before the run (the official exporter's serializer), so that the
 *   load costs a small fraction of the collector's CPU on the same cores; traces per second while the collector is under way,
 *   from 10% to 90% of the traces committed (the collector's own status, polled every 50 ms).
 * The ratio is taken within each run; figures are medians over the runs.
 *
 * CPU per span, same run: the collector process's CPU (every thread: the SQLite worker included)
 * per span written, against the limit's: the raw insert's CPU per span (this process, same driver)
 * plus the protobuf decode of the same spans in requests of the clients' size.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createTemporaryDatabase } from '@aitdr/tests/support/postgres.js';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';
import {
  BATCH_SPANS,
  COLLECTOR_YOUNG_GENERATION,
  runCollector,
  steadyNote,
} from '../collector/collector-run.js';
import type { CollectorRun } from '../collector/collector-run.js';
import { emitFigure, median } from '../harness/figures.js';
import { byMode, log, modeFromArgs } from '../harness/mode.js';
import { decodeCost } from '../raw/decode-cost.js';
import { mapStream } from '../raw/mapped-rows.js';
import { postgresServerCpu } from '../raw/postgres-server-cpu.js';
import { rawPostgresInsert, rawSqliteInsert } from '../raw/raw-insert.js';
import type { RawInsertResult } from '../raw/raw-insert.js';
import { loadQueryShapes, saveQueryShapes } from '../workload/realistic-queries.js';
import { recordTraceStream } from '../workload/trace-stream.js';

const mode = modeFromArgs();
const settings = byMode(mode, {
  full: { runs: 3, clients: 4, queriesPerClient: 1000, batchSizes: [256, 1024] },
  quick: { runs: 2, clients: 4, queriesPerClient: 1500, batchSizes: [64, 256, 1024] },
  smoke: { runs: 1, clients: 2, queriesPerClient: 100, batchSizes: [64, 256] },
});
const BENCH = '3 collector throughput';
type StoreName = 'sqlite' | 'postgres';

/** The issue's targets for collector ÷ raw insert rate, the clients on the same two cores. */
const RATE_TARGETS: Readonly<Record<StoreName, number>> = { sqlite: 0.6, postgres: 0.85 };

async function main(): Promise<void> {
  const directory = createTemporaryDirectory('aitdr-bench-throughput-');
  try {
    const shapes = await loadQueryShapes();
    const shapesFile = join(directory.path, 'shapes.json');
    saveQueryShapes(shapes, shapesFile);
    // The raw inserts write the rows of as many traces as the clients send, recorded the same way.
    const stream = await recordTraceStream(shapes, settings.clients * settings.queriesPerClient);
    const rows = mapStream(stream.spans);
    const spansPerTrace = stream.spans.length / rows.length;
    log(`collector throughput: ${rows.length} traces per run, ${spansPerTrace.toFixed(2)} spans per trace`);
    const decode = await decodeCost(stream.spans, BATCH_SPANS, mode === 'smoke' ? 100 : 1000);
    log(
      `protobuf decode: ${decode.wireBytesPerSpan.toFixed(0)} B per span on the wire; message ${decode.messageUsPerSpan.toFixed(1)} µs/span, ` +
        `collector's decode into span records ${decode.recordsUsPerSpan.toFixed(1)} µs/span`,
    );
    emitFigure({
      benchmark: BENCH,
      figure: 'collector.protobuf_decode_cpu_us_per_span',
      label: `Protobuf decode of the same spans (protobufjs, requests of ${BATCH_SPANS} spans), CPU per span`,
      value: decode.messageUsPerSpan,
      unit: 'µs',
      runs: decode.rounds.map((r) => r.messageUsPerSpan),
      note: `${decode.wireBytesPerSpan.toFixed(0)} B per span on the wire (uncompressed); part of the limit the collector's CPU per span is compared to`,
    });
    emitFigure({
      benchmark: BENCH,
      figure: 'collector.decode_records_cpu_us_per_span',
      label:
        "The collector's decode of the same requests into span records (validation included), CPU per span",
      value: decode.recordsUsPerSpan,
      unit: 'µs',
      runs: decode.rounds.map((r) => r.recordsUsPerSpan),
    });

    const raw: Record<StoreName, (batchSize: number, runDirectory: string) => Promise<RawInsertResult>> = {
      sqlite: (batchSize, runDirectory) =>
        Promise.resolve(rawSqliteInsert(join(runDirectory, `raw-${batchSize}.db`), rows, batchSize)),
      postgres: async (batchSize) => {
        const database = await createTemporaryDatabase('aitdr_bench');
        try {
          return await rawPostgresInsert(database.url, rows, batchSize);
        } finally {
          await database.drop();
        }
      },
    };
    const profileDirectory = process.env.AITDR_BENCH_CPU_PROFILE_DIR;

    // AITDR_BENCH_STORES=sqlite (or postgres) runs one store's part alone, for A/B runs of one store.
    const stores = (['sqlite', 'postgres'] as const).filter((name) =>
      (process.env.AITDR_BENCH_STORES ?? 'sqlite,postgres').split(',').includes(name),
    );
    for (const storeName of stores) {
      let bestBatchSize = settings.batchSizes[0]!;
      const rawRates: number[] = [];
      const collectorRates: number[] = [];
      const ratios: number[] = [];
      const runsDetail: CollectorRun[] = [];
      const rawCpuPerSpan: number[] = [];
      const collectorCpuPerSpan: number[] = [];
      const cpuRatios: number[] = [];
      const steadyCpuPerSpan: number[] = [];
      const steadyCpuRatios: number[] = [];
      for (let run = 0; run < settings.runs; run++) {
        const runDirectory = join(directory.path, `${storeName}-${run}`);
        mkdirSync(runDirectory, { recursive: true });
        let rawRate: number;
        let rawCpuMs: number;
        let rawServerCpuMs: number | undefined;
        if (run === 0) {
          const tried = [];
          for (const batchSize of settings.batchSizes) {
            const result = await raw[storeName](batchSize, runDirectory);
            tried.push({
              batchSize,
              rate: result.tracesPerSecond,
              cpuMs: result.cpuMs,
              serverCpuMs: result.serverCpuMs,
            });
          }
          const best = tried.reduce((a, b) => (b.rate > a.rate ? b : a));
          bestBatchSize = best.batchSize;
          rawRate = best.rate;
          rawCpuMs = best.cpuMs;
          rawServerCpuMs = best.serverCpuMs;
          log(
            `${storeName} raw insert: ${tried.map((t) => `${t.batchSize}/tx ${t.rate.toFixed(0)}/s`).join(', ')}`,
          );
        } else {
          const result = await raw[storeName](bestBatchSize, runDirectory);
          rawRate = result.tracesPerSecond;
          rawCpuMs = result.cpuMs;
          rawServerCpuMs = result.serverCpuMs;
        }
        const database = storeName === 'postgres' ? await createTemporaryDatabase('aitdr_bench') : undefined;
        const store = database?.url ?? `sqlite:${join(runDirectory, 'training.db')}`;
        const server = database === undefined ? undefined : await postgresServerCpu(database.url);
        let result: CollectorRun;
        try {
          result = await runCollector(
            store,
            runDirectory,
            shapesFile,
            settings,
            profileDirectory ? join(profileDirectory, storeName) : undefined,
            server && (() => server.read()),
          );
        } finally {
          await database?.drop();
        }
        rawRates.push(rawRate);
        collectorRates.push(result.tracesPerSecond);
        ratios.push(result.tracesPerSecond / rawRate);
        runsDetail.push(result);
        const rawUs = (1000 * rawCpuMs) / stream.spans.length;
        const collectorUs = (1000 * result.collectorCpuMs) / (result.traces * spansPerTrace);
        rawCpuPerSpan.push(rawUs);
        collectorCpuPerSpan.push(collectorUs);
        cpuRatios.push(collectorUs / (rawUs + decode.messageUsPerSpan));
        if (result.steadyCpuMsPerTrace !== undefined) {
          const steadyUs = (1000 * result.steadyCpuMsPerTrace) / spansPerTrace;
          steadyCpuPerSpan.push(steadyUs);
          steadyCpuRatios.push(steadyUs / (rawUs + decode.messageUsPerSpan));
        }
        log(
          `${storeName} run ${run + 1}: CPU per span: collector ${collectorUs.toFixed(1)} µs${steadyNote(result, spansPerTrace)}, raw insert ${rawUs.toFixed(1)} µs + protobuf decode ${decode.messageUsPerSpan.toFixed(1)} µs`,
        );
        const threads = Object.entries(result.threadCpuMs)
          .filter(([, ms]) => ms > 0)
          .sort(([, a], [, b]) => b - a);
        if (threads.length > 0)
          log(
            `${storeName} run ${run + 1}: collector CPU by thread, µs per span: ${threads.map(([name, ms]) => `${name} ${((1000 * ms) / (result.traces * spansPerTrace)).toFixed(1)}`).join(', ')}`,
          );
        if (result.serverCpuMs !== undefined && rawServerCpuMs !== undefined)
          log(
            `${storeName} run ${run + 1}: server CPU per trace: collector ${((1000 * result.serverCpuMs) / result.traces).toFixed(0)} µs, raw insert ${((1000 * rawServerCpuMs) / rows.length).toFixed(0)} µs`,
          );
        log(
          `${storeName} run ${run + 1}: raw ${rawRate.toFixed(0)}/s (${bestBatchSize}/tx), collector ${result.tracesPerSecond.toFixed(0)}/s ` +
            `(${result.traces} traces in ${result.seconds.toFixed(2)} s; collector CPU ${result.collectorCpuMs.toFixed(0)} ms, ` +
            `clients CPU ${result.clientCpuMs.toFixed(0)} ms sending (+ ${result.clientEncodeCpuMs.toFixed(0)} ms encoding before); main thread busy ${(100 * result.mainThreadBusy).toFixed(0)}%${result.mainThreadCpuMs === undefined ? '' : `, its CPU ${result.mainThreadCpuMs.toFixed(0)} ms`}; failed spans ${result.failedSpans}, not written ${result.notWritten}: ${result.notWrittenWhere})`,
        );
      }
      const label = storeName === 'sqlite' ? 'SQLite' : 'PostgreSQL';
      const last = runsDetail.at(-1)!;
      emitFigure({
        benchmark: BENCH,
        figure: `collector.${storeName}.raw_traces_per_s`,
        label: `Raw insert limit, ${label} (same rows, driver, schema; ${bestBatchSize} traces per transaction)`,
        value: median(rawRates),
        unit: 'traces/s',
        runs: rawRates,
      });
      emitFigure({
        benchmark: BENCH,
        figure: `collector.${storeName}.traces_per_s`,
        label: `Collector, ${label} (${settings.clients} OTLP/HTTP protobuf client processes)`,
        value: median(collectorRates),
        unit: 'traces/s',
        runs: collectorRates,
        note:
          `${last.traces} traces per run, all committed ${last.seconds.toFixed(1)} s after the first request; collector CPU ${((1000 * last.collectorCpuMs) / last.traces).toFixed(0)} µs/trace, ` +
          `clients CPU ${((1000 * last.clientCpuMs) / last.traces).toFixed(0)} µs/trace sending (same 2 cores; bodies encoded before the signal, ${((1000 * last.clientEncodeCpuMs) / last.traces).toFixed(0)} µs/trace, not in the run); ` +
          `collector's event loop busy ${(100 * last.mainThreadBusy).toFixed(0)}% of the run; collector run with ${COLLECTOR_YOUNG_GENERATION}; ` +
          `retried requests ${last.retries}, failed spans ${last.failedSpans}, traces not written when the run ended ${last.notWritten} (${last.notWrittenWhere})`,
      });
      emitFigure({
        benchmark: BENCH,
        figure: `collector.${storeName}.ratio`,
        label: `Collector ÷ raw insert, ${label} (same run)`,
        value: median(ratios),
        unit: '×',
        runs: ratios,
        target: { op: '>=', value: RATE_TARGETS[storeName] },
      });
      emitFigure({
        benchmark: BENCH,
        figure: `collector.${storeName}.cpu_us_per_span`,
        label: `Collector CPU per span, ${label} (its process, every thread, store writes included)`,
        value: median(collectorCpuPerSpan),
        unit: 'µs',
        runs: collectorCpuPerSpan,
      });
      emitFigure({
        benchmark: BENCH,
        figure: `collector.${storeName}.raw_insert_cpu_us_per_span`,
        label: `Raw insert CPU per span, ${label} (same rows and driver, this process)`,
        value: median(rawCpuPerSpan),
        unit: 'µs',
        runs: rawCpuPerSpan,
        note:
          storeName === 'postgres'
            ? "the client's CPU only, as for the collector: the database server's is in neither"
            : 'better-sqlite3 inserting in this process: the database engine included',
      });
      emitFigure({
        benchmark: BENCH,
        figure: `collector.${storeName}.cpu_ratio`,
        label: `Collector CPU per span ÷ (raw insert + protobuf decode CPU per span), ${label} (same run)`,
        value: median(cpuRatios),
        unit: '×',
        runs: cpuRatios,
        target: { op: '<=', value: 1.5 },
        note: 'the whole run: the fresh collector process compiling its hot code is counted',
      });
      // Too few traces to tell in smoke mode: no steady-state figures then.
      if (steadyCpuRatios.length > 0) {
        emitFigure({
          benchmark: BENCH,
          figure: `collector.${storeName}.steady_cpu_us_per_span`,
          label: `Collector CPU per span from 10% to 90% of the traces committed, ${label} (the rate's window)`,
          value: median(steadyCpuPerSpan),
          unit: 'µs',
          runs: steadyCpuPerSpan,
          note: 'what a long-running collector pays per span, without its start-up',
        });
        emitFigure({
          benchmark: BENCH,
          figure: `collector.${storeName}.steady_cpu_ratio`,
          label: `Collector CPU per span from 10% to 90% committed ÷ (raw insert + protobuf decode CPU per span), ${label} (same run)`,
          value: median(steadyCpuRatios),
          unit: '×',
          runs: steadyCpuRatios,
          note: 'no target of its own: the target is on the whole run above',
        });
      }
    }
  } finally {
    directory.remove();
  }
}

await main();
