/**
 * Benchmark 4: the collector's memory, read from /proc (VmRSS) of its own process.
 *
 * The two run side by side, each with a collector process of its own.
 *
 * A. Open traces: 50,000 traces of which four stage spans arrive and the root never does, held by
 *    the assembler (maximum wait raised so none is released by age); then 10,000 more, past the
 *    assembler's bound of held spans, which writes the oldest early instead of holding more.
 * B. A store outage under steady load: the collector writes to PostgreSQL through a TCP proxy;
 *    after a healthy period the proxy refuses and resets every connection for two minutes (the
 *    full run), then comes back. The store spool and the intake journal are capped by
 *    `spoolMaxBytes`; once both are full the collector answers 503 instead of holding more.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TcpProxy } from '@aitdr/tests/support/tcp-proxy.js';
import { createTemporaryDatabase } from '@aitdr/tests/support/postgres.js';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';
import type { CollectorMessage } from '../collector/collector-process.js';
import type { LoadSenderMessage, LoadSenderOptions } from '../collector/load-sender.js';
import { forkSource, residentSet } from '../harness/child-process.js';
import type { Child } from '../harness/child-process.js';
import { emitFigure } from '../harness/figures.js';
import { byMode, log, modeFromArgs } from '../harness/mode.js';
import { loadQueryShapes, saveQueryShapes } from '../workload/realistic-queries.js';

const mode = modeFromArgs();
const settings = byMode(mode, {
  full: { openTraces: 50_000, overBound: 10_000, healthyS: 5, outageS: 120, recoveryS: 45, load: 200 },
  quick: { openTraces: 50_000, overBound: 10_000, healthyS: 5, outageS: 20, recoveryS: 30, load: 200 },
  // recoveryS is a limit, not a duration: smoke's is long so a slow machine still yields the figure.
  smoke: { openTraces: 500, overBound: 100, healthyS: 2, outageS: 3, recoveryS: 300, load: 50 },
});
const BENCH = '4 collector memory';
const MiB = 1024 * 1024;
const SPANS_PER_OPEN_TRACE = 4;
/** The assembler's bound on held spans (TraceAssembler's default; startCollector uses it). */
const MAX_HELD_SPANS = 200_000;
/** The cap of the store spool and of the intake journal in the outage run (AITDR_SPOOL_MAX_BYTES). */
const SPOOL_MAX_BYTES = 32 * MiB;
/**
 * The journal keeps every request until all its traces are written, so it holds the open traces'
 * bodies too: with the default 256 MiB it refuses (503) at about 29,000 open traces of this size.
 */
const OPEN_JOURNAL_MAX_BYTES = 1024 * MiB;

type Started = Extract<CollectorMessage, { type: 'started' }>;

async function metrics(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const values: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match = /^aitdr_collector_([a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)$/.exec(line);
    if (match) values[match[1]! + (match[2] ?? '')] = Number(match[3]);
  }
  return values;
}

async function startCollector(
  options: object,
): Promise<{ child: Child<CollectorMessage>; url: string; pid: number }> {
  const child = forkSource<CollectorMessage>('collector/collector-process.ts', options);
  const { url, pid } = await child.next<Started>('started');
  return { child, url, pid };
}

async function stop(child: Child<{ type: string }>): Promise<void> {
  child.send({ type: 'close' });
  await child.exited;
}

const mb = (bytes: number) => bytes / MiB;

/** Least-squares slope of (seconds, value) points, per minute. */
function slopePerMinute(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / n;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / n;
  const covariance = points.reduce((sum, [x, y]) => sum + (x - meanX) * (y - meanY), 0);
  const variance = points.reduce((sum, [x]) => sum + (x - meanX) ** 2, 0);
  return variance === 0 ? 0 : (60 * covariance) / variance;
}

