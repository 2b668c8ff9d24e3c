/**
 * Benchmark 5: the fine-tuning dataset export (`aitdr-export`) and the stats report
 * (`aitdr-stats`) on a SQLite store holding 200,000 recorded queries, each with feedback: export
 * queries per second and the export process's peak RSS (VmHWM, read from /proc while it runs),
 * the stats report's time on the same store, and the size of what was recorded: the OTLP payload
 * the application sent for those queries and the store that keeps it.
 *
 * The store is filled directly with the rows the exporter's mapper makes of recorded traces
 * (each query under its own IDs and with its own question text, so no two are duplicates);
 * filling is set-up, not measured. The same sizes at 1,000,000 queries are measured only when
 * asked (`AITDR_BENCH_SIZE_QUERIES=1000000`): filling that store takes several minutes and about
 * 14 GB of disk.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';
import { SOURCE_EXEC_ARGV, residentSet } from '../harness/child-process.js';
import { emitFigure } from '../harness/figures.js';
import { byMode, log, modeFromArgs, waitForGo } from '../harness/mode.js';
import { emitSizes, fillStore, otlpPayloadBytes, queryTemplates } from './dataset-export-store.js';

const mode = modeFromArgs();
const QUERIES = byMode(mode, { full: 200_000, quick: 20_000, smoke: 300 });
/** A second, larger store whose size alone is measured; only when asked (see the comment above). */
const SIZE_QUERIES = Number(process.env.AITDR_BENCH_SIZE_QUERIES ?? 0) || undefined;
const BENCH = '5 dataset export';
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/**
 * The CLIs as a user runs them: the packages' built JavaScript (`tsc -b`, brought up to date in
 * set-up). Run from source, tsx's loader added ~40 MiB to the export's peak RSS and ~1.2 s CPU
 * (`aitdr-export --help`: 127 MiB and 2.4 s from source, 89 MiB and 1.2 s built). Smoke mode runs
 * them from source, so that CI's run stays small (no build of the workspace).
 */
function cliCommand(name: 'export' | 'stats'): string[] {
  return mode === 'smoke'
    ? [...SOURCE_EXEC_ARGV, join(ROOT, 'packages/cli/src/bin', `${name}.ts`)]
    : [join(ROOT, 'packages/cli/dist/bin', `${name}.js`)];
}

/** Builds the packages' JavaScript (incremental: quick when it is current); its output goes to stderr. */
function buildPackages(): void {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const built = spawnSync(process.execPath, [tsc, '-b', 'tsconfig.build.json'], {
    cwd: ROOT,
    stdio: ['ignore', 2, 2],
  });
  if (built.status !== 0)
    throw new Error(`tsc -b tsconfig.build.json failed (${built.status ?? built.signal})`);
}
const MiB = 1024 * 1024;
/** The targets. */
const TARGETS = {
  exportQueriesPerSecond: 10_000,
  exportPeakRssMib: 256,
  statsSeconds: 15,
} as const;

/** CPU time (user and system) a process has used so far, from /proc. */
async function cpuSeconds(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}
/** Linux's USER_HZ. */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * Runs a CLI to its end: wall time (process start included), peak RSS, and the CPU time it used
 * (read every 100 ms, so up to 0.1 s short): on a shared machine, CPU time says what wall time
 * cannot.
 */
async function runCli(
  cli: readonly string[],
  args: readonly string[],
): Promise<{ seconds: number; cpuSeconds: number; peakRss: number; code: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [...cli, ...args], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let peakRss = 0;
  let cpu = 0;
  const poll = setInterval(() => {
    if (child.pid === undefined) return;
    Promise.all([residentSet(child.pid), cpuSeconds(child.pid)]).then(
      ([{ peak }, used]) => {
        peakRss = Math.max(peakRss, peak);
        cpu = Math.max(cpu, used);
      },
      () => undefined, // exited between two reads
    );
  }, 100);
  const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? 1)));
  clearInterval(poll);
  return { seconds: (performance.now() - started) / 1000, cpuSeconds: cpu, peakRss, code };
}

