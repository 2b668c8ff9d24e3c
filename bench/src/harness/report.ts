/** bench/results.json and the Markdown page made of one harness run. */
import type { Environment } from './environment.js';
import type { Figure } from './figures.js';
import type { BenchMode } from './mode.js';

export interface BenchmarkRun {
  readonly script: string;
  readonly seconds: number;
  readonly exitCode: number | string;
}

/** A run of some benchmarks on their own (`--sizes`), whose figures are merged into the results. */
export interface SeparateRun extends BenchmarkRun {
  readonly date: string;
  readonly mode: BenchMode;
  /** 1-minute load average when it started. */
  readonly loadAverageAtStart: number;
}

export interface Results {
  readonly date: string;
  readonly mode: BenchMode;
  readonly seconds: number;
  readonly environment: Environment;
  readonly benchmarks: readonly BenchmarkRun[];
  readonly figures: readonly Figure[];
  /** The last separate run of each script whose figures this file holds (see `measuredSeparately`). */
  readonly separateRuns?: readonly SeparateRun[];
}

/**
 * The figures of a run, with those it left without a value (measured only by a separate run)
 * taken from the previous results when that separate run measured them.
 */
export function carryOver(previous: Results | undefined, figures: readonly Figure[]): Figure[] {
  const measured = new Map(
    (previous?.figures ?? [])
      .filter((f) => f.measuredSeparately !== undefined && f.value !== null)
      .map((f) => [f.figure, f]),
  );
  return figures.map((f) => (f.value === null ? (measured.get(f.figure) ?? f) : f));
}

/**
 * The previous results with a separate run's figures in place of the ones of the same name
 * (appended after their benchmark's last figure when new), stamped with its date.
 */
export function mergeSeparateRun(previous: Results, run: SeparateRun, figures: readonly Figure[]): Results {
  const merged = [...previous.figures];
  for (const figure of figures) {
    const stamped: Figure = { ...figure, measuredSeparately: run.date };
    const at = merged.findIndex((f) => f.figure === figure.figure);
    if (at >= 0) merged[at] = stamped;
    else {
      const last = merged.map((f) => f.benchmark).lastIndexOf(figure.benchmark);
      merged.splice(last >= 0 ? last + 1 : merged.length, 0, stamped);
    }
  }
  return {
    ...previous,
    figures: merged,
    separateRuns: [...(previous.separateRuns ?? []).filter((r) => r.script !== run.script), run],
  };
}

function formatValue(value: number | null, unit: string): string {
  if (value === null) return '—';
  const text = Math.abs(value) >= 1000 ? Math.round(value).toLocaleString('en') : String(value);
  return unit === '×' ? `${text}×` : `${text} ${unit}`;
}

function formatTarget(figure: Figure): string {
  if (!figure.target) return '';
  const verdict = figure.met === undefined ? 'not measured' : figure.met ? '**met**' : '**not met**';
  const op = { '<=': '≤', '>=': '≥', '<': '<' }[figure.target.op];
  return `${op} ${figure.target.value}: ${verdict}`;
}

function noteOf(figure: Figure): string {
  if (figure.measuredSeparately === undefined) return figure.note ?? '';
  const by = `measured by the separate run of ${figure.measuredSeparately} (\`run bench -- --sizes\`)`;
  return figure.note ? `${by}; ${figure.note}` : by;
}

/** Pipes would end a table cell. */
const cell = (text: string) => text.replace(/\|/g, '\\|');

export function renderMarkdown(results: Results): string {
  const { environment: env } = results;
  const lines = [
    '# Performance',
    '',
    'Measured by `npx pnpm@12.4.2 run bench` (see [bench/README.md](../bench/README.md) for what each',
    'figure means and how it is measured). This page and `bench/results.json` are written by that run;',
    'do not edit them by hand. A figure with runs listed is the median of those runs; a ratio is computed',
    'within each run, from figures measured side by side, and then the median is taken. The slowest',
    'query of benchmark 2 is the maximum over its runs. Benchmarks 4 and 5 run once: the two-minute',
    'outage and the export and stats of 200,000 queries take most of a whole run. The sizes of',
    '1,000,000 queries are measured by a separate run (`-- --sizes`, minutes and about 14 GB of disk),',
    'whose date is given with them and in the table below; without a value, none has been made.',
    '',
    '| Run | |',
    '| --- | --- |',
    `| Date | ${results.date} |`,
    `| Mode | ${results.mode} (${Math.round(results.seconds)} s) |`,
    `| Node | ${env.node} |`,
    `| CPU | ${cell(env.cpu)}, ${env.cores} cores, ${env.memoryGiB} GiB |`,
    `| OS | ${cell(env.os)} |`,
    `| Load average at start | ${env.loadAverageAtStart} (the machine is shared) |`,
    ...(results.separateRuns ?? []).map(
      (run) =>
        `| Separate run | \`${run.script}\`, ${run.date}, ${run.mode} (${Math.round(run.seconds)} s, load average ${run.loadAverageAtStart}) |`,
    ),
    ...Object.entries(env.packages).map(([name, version]) => `| ${name} | ${version} |`),
    '',
  ];
  const benchmarks = [...new Set(results.figures.map((f) => f.benchmark))];
  for (const benchmark of benchmarks) {
    const [number, ...words] = benchmark.split(' ');
    const title = words.join(' ');
    lines.push(
      `## ${number}. ${title.charAt(0).toUpperCase()}${title.slice(1)}`,
      '',
      '| Figure | Value | Target | Runs | Notes |',
      '| --- | --- | --- | --- | --- |',
    );
    for (const figure of results.figures.filter((f) => f.benchmark === benchmark)) {
      lines.push(
        `| ${cell(figure.label)} | ${formatValue(figure.value, figure.unit)} | ${formatTarget(figure)} | ${
          figure.runs ? figure.runs.join(', ') : ''
        } | ${cell(noteOf(figure))} |`,
      );
    }
    lines.push('');
  }
  const failed = results.benchmarks.filter((b) => b.exitCode !== 0);
  if (failed.length > 0) {
    lines.push('## Failed benchmarks', '', ...failed.map((b) => `- ${b.script}: exit ${b.exitCode}`), '');
  }
  return lines.join('\n');
}
