/**
 * One measured collector run, shared by benchmark 3 (collector throughput) and benchmark 7 (cost
 * against spans per trace): the collector (`startCollector`) in a process of its own, fed by
 * client processes (otlp-client.ts: bodies encoded before the signal, only POSTed while
 * measured); traces per second from 10% to 90% of the traces committed, the collector's CPU and
 * the clients' CPU while sending.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TableExporterStatus } from '@aitdr/exporter';
import { forkSource } from '../harness/child-process.js';
import type { CollectorMessage } from './collector-process.js';
import type { OtlpClientMessage, OtlpClientOptions } from './otlp-client.js';

/** Spans per request: the BatchSpanProcessor's default batch. */
export const BATCH_SPANS = 512;
/** Requests each client keeps in flight. */
export const IN_FLIGHT = 2;
/** A trace is written once its root is in and nothing came for this long (collector setting). */
export const WAIT_MS = 50;

/**
 * The setting collector/README.md recommends under load: held traces outlive V8's default young
 * generation and are copied over and over (a tenth of the collector's CPU per trace).
 */
export const COLLECTOR_YOUNG_GENERATION = '--max-semi-space-size=64';

export interface CollectorRun {
  readonly traces: number;
  readonly tracesPerSecond: number;
  readonly seconds: number;
  readonly collectorCpuMs: number;
  /**
   * The collector's CPU per trace committed between 10% and 90% of the traces committed, as the
   * rate is taken: without the start-up a long-running collector pays once (V8 compiling the hot
   * code, its heap growing); undefined when the run is too short to tell.
   */
  readonly steadyCpuMsPerTrace: number | undefined;
  /** The clients' CPU while sending (the bodies were encoded before the signal). */
  readonly clientCpuMs: number;
  /** The clients' CPU encoding the bodies in set-up: what serializing at send time would have cost. */
  readonly clientEncodeCpuMs: number;
  readonly retries: number;
  readonly failedSpans: number;
  readonly notWritten: number;
  /** Where the traces not written were when the run ended: parked feedback (written on a later pass), or counted elsewhere. */
  readonly notWrittenWhere: string;
  /** Share of the run the collector's event loop was busy (the rest it waited for work or I/O). */
  readonly mainThreadBusy: number;
  /** The collector's main thread's own CPU over the run (no SQLite thread); undefined off Linux. */
  readonly mainThreadCpuMs: number | undefined;
  /** The collector's CPU over the run by thread (`main`, then `name:id`: the SQLite thread, V8's and libuv's helpers). */
  readonly threadCpuMs: Readonly<Record<string, number>>;
  /** The main thread's CPU per trace committed between 10% and 90% of the traces committed. */
  readonly steadyMainThreadCpuMsPerTrace: number | undefined;
  /** The database server's CPU (ms) from the clients' start until every trace was committed, when `serverCpu` was given. */
  readonly serverCpuMs: number | undefined;
}

export interface CollectorLoad {
  readonly clients: number;
  readonly queriesPerClient: number;
  /** Query traces of this many spans, no feedback; absent: the usual queries and their feedback. */
  readonly spansPerTrace?: number;
}

/** Traces with an outcome: written, parked now (feedback waiting for its query: counted once, not again when written), or counted as not stored. */
const settled = (status: TableExporterStatus) => {
  const c = status.counters;
  return c.written + status.parked.traces + c.deadLettered + c.ignored + c.dropped;
};

/** One poll of a run: seconds since the start, traces committed, the collector's CPU ms so far (all threads, main thread). */
type Progress = readonly [seconds: number, written: number, cpuMs: number, mainThreadCpuMs: number];

/**
 * The polls at 10% and 90% of the traces committed: the part of the run where the collector keeps
 * up, without the first requests' start-up (connections, code not yet optimized) and the last
 * trace's wait. The raw inserts have neither. Undefined when too few traces tell (smoke mode).
 */
function steadyPart(progress: readonly Progress[], expected: number): [Progress, Progress] | undefined {
  const at = (share: number) => progress.find(([, written]) => written >= share * expected);
  const from = at(0.1);
  const to = at(0.9);
  if (from === undefined || to === undefined || to[0] <= from[0] || to[1] <= from[1]) return undefined;
  return [from, to];
}

/**
 * For a run's log line: the collector's CPU per span in the steady part of the run, beside the
 * whole run's figure (which the limit is compared to, start-up included).
 */
export function steadyNote(run: CollectorRun, spansPerTrace: number): string {
  if (run.steadyCpuMsPerTrace === undefined) return '';
  const us = (msPerTrace: number) => ((1000 * msPerTrace) / spansPerTrace).toFixed(1);
  const main =
    run.steadyMainThreadCpuMsPerTrace === undefined
      ? ''
      : `, main thread ${us(run.steadyMainThreadCpuMsPerTrace)} µs`;
  return ` (${us(run.steadyCpuMsPerTrace)} µs from 10% to 90% of the traces committed${main})`;
}