async function main(): Promise<void> {
  const directory = createTemporaryDirectory('aitdr-bench-export-');
  try {
    const { templates, spans } = await queryTemplates();
    // Every query is one of the templates under its own IDs and question: its payload is the template's.
    const payloadPerQuery = (await otlpPayloadBytes(spans)) / templates.length;
    const filename = join(directory.path, 'training.db');
    const filling = performance.now();
    fillStore(filename, templates, QUERIES);
    const storeBytes = statSync(filename).size;
    log(
      `dataset export: store filled with ${QUERIES} queries in ${((performance.now() - filling) / 1000).toFixed(1)} s ` +
        `(${(storeBytes / MiB).toFixed(0)} MiB)`,
    );
    if (mode !== 'smoke') buildPackages();
    await waitForGo();
    const store = `sqlite:${filename}`;
    const out = join(directory.path, 'dataset');
    const result = await runCli(cliCommand('export'), ['--store', store, '--out', out]);
    const manifestPath = join(out, 'manifest.json');
    const counts = existsSync(manifestPath)
      ? (
          JSON.parse(readFileSync(manifestPath, 'utf8')) as {
            counts?: { examples?: number; queries?: number };
          }
        ).counts
      : undefined;
    const summary = `${counts?.examples ?? 0} examples written from ${counts?.queries ?? 0} queries read; ${result.cpuSeconds.toFixed(1)} s CPU in ${result.seconds.toFixed(1)} s`;
    log(`dataset export: exit ${result.code} after ${result.seconds.toFixed(1)} s; ${summary}`);
    const failed = result.code !== 0 ? `the export exited with ${result.code}` : undefined;
    emitFigure({
      benchmark: BENCH,
      figure: 'export.queries_per_s',
      label: `Export of ${QUERIES.toLocaleString('en')} recorded queries, SQLite (wall time, process start included)`,
      value: failed ? null : QUERIES / result.seconds,
      unit: 'queries/s',
      target: { op: '>=', value: TARGETS.exportQueriesPerSecond },
      note: failed ?? summary,
    });
    emitFigure({
      benchmark: BENCH,
      figure: 'export.peak_rss_mib',
      label: 'Peak RSS of the export process',
      value: failed ? null : result.peakRss / MiB,
      unit: 'MiB',
      target: { op: '<=', value: TARGETS.exportPeakRssMib },
      ...(failed ? { note: failed } : {}),
    });

    const stats = await runCli(cliCommand('stats'), [
      '--store',
      store,
      '--html',
      join(directory.path, 'stats.html'),
    ]);
    log(`dataset export: stats exit ${stats.code} after ${stats.seconds.toFixed(1)} s`);
    const statsFailed = stats.code !== 0 ? `the stats exited with ${stats.code}` : undefined;
    emitFigure({
      benchmark: BENCH,
      figure: 'export.stats_s',
      label: `Stats report (terminal tables and HTML) on the same ${QUERIES.toLocaleString('en')} queries`,
      value: statsFailed ? null : stats.seconds,
      unit: 's',
      target: { op: '<=', value: TARGETS.statsSeconds },
      note:
        statsFailed ??
        `${stats.cpuSeconds.toFixed(1)} s CPU; peak RSS ${(stats.peakRss / MiB).toFixed(0)} MiB`,
    });

    emitSizes(BENCH, '', QUERIES, { payload: payloadPerQuery * QUERIES, store: storeBytes });
    rmSync(filename, { force: true }); // disk for the larger store, if asked
    if (SIZE_QUERIES === undefined) {
      // Measured by a separate run (store-size.ts), whose last figures the harness carries over.
      emitSizes(BENCH, 'large.', 1_000_000, undefined, {
        unmeasured: 'measured by a separate run: npx pnpm@12.4.2 run bench -- --sizes (see bench/README.md)',
      });
    } else {
      const large = join(directory.path, 'large.db');
      fillStore(large, templates, SIZE_QUERIES);
      emitSizes(BENCH, 'large.', SIZE_QUERIES, {
        payload: payloadPerQuery * SIZE_QUERIES,
        store: statSync(large).size,
      });
    }
  } finally {
    directory.remove();
  }
}

await main();
