/**
 * The harness in smoke mode (a few hundred iterations, seconds): every benchmark runs and prints
 * every figure. Numbers are not checked: no benchmark is a test. Writes to a temporary directory,
 * never over bench/results.json or docs/performance.md.
 *
 * Then the separate run of the store sizes (`--sizes`, 2,000 queries in smoke mode) merges its
 * figures into the same results file.
 *
 * Nor is its duration checked: one to two minutes alone on two cores before benchmark 7 and the
 * sizes run were added, it took seven with them at a load average of 15, and more is possible, so the only limit is a guard against a hang, far beyond any slow machine.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';
import type { Results } from '../src/harness/report.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HARNESS = fileURLToPath(new URL('../src/run-benchmarks.ts', import.meta.url));

/** Every figure the issue asks for. */
const FIGURES = [
  'request_path.bare.us_per_query',
  'request_path.helpers_noop.us_per_query',
  'request_path.sqlite.us_per_query',
  'request_path.postgres.us_per_query',
  'request_path.helpers_noop.ratio',
  'request_path.sqlite.ratio',
  'request_path.postgres.ratio',
  'request_path.collector.us_per_query',
  'request_path.otel_batch_proto.us_per_query',
  'request_path.collector.ratio',
  'request_path.otel_batch_proto.ratio',
  'request_path.collector.p99_over_otel_batch_proto',
  'request_path.bare.cpu_us_per_query',
  'request_path.sqlite.cpu_us_per_query',
  'request_path.collector.cpu_us_per_query',
  'request_path.otel_batch_proto.cpu_us_per_query',
  'request_path.sqlite.cpu_ratio',
  'request_path.collector.cpu_ratio',
  'request_path.otel_batch_proto.cpu_ratio',
  'store_down.healthy.p99_us',
  'store_down.down.p99_us',
  'store_down.p99_ratio',
  'store_down.down.max_us',
  'collector.sqlite.raw_traces_per_s',
  'collector.sqlite.traces_per_s',
  'collector.sqlite.ratio',
  'collector.postgres.raw_traces_per_s',
  'collector.postgres.traces_per_s',
  'collector.postgres.ratio',
  'collector.protobuf_decode_cpu_us_per_span',
  'collector.decode_records_cpu_us_per_span',
  'collector.sqlite.cpu_us_per_span',
  'collector.sqlite.raw_insert_cpu_us_per_span',
  'collector.sqlite.cpu_ratio',
  'collector.postgres.cpu_us_per_span',
  'collector.postgres.raw_insert_cpu_us_per_span',
  'collector.postgres.cpu_ratio',
  'memory.open_traces.idle_rss_mib',
  'memory.open_traces.rss_mib',
  'memory.open_traces.bytes_per_held_span',
  'memory.open_traces.held_span_over_wire',
  'memory.open_traces.over_bound_rss_mib',
  'memory.outage.healthy_rss_mib',
  'memory.outage.max_rss_mib',
  'memory.outage.held_traces_max',
  'memory.outage.second_half_rss_trend_mib_per_min',
  'memory.outage.recovery_s',
  'export.queries_per_s',
  'export.peak_rss_mib',
  'export.stats_s',
  'export.payload_mib',
  'export.store_mib',
  'export.store_per_payload',
  'scaling.postgres.instances_1.traces_per_s',
  'scaling.postgres.instances_3.traces_per_s',
  'scaling.postgres.ratio',
  'scaling.postgres.rows_per_query',
  'scaling.postgres.table_bytes_per_query',
  'scaling.postgres.index_bytes_per_query',
  ...[2, 10, 50].flatMap((spans) =>
    [
      'collector_cpu_us_per_span',
      'limit_cpu_us_per_span',
      'collector_cpu_ratio',
      'bare_cpu_us_per_query',
      'sqlite_cpu_ratio',
      'collector_path_cpu_ratio',
    ].map((figure) => `trace_size.spans_${spans}.${figure}`),
  ),
];

/** Measured only by the separate `--sizes` run, which the second test makes. */
const SEPARATE_FIGURES = [
  'export.large.payload_mib',
  'export.large.store_mib',
  'export.large.store_per_payload',
];

/** Only a hung harness gets this far: 20 times its usual duration on a loaded machine. */
const SMOKE_HANG_GUARD_MS = 30 * 60_000;

let running: ChildProcess | undefined;

function runHarness(
  args: readonly string[],
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT });
    running = child;
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('benchmark harness, smoke mode', () => {
  const directory = createTemporaryDirectory('aitdr-bench-smoke-');
  afterAll(() => {
    running?.kill('SIGKILL'); // only after the hang guard: a harness that finished is gone
    directory.remove();
  });

  it(
    'runs every benchmark and writes every figure',
    async () => {
      const results = join(directory.path, 'results.json');
      const report = join(directory.path, 'performance.md');
      const run = await runHarness([
        '--conditions=aitdr-source',
        '--import',
        'tsx',
        HARNESS,
        '--mode',
        'smoke',
        '--results',
        results,
        '--report',
        report,
      ]);
      expect(run.status, run.stderr).toBe(0);

      const figureLines = run.stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { figure: string });
      const written = JSON.parse(readFileSync(results, 'utf8')) as Results;
      expect(written.mode).toBe('smoke');
      expect(figureLines.map((f) => f.figure)).toEqual(written.figures.map((f) => f.figure));
      const byId = new Map(written.figures.map((f) => [f.figure, f]));
      for (const id of FIGURES) {
        expect(byId.get(id)?.value, id).toEqual(expect.any(Number));
      }
      expect(readFileSync(report, 'utf8')).toContain('# Performance');
      for (const id of SEPARATE_FIGURES) expect(byId.get(id)?.value, id).toBeNull();

      // The sizes' separate run merges its figures, dated, into the same results file.
      const sizes = await runHarness([
        '--conditions=aitdr-source',
        '--import',
        'tsx',
        HARNESS,
        '--sizes',
        '--mode',
        'smoke',
        '--results',
        results,
        '--report',
        report,
      ]);
      expect(sizes.status, sizes.stderr).toBe(0);
      const merged = JSON.parse(readFileSync(results, 'utf8')) as Results;
      expect(merged.figures.map((f) => f.figure)).toEqual(written.figures.map((f) => f.figure));
      expect(merged.separateRuns?.map((r) => r.script)).toEqual(['benchmarks/store-size.ts']);
      for (const id of SEPARATE_FIGURES) {
        const figure = merged.figures.find((f) => f.figure === id);
        expect(figure?.value, id).toEqual(expect.any(Number));
        expect(figure?.measuredSeparately).toBe(merged.separateRuns?.[0]?.date);
      }
      expect(readFileSync(report, 'utf8')).toContain('measured by the separate run of');
    },
    SMOKE_HANG_GUARD_MS,
  );
});
