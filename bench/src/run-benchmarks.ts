/**
 * Runs every benchmark, one process each (a clean heap, nothing left running from the previous
 * one), passes their figure lines through to stdout, and writes the results file and the
 * Markdown page. Exits non-zero only when a benchmark crashed or printed no figure: a number
 * missing its target is a result, not a failure.
 *
 *   npx pnpm@12.4.2 run bench [-- --mode full|quick|smoke] [--results <file>] [--report <file>]
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { SOURCE_EXEC_ARGV } from './harness/child-process.js';
import { describeEnvironment } from './harness/environment.js';
import { parseFigureLine } from './harness/figures.js';
import type { Figure } from './harness/figures.js';
import { log, modeFromArgs } from './harness/mode.js';
import { renderMarkdown } from './harness/report.js';
import type { BenchmarkRun, Results } from './harness/report.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** In order; each prints its own figure lines. */
export const BENCHMARKS = [
  'benchmarks/request-path.ts',
  'benchmarks/collector-throughput.ts',
  'benchmarks/collector-memory.ts',
  'benchmarks/dataset-export.ts',
] as const;

function option(name: string, fallback: string): string {
  const args = process.argv.slice(2);
  const index = args.indexOf(name);
  return resolve(index >= 0 && args[index + 1] ? args[index + 1]! : fallback);
}

async function runBenchmark(script: string, mode: string, figures: Figure[]): Promise<BenchmarkRun> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [...SOURCE_EXEC_ARGV, fileURLToPath(new URL(script, import.meta.url)), '--mode', mode],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const before = figures.length;
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    const figure = parseFigureLine(line);
    if (figure) figures.push(figure);
    process.stdout.write(`${line}\n`);
  });
  const exitCode = await new Promise<number | string>((done) =>
    child.once('exit', (code, signal) => done(code ?? signal ?? 'unknown')),
  );
  const seconds = (performance.now() - started) / 1000;
  log(`${script}: ${figures.length - before} figures in ${seconds.toFixed(1)} s (exit ${exitCode})`);
  return { script, seconds, exitCode: figures.length === before && exitCode === 0 ? 'no figures' : exitCode };
}

async function writeFormatted(path: string, text: string): Promise<void> {
  const config = (await resolveConfig(path)) ?? {};
  writeFileSync(path, await format(text, { ...config, filepath: path }));
}

async function main(): Promise<void> {
  const mode = modeFromArgs();
  const resultsPath = option('--results', resolve(ROOT, 'bench/results.json'));
  const reportPath = option('--report', resolve(ROOT, 'docs/performance.md'));
  const environment = describeEnvironment(ROOT);
  const started = performance.now();
  const date = new Date().toISOString();
  const figures: Figure[] = [];
  const benchmarks: BenchmarkRun[] = [];
  for (const script of BENCHMARKS) benchmarks.push(await runBenchmark(script, mode, figures));
  const results: Results = {
    date,
    mode,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    environment,
    benchmarks,
    figures,
  };
  await writeFormatted(resultsPath, JSON.stringify(results, null, 2));
  await writeFormatted(reportPath, renderMarkdown(results));
  log(`wrote ${resultsPath} and ${reportPath} after ${results.seconds} s`);
  if (benchmarks.some((b) => b.exitCode !== 0)) process.exitCode = 1;
}

await main();
