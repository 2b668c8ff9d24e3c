/** bench/results.json and the Markdown page made of one harness run. */
import type { Environment } from './environment.js';
import type { Figure } from './figures.js';
import type { BenchMode } from './mode.js';

export interface BenchmarkRun {
  readonly script: string;
  readonly seconds: number;
  readonly exitCode: number | string;
}

export interface Results {
  readonly date: string;
  readonly mode: BenchMode;
  readonly seconds: number;
  readonly environment: Environment;
  readonly benchmarks: readonly BenchmarkRun[];
  readonly figures: readonly Figure[];
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
    'outage and the export and stats of 200,000 queries take most of a whole run. A size figure of',
    '1,000,000 queries without a value was not asked for (see the README).',
    '',
    '| Run | |',
    '| --- | --- |',
    `| Date | ${results.date} |`,
    `| Mode | ${results.mode} (${Math.round(results.seconds)} s) |`,
    `| Node | ${env.node} |`,
    `| CPU | ${cell(env.cpu)}, ${env.cores} cores, ${env.memoryGiB} GiB |`,
    `| OS | ${cell(env.os)} |`,
    `| Load average at start | ${env.loadAverageAtStart} (the machine is shared) |`,
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
        } | ${cell(figure.note ?? '')} |`,
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
