/**
 * Benchmark 6: collectors side by side on one PostgreSQL database, one instance and three in the
 * same run, and what each recorded trace costs the database (rows, table and index bytes), the
 * figures docs/scaling.md multiplies out.
 *
 * Each run, for 1 and for 3 instances (a fresh database each): the collector processes start (the
 * first alone, so that one instance installs the schema), then the client processes, each sending
 * its traces through the official OTLP/HTTP protobuf exporter to one instance (client i to
 * instance i mod N: whole traces stay on one instance, as trace-ID routing does). Traces per second
 * from 10% to 90% of the traces committed over all instances. After the 3-instance run the nine
 * tables' sizes are read from PostgreSQL. Every process shares the same cores: the ratio says what
 * more instances give on this machine, not on one with a core per instance.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { TABLES } from '@aitdr/schema';
import type { TableExporterStatus } from '@aitdr/exporter';
import { createTemporaryDatabase } from '@aitdr/tests/support/postgres.js';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';
import type { CollectorMessage } from '../collector/collector-process.js';
import type { OtlpClientMessage, OtlpClientOptions } from '../collector/otlp-client.js';
import { forkSource } from '../harness/child-process.js';
import type { Child } from '../harness/child-process.js';
import { emitFigure, median } from '../harness/figures.js';
import { byMode, log, modeFromArgs } from '../harness/mode.js';
import { loadQueryShapes, saveQueryShapes } from '../workload/realistic-queries.js';

const mode = modeFromArgs();
const settings = byMode(mode, {
  full: { runs: 3, clients: 3, queriesPerClient: 1200 },
  quick: { runs: 2, clients: 3, queriesPerClient: 1000 },
  smoke: { runs: 1, clients: 3, queriesPerClient: 60 },
});
const BENCH = '6 collector scaling';
const INSTANCE_COUNTS = [1, 3] as const;
const BATCH_SPANS = 512;
const IN_FLIGHT = 2;
const WAIT_MS = 50;

interface Collector {
  readonly child: Child<CollectorMessage>;
  readonly url: string;
}

const written = (status: TableExporterStatus) => status.counters.written;

async function statusOf({ child }: Collector) {
  child.send({ type: 'status' });
  return child.next<Extract<CollectorMessage, { type: 'status' }>>('status');
}

async function startCollector(store: string, directory: string): Promise<Collector> {
  const child = forkSource<CollectorMessage>(
    'collector/collector-process.ts',
    { store, stateDirectory: directory, waitMs: WAIT_MS, maxWaitMs: 30_000 },
    ['--max-semi-space-size=64'],
  );
  const { url } = await child.next<Extract<CollectorMessage, { type: 'started' }>>('started');
  return { child, url };
}

interface ScalingRun {
  readonly tracesPerSecond: number;
  readonly traces: number;
  readonly seconds: number;
  readonly failedSpans: number;
}

async function runInstances(
  instances: number,
  store: string,
  directory: string,
  shapesFile: string,
): Promise<ScalingRun> {
  const collectors: Collector[] = [];
  try {
    // One instance installs the schema before the others connect.
    collectors.push(await startCollector(store, join(directory, 'instance-0')));
    while (!(await statusOf(collectors[0]!)).writer.healthy) await sleep(50);
    for (let i = 1; i < instances; i++)
      collectors.push(await startCollector(store, join(directory, `instance-${i}`)));
    const clients = Array.from({ length: settings.clients }, (_, i) =>
      forkSource<OtlpClientMessage>('collector/otlp-client.ts', {
        url: collectors[i % instances]!.url,
        shapesFile,
        queries: settings.queriesPerClient,
        batchSpans: BATCH_SPANS,
        inFlight: IN_FLIGHT,
        name: `scaling-client-${i}`,
      } satisfies OtlpClientOptions),
    );
    const readies = await Promise.all(
      clients.map((c) => c.next<Extract<OtlpClientMessage, { type: 'ready' }>>('ready')),
    );
    const expected = readies.reduce((sum, r) => sum + r.queryTraces + r.feedbackTraces, 0);
    const total = async () =>
      (await Promise.all(collectors.map(statusOf))).reduce((sum, s) => sum + written(s.writer), 0);
    const before = await total();
    const started = performance.now();
    for (const client of clients) client.send({ type: 'go' });
    const done = Promise.all(
      clients.map((c) => c.next<Extract<OtlpClientMessage, { type: 'done' }>>('done')),
    );
    const progress: [number, number][] = [];
    let committed = 0;
    const deadline = started + 180_000;
    while (committed < expected && performance.now() < deadline) {
      await sleep(50);
      committed = (await total()) - before;
      progress.push([(performance.now() - started) / 1000, committed]);
    }
    const seconds = (performance.now() - started) / 1000;
    const reports = await done;
    await Promise.all(clients.map((c) => c.exited));
    const at = (share: number) => progress.find(([, n]) => n >= share * expected);
    const from = at(0.1);
    const to = at(0.9);
    const steady = from && to && to[0] > from[0] ? (to[1] - from[1]) / (to[0] - from[0]) : undefined;
    const traces = Math.min(expected, committed);
    return {
      tracesPerSecond: steady ?? traces / seconds,
      traces,
      seconds,
      failedSpans: reports.reduce((sum, r) => sum + r.failedSpans, 0),
    };
  } finally {
    for (const { child } of collectors) child.send({ type: 'close' });
    await Promise.all(collectors.map(({ child }) => child.exited));
  }
}

interface StoreCost {
  readonly queries: number;
  readonly rows: number;
  readonly tableBytes: number;
  readonly indexBytes: number;
}

/** Rows and bytes of the nine tables: heap with TOAST, and indexes, as PostgreSQL counts them. */
async function storeCost(url: string): Promise<StoreCost> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('VACUUM ANALYZE');
    let rows = 0;
    let tableBytes = 0;
    let indexBytes = 0;
    let queries = 0;
    for (const table of TABLES) {
      // Table names come from the schema package, not from data.
      const { rows: result } = await client.query<{ n: number; t: string; i: string }>(
        `SELECT (SELECT COUNT(*)::int FROM ${table.name}) AS n, pg_table_size($1) AS t, pg_indexes_size($1) AS i`,
        [table.name.toLowerCase()],
      );
      rows += result[0]!.n;
      tableBytes += Number(result[0]!.t);
      indexBytes += Number(result[0]!.i);
      if (table.name === 'AI_TRAINING_QUERIES') queries = result[0]!.n;
    }
    return { queries, rows, tableBytes, indexBytes };
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const directory = createTemporaryDirectory('aitdr-bench-scaling-');
  try {
    const shapes = await loadQueryShapes();
    const shapesFile = join(directory.path, 'shapes.json');
    saveQueryShapes(shapes, shapesFile);
    const rates: Record<(typeof INSTANCE_COUNTS)[number], number[]> = { 1: [], 3: [] };
    const ratios: number[] = [];
    let cost: StoreCost | undefined;
    let lastRuns: Record<number, ScalingRun> = {};
    for (let run = 0; run < settings.runs; run++) {
      lastRuns = {};
      for (const instances of INSTANCE_COUNTS) {
        const database = await createTemporaryDatabase('aitdr_bench_scaling');
        try {
          const result = await runInstances(
            instances,
            database.url,
            join(directory.path, `run-${run}-${instances}`),
            shapesFile,
          );
          rates[instances].push(result.tracesPerSecond);
          lastRuns[instances] = result;
          log(
            `scaling run ${run + 1}, ${instances} instance(s): ${result.tracesPerSecond.toFixed(0)} traces/s ` +
              `(${result.traces} traces in ${result.seconds.toFixed(1)} s, failed spans ${result.failedSpans})`,
          );
          if (instances === 3 && run === settings.runs - 1) cost = await storeCost(database.url);
        } finally {
          await database.drop();
        }
      }
      ratios.push(rates[3].at(-1)! / rates[1].at(-1)!);
    }
    for (const instances of INSTANCE_COUNTS) {
      const last = lastRuns[instances]!;
      emitFigure({
        benchmark: BENCH,
        figure: `scaling.postgres.instances_${instances}.traces_per_s`,
        label: `${instances} collector instance(s) on one PostgreSQL database (${settings.clients} OTLP/HTTP client processes)`,
        value: median(rates[instances]),
        unit: 'traces/s',
        runs: rates[instances],
        note: `${last.traces} traces in the last run, all committed ${last.seconds.toFixed(1)} s after the first request; failed spans ${last.failedSpans}; every process on the same 2 cores`,
      });
    }
    emitFigure({
      benchmark: BENCH,
      figure: 'scaling.postgres.ratio',
      label: 'Three instances ÷ one (same run, same cores)',
      value: median(ratios),
      unit: '×',
      runs: ratios,
    });
    const perQuery = (value: number) => (cost && cost.queries > 0 ? value / cost.queries : null);
    const note = cost
      ? `${cost.queries} recorded queries (with their feedback): ${cost.rows} rows, ${(cost.tableBytes / 2 ** 20).toFixed(1)} MiB of tables, ${(cost.indexBytes / 2 ** 20).toFixed(1)} MiB of indexes`
      : 'not measured';
    emitFigure({
      benchmark: BENCH,
      figure: 'scaling.postgres.rows_per_query',
      label: 'Rows per recorded query, over the nine tables',
      value: perQuery(cost?.rows ?? 0),
      unit: 'rows',
      note,
    });
    emitFigure({
      benchmark: BENCH,
      figure: 'scaling.postgres.table_bytes_per_query',
      label: 'Table bytes per recorded query (heap and TOAST, after VACUUM)',
      value: perQuery(cost?.tableBytes ?? 0),
      unit: 'bytes',
    });
    emitFigure({
      benchmark: BENCH,
      figure: 'scaling.postgres.index_bytes_per_query',
      label: 'Index bytes per recorded query (primary keys and indexes)',
      value: perQuery(cost?.indexBytes ?? 0),
      unit: 'bytes',
    });
  } finally {
    directory.remove();
  }
}

await main();