export async function runCollector(
  store: string,
  directory: string,
  shapesFile: string,
  load: CollectorLoad,
  cpuProfileDirectory?: string,
  /** Reads the database server's CPU so far (ms), to count its share of the run. */
  serverCpu?: () => number,
): Promise<CollectorRun> {
  const collector = forkSource<CollectorMessage>(
    'collector/collector-process.ts',
    {
      store,
      stateDirectory: join(directory, 'collector'),
      waitMs: WAIT_MS,
      maxWaitMs: 30_000,
    },
    [
      COLLECTOR_YOUNG_GENERATION,
      // More Node.js flags for the collector's process, e.g. --trace-gc (its output goes to stdout).
      ...(process.env.AITDR_BENCH_COLLECTOR_FLAGS?.split(' ').filter(Boolean) ?? []),
      ...(cpuProfileDirectory ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDirectory}`] : []),
    ],
  );
  try {
    const { url } = await collector.next<Extract<CollectorMessage, { type: 'started' }>>('started');
    const clients = Array.from({ length: load.clients }, (_, i) =>
      forkSource<OtlpClientMessage>('collector/otlp-client.ts', {
        url,
        shapesFile,
        queries: load.queriesPerClient,
        batchSpans: BATCH_SPANS,
        inFlight: IN_FLIGHT,
        name: `bench-client-${i}`,
        ...(load.spansPerTrace === undefined ? {} : { spansPerTrace: load.spansPerTrace }),
      } satisfies OtlpClientOptions),
    );
    const readies = await Promise.all(
      clients.map((c) => c.next<Extract<OtlpClientMessage, { type: 'ready' }>>('ready')),
    );
    const expected = readies.reduce((sum, r) => sum + r.queryTraces + r.feedbackTraces, 0);
    const status = async (threads = false) => {
      collector.send({ type: 'status', threads });
      return collector.next<Extract<CollectorMessage, { type: 'status' }>>('status');
    };
    const before = await status(true);
    const serverBefore = serverCpu?.();
    const started = performance.now();
    for (const client of clients) client.send({ type: 'go' });
    const done = Promise.all(
      clients.map((c) => c.next<Extract<OtlpClientMessage, { type: 'done' }>>('done')),
    );
    let after = before;
    const deadline = started + 180_000;
    const cpu = (s: typeof before) => (s.cpu.user + s.cpu.system) / 1000;
    // Every 50 ms, for the steady-state rate and CPU.
    const progress: Progress[] = [];
    while (settled(after.writer) - settled(before.writer) < expected && performance.now() < deadline) {
      await sleep(50);
      after = await status();
      progress.push([
        (performance.now() - started) / 1000,
        after.writer.counters.written - before.writer.counters.written,
        cpu(after),
        after.mainThreadCpuMs ?? NaN,
      ]);
    }
    const seconds = (performance.now() - started) / 1000;
    const serverCpuMs = serverBefore === undefined ? undefined : serverCpu!() - serverBefore;
    const { threadCpuMs } = await status(true);
    const reports = await done;
    // A trace split over requests may be written in two parts (counted twice): count each once.
    const written = Math.min(expected, after.writer.counters.written - before.writer.counters.written);
    const steady = steadyPart(progress, expected);
    const busy = after.eventLoop.active - before.eventLoop.active;
    await Promise.all(clients.map((c) => c.exited));
    return {
      traces: written,
      seconds,
      // Too few traces to tell (smoke mode): the whole run's rate.
      tracesPerSecond: steady
        ? (steady[1][1] - steady[0][1]) / (steady[1][0] - steady[0][0])
        : written / seconds,
      collectorCpuMs: cpu(after) - cpu(before),
      steadyCpuMsPerTrace: steady && (steady[1][2] - steady[0][2]) / (steady[1][1] - steady[0][1]),
      mainThreadCpuMs:
        after.mainThreadCpuMs === undefined || before.mainThreadCpuMs === undefined
          ? undefined
          : after.mainThreadCpuMs - before.mainThreadCpuMs,
      threadCpuMs: Object.fromEntries(
        Object.entries(threadCpuMs).map(([name, ms]) => [name, ms - (before.threadCpuMs[name] ?? 0)]),
      ),
      steadyMainThreadCpuMsPerTrace:
        steady && after.mainThreadCpuMs !== undefined
          ? (steady[1][3] - steady[0][3]) / (steady[1][1] - steady[0][1])
          : undefined,
      clientCpuMs: reports.reduce((sum, r) => sum + r.cpuMs, 0),
      clientEncodeCpuMs: readies.reduce((sum, r) => sum + r.encodeCpuMs, 0),
      retries: reports.reduce((sum, r) => sum + r.retries, 0),
      failedSpans: reports.reduce((sum, r) => sum + r.failedSpans, 0),
      notWritten: expected - written,
      notWrittenWhere: [
        `parked now ${after.writer.parked.traces}`,
        ...(['deadLettered', 'ignored', 'dropped'] as const).map(
          (counter) => `${counter} ${after.writer.counters[counter] - before.writer.counters[counter]}`,
        ),
      ].join(', '),
      mainThreadBusy: busy / (busy + after.eventLoop.idle - before.eventLoop.idle),
      serverCpuMs,
    };
  } finally {
    collector.send({ type: 'close' });
    await collector.exited;
  }
}
