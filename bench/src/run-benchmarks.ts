/**
 * Runs every benchmark, one process each (a clean heap, nothing left running from the previous
 * one), passes their figure lines through to stdout, and writes the results file and the
 * Markdown page. Exits non-zero only when a benchmark crashed or printed no figure: a number
 * missing its target is a result, not a failure.
 *
 *   npx pnpm@12.4.2 run bench [-- --mode full|quick|smoke] [--results <file>] [--report <file>]
 *   npx pnpm@12.4.2 run bench -- --sizes [--mode smoke] [--results <file>] [--report <file>]
 *
 * `--sizes` runs only the payload and store sizes of 1,000,000 queries (store-size.ts, minutes
 * and about 14 GB of disk; 2,000 queries in smoke mode) and merges its figures into the existing
 * results file, dated; later runs carry them over until the next `--sizes`.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { SOURCE_EXEC_ARGV } from './harness/child-process.js';
import { describeEnvironment } from './harness/environment.js';
import { parseFigureLine } from './harness/figures.js';
import type { Figure } from './harness/figures.js';
import { log, modeFromArgs } from './harness/mode.js';
import { carryOver, mergeSeparateRun, renderMarkdown } from './harness/report.js';
import type { BenchmarkRun, Results } from './harness/report.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Benchmark {
  readonly script: string;
  /**
   * Starts together with the benchmark before it and does its set-up meanwhile; it is told to
   * measure (`--go-file` appears) only once that one has finished, so it measures alone.
   */
  readonly setUpDuringPrevious?: boolean;
}

/** In order; each prints its own figure lines. */
export const BENCHMARKS: readonly Benchmark[] = [
  { script: 'benchmarks/request-path.ts' },
  { script: 'benchmarks/collector-throughput.ts' },
  { script: 'benchmarks/collector-memory.ts' },
  // Filling its store with 200,000 queries takes half a minute: done during the outage's two minutes.
  { script: 'benchmarks/dataset-export.ts', setUpDuringPrevious: true },
  { script: 'benchmarks/collector-scaling.ts' },
  { script: 'benchmarks/trace-size.ts' },
];

/** Run on its own with `--sizes`: its figures are kept, dated, in the results file. */
const SEPARATE_SIZES = 'benchmarks/store-size.ts';

function option(name: string, fallback: string): string {
  const args = process.argv.slice(2);
  const index = args.indexOf(name);
  return resolve(index >= 0 && args[index + 1] ? args[index + 1]! : fallback);
}

function runBenchmark(
  script: string,
  mode: string,
  figures: Figure[],
  goFile?: string,
): Promise<BenchmarkRun> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      ...SOURCE_EXEC_ARGV,
      fileURLToPath(new URL(script, import.meta.url)),
      '--mode',
      mode,
      ...(goFile ? ['--go-file', goFile] : []),
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let printed = 0;
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    const figure = parseFigureLine(line);
    if (figure) {
      figures.push(figure);
      printed += 1;
    }
    process.stdout.write(`${line}\n`);
  });
  return new Promise((done) =>
    child.once('exit', (code, signal) => {
      const exitCode = code ?? signal ?? 'unknown';
      const seconds = (performance.now() - started) / 1000;
      log(`${script}: ${printed} figures in ${seconds.toFixed(1)} s (exit ${exitCode})`);
      done({ script, seconds, exitCode: printed === 0 && exitCode === 0 ? 'no figures' : exitCode });
    }),
  );
}

async function writeFormatted(path: string, text: string): Promise<void> {
  const config = (await resolveConfig(path)) ?? {};
  writeFileSync(path, await format(text, { ...config, filepath: path }));
}

function readResults(path: string): Results | undefined {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Results) : undefined;
}

/** `--sizes`: the sizes alone, merged into the previous results (which must exist). */
async function runSizes(mode: ReturnType<typeof modeFromArgs>, resultsPath: string, reportPath: string) {
  const previous = readResults(resultsPath);
  if (previous === undefined) throw new Error(`--sizes merges into ${resultsPath}: run the benchmarks first`);
  const date = new Date().toISOString();
  const loadAverageAtStart = Number(loadavg()[0]!.toFixed(2));
  const figures: Figure[] = [];
  const run = await runBenchmark(SEPARATE_SIZES, mode, figures);
  if (run.exitCode !== 0) {
    log(`${SEPARATE_SIZES} failed (${run.exitCode}): ${resultsPath} left as it was`);
    process.exitCode = 1;
    return;
  }
  const results = mergeSeparateRun(previous, { ...run, date, mode, loadAverageAtStart }, figures);
  await writeFormatted(resultsPath, JSON.stringify(results, null, 2));
  await writeFormatted(reportPath, renderMarkdown(results));
  log(`merged ${figures.length} figures into ${resultsPath} and ${reportPath}`);
}

async function main(): Promise<void> {
  const mode = modeFromArgs();
  const resultsPath = option('--results', resolve(ROOT, 'bench/results.json'));
  const reportPath = option('--report', resolve(ROOT, 'docs/performance.md'));
  if (process.argv.includes('--sizes')) return runSizes(mode, resultsPath, reportPath);
  const previous = readResults(resultsPath);
  const environment = describeEnvironment(ROOT);
  const started = performance.now();
  const date = new Date().toISOString();
  const figures: Figure[] = [];
  const benchmarks: BenchmarkRun[] = [];
  const goDirectory = mkdtempSync(join(tmpdir(), 'aitdr-bench-go-'));
  try {
    for (let i = 0; i < BENCHMARKS.length; i++) {
      const next = BENCHMARKS[i + 1];
      const goFile = join(goDirectory, `go-${i + 1}`);
      // Figures are kept in benchmark order, whatever order the lines arrive in.
      const own: Figure[] = [];
      const early: Figure[] = [];
      const running = [runBenchmark(BENCHMARKS[i]!.script, mode, own)];
      if (next?.setUpDuringPrevious) running.push(runBenchmark(next.script, mode, early, goFile));
      await running[0];
      writeFileSync(goFile, '');
      benchmarks.push(...(await Promise.all(running)));
      figures.push(...own, ...early);
      if (next?.setUpDuringPrevious) i += 1;
    }
  } finally {
    rmSync(goDirectory, { recursive: true, force: true });
  }
  const results: Results = {
    date,
    mode,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    environment,
    benchmarks,
    figures: carryOver(previous, figures),
    ...(previous?.separateRuns ? { separateRuns: previous.separateRuns } : {}),
  };
  await writeFormatted(resultsPath, JSON.stringify(results, null, 2));
  await writeFormatted(reportPath, renderMarkdown(results));
  log(`wrote ${resultsPath} and ${reportPath} after ${results.seconds} s`);
  if (benchmarks.some((b) => b.exitCode !== 0)) process.exitCode = 1;
}

await main();