async function openTraces(directory: string, shapesFile: string): Promise<void> {
  const { child, url, pid } = await startCollector({
    store: `sqlite:${join(directory, 'open.db')}`,
    stateDirectory: join(directory, 'open-collector'),
    spoolMaxBytes: OPEN_JOURNAL_MAX_BYTES,
    maxWaitMs: 3_600_000,
  });
  try {
    const idle = await residentSet(pid);
    const send = async (traces: number) => {
      const sender = forkSource<LoadSenderMessage>('collector/load-sender.ts', {
        kind: 'open',
        url,
        shapesFile,
        traces,
        spansPerTrace: SPANS_PER_OPEN_TRACE,
      } satisfies LoadSenderOptions);
      await sender.next('ready');
      sender.send({ type: 'go' });
      const sent = await sender.next<Extract<LoadSenderMessage, { type: 'sent' }>>('sent', 300_000);
      await sender.exited;
      return sent;
    };
    const first = await send(settings.openTraces);
    const held = await metrics(url);
    const holding = await residentSet(pid);
    log(
      `open traces: sent ${first.traces} (${first.spans} spans, ${first.failedRequests} failed requests); ` +
        `held ${held.held_traces} traces, ${held.held_spans} spans; RSS ${mb(idle.rss).toFixed(0)} → ${mb(holding.rss).toFixed(0)} MiB`,
    );
    const over = await send(settings.overBound);
    const after = await metrics(url);
    const overRss = await residentSet(pid);
    log(
      `past the bound: sent ${over.traces} more; held ${after.held_traces} traces, ${after.held_spans} spans; ` +
        `released incomplete ${after.traces_released_incomplete_total}; RSS ${mb(overRss.rss).toFixed(0)} MiB, peak ${mb(overRss.peak).toFixed(0)} MiB`,
    );
    emitFigure({
      benchmark: BENCH,
      figure: 'memory.open_traces.idle_rss_mib',
      label: 'Collector RSS, started and idle',
      value: mb(idle.rss),
      unit: 'MiB',
    });
    emitFigure({
      benchmark: BENCH,
      figure: 'memory.open_traces.rss_mib',
      label: `Collector RSS holding ${settings.openTraces.toLocaleString('en')} open traces (${SPANS_PER_OPEN_TRACE} spans each, no root)`,
      value: mb(holding.rss),
      unit: 'MiB',
      note: `held: ${held.held_traces} traces, ${held.held_spans} spans, journal ${mb(held.journal_bytes ?? 0).toFixed(0)} MiB; bounds: ${MAX_HELD_SPANS.toLocaleString('en')} held spans, journal ${mb(OPEN_JOURNAL_MAX_BYTES)} MiB (AITDR_SPOOL_MAX_BYTES); refused requests ${first.failedRequests}`,
    });
    // Memory per held span: the RSS the held spans added (journal pages included), per span,
    // against the span's share of the protobuf body it arrived in.
    const heldSpans = held.held_spans ?? 0;
    const bytesPerHeldSpan = heldSpans > 0 ? (holding.rss - idle.rss) / heldSpans : null;
    const wireBytesPerSpan = first.spans > 0 ? first.wireBytes / first.spans : null;
    emitFigure({
      benchmark: BENCH,
      figure: 'memory.open_traces.bytes_per_held_span',
      label: 'Collector RSS per held span (open traces, RSS added ÷ spans held)',
      value: bytesPerHeldSpan,
      unit: 'B',
      note: `the span on the wire: ${wireBytesPerSpan?.toFixed(0) ?? '–'} B (its share of the uncompressed OTLP protobuf request body)`,
    });
    emitFigure({
      benchmark: BENCH,
      figure: 'memory.open_traces.held_span_over_wire',
      label: 'Memory per held span ÷ its wire size',
      value:
        bytesPerHeldSpan !== null && wireBytesPerSpan !== null ? bytesPerHeldSpan / wireBytesPerSpan : null,
      unit: '×',
      target: { op: '<=', value: 1.2 },
    });
    emitFigure({
      benchmark: BENCH,
      figure: 'memory.open_traces.over_bound_rss_mib',
      label: `Collector RSS after ${settings.overBound.toLocaleString('en')} more open traces, past the bound`,
      value: mb(overRss.rss),
      unit: 'MiB',
      note: `held: ${after.held_traces} traces, ${after.held_spans} spans (bound ${MAX_HELD_SPANS.toLocaleString('en')}); oldest written early as incomplete: ${after.traces_released_incomplete_total}; peak RSS ${mb(overRss.peak).toFixed(0)} MiB`,
    });
  } finally {
    await stop(child);
  }
}

interface Sample {
  readonly atS: number;
  readonly phase: 'healthy' | 'outage' | 'recovery';
  readonly rss: number;
  readonly metrics: Record<string, number>;
}

async function outage(directory: string, shapesFile: string): Promise<void> {
  const database = await createTemporaryDatabase('aitdr_bench');
  const proxy = await TcpProxy.start({ host: '127.0.0.1', port: 5432 });
  const url = new URL(database.url);
  url.port = String(proxy.port);
  const {
    child,
    url: collectorUrl,
    pid,
  } = await startCollector({
    store: url.toString(),
    stateDirectory: join(directory, 'outage-collector'),
    spoolMaxBytes: SPOOL_MAX_BYTES,
  });
  const sender = forkSource<LoadSenderMessage>('collector/load-sender.ts', {
    kind: 'steady',
    url: collectorUrl,
    shapesFile,
    tracesPerSecond: settings.load,
  } satisfies LoadSenderOptions);
  const samples: Sample[] = [];
  try {
    await sender.next('ready');
    sender.send({ type: 'go' });
    const started = performance.now();
    const sampleFor = async (phase: Sample['phase'], seconds: number, until?: (s: Sample) => boolean) => {
      const end = performance.now() + seconds * 1000;
      while (performance.now() < end) {
        await sleep(1000);
        const sample: Sample = {
          atS: (performance.now() - started) / 1000,
          phase,
          rss: (await residentSet(pid)).rss,
          metrics: await metrics(collectorUrl),
        };
        samples.push(sample);
        if (until?.(sample)) return true;
      }
      return false;
    };
    await sampleFor('healthy', settings.healthyS);
    log(`outage: store cut for ${settings.outageS} s under ${settings.load} traces/s`);
    proxy.cut();
    await sampleFor('outage', settings.outageS);
    proxy.restore();
    sender.send({ type: 'stop' });
    const sent = await sender.next<Extract<LoadSenderMessage, { type: 'sent' }>>('sent');
    const recoveredAt = performance.now();
    const recovered = await sampleFor(
      'recovery',
      settings.recoveryS,
      (s) => s.metrics.spool_bytes === 0 && s.metrics.held_traces === 0,
    );
    const recoverySeconds = (performance.now() - recoveredAt) / 1000;
    const phase = (name: Sample['phase']) => samples.filter((s) => s.phase === name);
    const healthy = phase('healthy');
    const down = phase('outage');
    const maxOf = (list: readonly Sample[], read: (s: Sample) => number) => Math.max(...list.map(read));
    const secondHalf = down.slice(Math.floor(down.length / 2));
    for (const s of samples) {
      log(
        `${s.atS.toFixed(0).padStart(4)} s ${s.phase.padEnd(8)} RSS ${mb(s.rss).toFixed(0).padStart(4)} MiB, ` +
          `spool ${mb(s.metrics.spool_bytes ?? 0).toFixed(1)} MiB, journal ${mb(s.metrics.journal_bytes ?? 0).toFixed(1)} MiB, ` +
          `held ${s.metrics.held_traces} traces, written ${s.metrics.traces_written_total}, spooled ${s.metrics.traces_spooled_total}`,
      );
    }
    const last = samples.at(-1)!;
    log(
      `outage: sent ${sent.traces} traces in ${sent.requests} requests, ${sent.failedRequests} refused; written ${last.metrics.traces_written_total}, dropped by the writer (kept and retried) ${last.metrics.traces_dropped_by_writer_total}`,
    );
    emitFigure({
      benchmark: BENCH,
      figure: 'memory.outage.healthy_rss_mib',
      label: `Collector RSS under steady load (${settings.load} traces/s), store healthy (max)`,
      value: mb(maxOf(healthy, (s) => s.rss)),
      unit: 'MiB',
    });
    emitFigure({
      benchmark: BENCH,
      figure: 'memory.outage.max_rss_mib',
      label: `Collector RSS during a ${settings.outageS} s store outage (max)`,
      value: mb(maxOf(down, (s) => s.rss)),
      unit: 'MiB',
      note: `spool max ${mb(maxOf(down, (s) => s.metrics.spool_bytes ?? 0)).toFixed(1)} MiB and journal max ${mb(maxOf(down, (s) => s.metrics.journal_bytes ?? 0)).toFixed(1)} MiB, each capped at ${mb(SPOOL_MAX_BYTES)} MiB (AITDR_SPOOL_MAX_BYTES)`,
    });
    emitFigure({
      benchmark: BENCH,
      figure: 'memory.outage.held_traces_max',
      label: 'Traces held in memory during the outage (max; set by the journal cap, not by the load)',
      value: maxOf(down, (s) => s.metrics.held_traces ?? 0),
      unit: 'traces',
      note: `at the end of the outage: ${down.at(-1)?.metrics.held_traces ?? 0}; requests refused once the caps were reached: ${sent.failedRequests} of ${sent.requests}`,
    });
    emitFigure({
      benchmark: BENCH,
      figure: 'memory.outage.second_half_rss_trend_mib_per_min',
      label: 'RSS trend over the second half of the outage (least-squares slope)',
      value: slopePerMinute(secondHalf.map((s) => [s.atS, mb(s.rss)])),
      unit: 'MiB/min',
      note: `RSS in that half: ${mb(Math.min(...secondHalf.map((s) => s.rss))).toFixed(0)} to ${mb(maxOf(secondHalf, (s) => s.rss)).toFixed(0)} MiB (garbage collection)`,
    });
    emitFigure({
      benchmark: BENCH,
      figure: 'memory.outage.recovery_s',
      label: 'Time from the store coming back to spool and held traces empty',
      value: recovered ? recoverySeconds : null,
      unit: 's',
      ...(recovered ? {} : { note: `not recovered within ${settings.recoveryS} s` }),
    });
  } finally {
    sender.process.kill();
    await stop(child);
    await proxy.close();
    await database.drop();
  }
}

async function main(): Promise<void> {
  const directory = createTemporaryDirectory('aitdr-bench-memory-');
  try {
    const shapesFile = join(directory.path, 'shapes.json');
    saveQueryShapes(await loadQueryShapes(), shapesFile);
    // Side by side, to keep the whole run under five minutes: each figure is the RSS of its own
    // collector process, which sharing the CPU does not change (the outage load is light).
    await Promise.all([openTraces(directory.path, shapesFile), outage(directory.path, shapesFile)]);
  } finally {
    directory.remove();
  }
}

await main();
