/**
 * The report as one self-contained HTML file: the tables, and a chart per section drawn by
 * Chart.js, whose minified build is read from node_modules and inlined. Nothing is fetched when
 * the file is opened: a Content-Security-Policy forbids any request, so it works offline and
 * shows the same thing wherever it is opened.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { StatsReport } from './collect-stats.js';
import { readinessRates, reportTables, successRates } from './report-sections.js';
import type { RateRow, ReportTable } from './report-sections.js';
import { ratePercent } from './rates.js';
import { numericColumns } from '../terminal/text-table.js';

/** A Chart.js configuration: plain data, so it can be embedded as JSON. */
interface ChartSpec {
  readonly section: string;
  readonly config: {
    readonly type: string;
    readonly data: {
      readonly labels: readonly string[];
      readonly datasets: readonly Record<string, unknown>[];
    };
    readonly options?: Record<string, unknown>;
  };
}

const COLORS = {
  api: '#2f6fb5',
  local: '#e07b39',
  good: '#3a9a5b',
  bad: '#c8453c',
  neutral: '#8a8f98',
  series: ['#2f6fb5', '#e07b39', '#3a9a5b', '#8e5ea2', '#c8453c', '#3cb7c8', '#b5a12f', '#8a8f98'],
};

let chartJs: string | undefined;

/** Chart.js's UMD build, from the installed package (4.x ships `dist/chart.umd.min.js`). */
function chartJsSource(): string {
  if (chartJs === undefined) {
    const entry = createRequire(import.meta.url).resolve('chart.js');
    chartJs = readFileSync(join(dirname(entry), 'chart.umd.min.js'), 'utf8');
  }
  return chartJs;
}

const sourceColor = (source: string) =>
  source === 'api' ? COLORS.api : source === 'local' ? COLORS.local : COLORS.neutral;
/**
 * Rates as horizontal bars, one row per rate with its n in the label, and the 95% Wilson interval
 * as a thin dark bar over each (a floating bar from low to high).
 */
function rateChart(rows: readonly RateRow[], color: string): ChartSpec['config'] {
  const percents = rows.map((row) => ratePercent(row.rate));
  return {
    type: 'bar',
    data: {
      labels: rows.map((row) => row.label),
      datasets: [
        {
          label: '95% interval',
          data: percents.map((p) => (p.low === null ? null : [p.low, p.high])),
          backgroundColor: '#1d2330',
          grouped: false,
          barPercentage: 0.25,
          order: 0,
        },
        {
          label: 'Rate %',
          data: percents.map((p) => p.value),
          backgroundColor: color,
          grouped: false,
          order: 1,
        },
      ],
    },
    options: {
      indexAxis: 'y',
      scales: { x: { beginAtZero: true, max: 100, title: { display: true, text: '%' } } },
    },
  };
}

const perCall = (total: number, calls: number) => (calls === 0 ? null : Math.round(total / calls));

export function chartSpecs(report: StatsReport): ChartSpec[] {
  const models = report.models.map((m) => m.model);
  const weeks = [...new Set(report.readiness.byWeek.map((w) => w.week))].sort();
  const series = new Map<string, (typeof report.readiness.byWeek)[number][]>();
  for (const cell of report.readiness.byWeek) {
    const key = `${cell.source} · ${cell.model}`;
    series.set(key, [...(series.get(key) ?? []), cell]);
  }
  const weekSeries = [...series.entries()];
  return [
    {
      section: 'queries-over-time',
      config: {
        type: 'bar',
        data: {
          labels: report.queriesPerDay.map((d) => d.day),
          datasets: [
            {
              label: 'Queries',
              data: report.queriesPerDay.map((d) => d.queries),
              backgroundColor: COLORS.api,
            },
            {
              type: 'line',
              label: 'Answered',
              data: report.queriesPerDay.map((d) => d.answered),
              borderColor: COLORS.good,
              backgroundColor: COLORS.good,
            },
          ],
        },
      },
    },
    {
      section: 'selection',
      config: {
        type: 'doughnut',
        data: {
          labels: report.selection.bySource.map((s) => s.source),
          datasets: [
            {
              label: 'Selected',
              data: report.selection.bySource.map((s) => s.count),
              backgroundColor: report.selection.bySource.map((s) => sourceColor(s.source)),
            },
          ],
        },
      },
    },
    { section: 'success', config: rateChart(successRates(report), COLORS.series[0]!) },
    {
      section: 'latency',
      config: {
        type: 'bar',
        data: {
          labels: models,
          datasets: [
            {
              label: 'p50 ms',
              data: report.models.map((m) => m.p50Ms ?? null),
              backgroundColor: COLORS.series[0],
            },
            {
              label: 'p95 ms',
              data: report.models.map((m) => m.p95Ms ?? null),
              backgroundColor: COLORS.series[3],
            },
          ],
        },
        options: { scales: { y: { beginAtZero: true, title: { display: true, text: 'ms' } } } },
      },
    },
    {
      section: 'tokens',
      config: {
        type: 'bar',
        data: {
          labels: models,
          datasets: [
            {
              label: 'Input tokens per call',
              data: report.models.map((m) => perCall(m.inputTokens, m.callsWithTokens)),
              backgroundColor: COLORS.series[0],
            },
            {
              label: 'Output tokens per call',
              data: report.models.map((m) => perCall(m.outputTokens, m.callsWithTokens)),
              backgroundColor: COLORS.series[2],
            },
          ],
        },
        options: { scales: { y: { beginAtZero: true, title: { display: true, text: 'tokens' } } } },
      },
    },
    {
      section: 'fallbacks',
      config: {
        type: 'bar',
        data: {
          labels: report.fallbacks.map((f) => f.reason),
          datasets: [
            {
              label: 'Succeeded',
              data: report.fallbacks.map((f) => f.succeeded),
              backgroundColor: COLORS.good,
            },
            {
              label: 'Failed',
              data: report.fallbacks.map((f) => f.count - f.succeeded),
              backgroundColor: COLORS.bad,
            },
          ],
        },
        options: {
          indexAxis: 'y',
          scales: { x: { stacked: true, beginAtZero: true }, y: { stacked: true } },
        },
      },
    },
    {
      section: 'validation',
      config: {
        type: 'bar',
        data: {
          labels: report.validationFailures.map((v) => `${v.reason} (${v.errorType})`),
          datasets: [
            {
              label: 'Failures',
              data: report.validationFailures.map((v) => v.count),
              backgroundColor: COLORS.bad,
            },
          ],
        },
        options: { indexAxis: 'y', scales: { x: { beginAtZero: true } } },
      },
    },
    {
      section: 'feedback',
      config: {
        type: 'bar',
        data: {
          labels: report.feedback.ratings.map((r) => `${r.rating}`),
          // One dataset per kind of rating, so each legend swatch is the colour of its bars.
          datasets: (
            [
              ['Negative (1–2)', COLORS.bad, (rating: number) => rating <= 2],
              ['Neutral (3)', COLORS.neutral, (rating: number) => rating > 2 && rating < 4],
              ['Positive (4–5)', COLORS.good, (rating: number) => rating >= 4],
            ] as const
          ).map(([label, color, holds]) => ({
            label,
            data: report.feedback.ratings.map((r) => (holds(r.rating) ? r.count : null)),
            backgroundColor: color,
            grouped: false,
          })),
        },
        options: { scales: { y: { beginAtZero: true, title: { display: true, text: 'feedback' } } } },
      },
    },
    {
      section: 'agreement',
      config: rateChart(
        report.agreement.byCategory.map((c) => ({
          label: `${c.category} (n=${c.compared})`,
          rate: { successes: c.agreed, n: c.compared },
        })),
        COLORS.series[5]!,
      ),
    },
    {
      section: 'training',
      config: {
        type: 'bar',
        data: {
          labels: report.training.byCategory.map((c) => c.category),
          datasets: [
            {
              label: 'Examples',
              data: report.training.byCategory.map((c) => c.count),
              backgroundColor: COLORS.series[2],
            },
          ],
        },
        options: {
          indexAxis: 'y',
          scales: { x: { beginAtZero: true, title: { display: true, text: 'examples' } } },
        },
      },
    },
    { section: 'readiness', config: rateChart(readinessRates(report), COLORS.local) },
    {
      section: 'quality-over-time',
      config: {
        type: 'bar',
        data: {
          // Each week's n per series in its label: a rate of 3/3 and one of 76/128 must not look alike.
          labels: weeks.map(
            (week) =>
              `${week} (n ${weekSeries
                .map(([, cells]) => cells.find((c) => c.week === week)?.textMatch.n ?? 0)
                .join(' / ')})`,
          ),
          datasets: weekSeries.map(([key, cells], i) => ({
            label: key,
            data: weeks.map((week) => {
              const cell = cells.find((c) => c.week === week);
              return cell === undefined ? null : ratePercent(cell.textMatch).value;
            }),
            backgroundColor: COLORS.series[i % COLORS.series.length],
          })),
        },
        options: {
          scales: {
            y: { beginAtZero: true, max: 100, title: { display: true, text: '% SQL matches gold' } },
          },
        },
      },
    },
  ];
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** JSON inside a <script> element: `<` escaped so no text in the data can close the element. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

function tableHtml(table: ReportTable): string {
  if (table.rows.length === 0) return '<p class="empty">No data.</p>';
  const numeric = numericColumns(table.head, table.rows);
  const cell = (tag: string, text: string, i: number) =>
    `<${tag}${numeric[i] ? ' class="n"' : ''}>${escapeHtml(text)}</${tag}>`;
  const head = table.head.map((h, i) => cell('th', h, i)).join('');
  const rows = table.rows
    .map((row) => `<tr>${row.map((value, i) => cell('td', String(value), i)).join('')}</tr>`)
    .join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

/** Horizontal bar charts grow with their rows, so labels stay readable; others are 300 px. */
function chartHeight(chart: ChartSpec): number {
  const horizontal = chart.config.options?.indexAxis === 'y';
  return horizontal ? Math.max(300, 60 + 26 * chart.config.data.labels.length) : 300;
}

/** The whole report as one HTML document. */
export function renderStatsHtml(report: StatsReport): string {
  const charts = chartSpecs(report);
  const sections = reportTables(report)
    .map((table) => {
      const chart = charts.find((c) => c.section === table.id);
      const hasData = chart !== undefined && chart.config.data.labels.length > 0;
      return `<section id="${table.id}">
<h2>${escapeHtml(table.title)}</h2>
${table.note === undefined ? '' : `<p class="note">${escapeHtml(table.note)}</p>`}
<div class="${chart === undefined ? 'only-table' : table.head.length > 3 ? 'chart-above' : 'with-chart'}">
${chart === undefined ? '' : `<div class="chart" style="height: ${chartHeight(chart)}px">${hasData ? `<canvas id="chart-${table.id}" role="img" aria-label="${escapeHtml(table.title)}"></canvas>` : '<p class="empty">No data to chart.</p>'}</div>`}
<div class="table">${tableHtml(table)}</div>
</div>
</section>`;
    })
    .join('\n');
  const drawable = charts.filter((c) => c.config.data.labels.length > 0);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>Training data stats</title>
<style>
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2330; margin: 0; background: #f5f6f8; }
header { background: #1d2330; color: #fff; padding: 18px 28px; }
header h1 { margin: 0 0 4px; font-size: 20px; }
header p { margin: 0; color: #c6cbd4; }
main { padding: 8px 28px 40px; max-width: 1280px; }
section { background: #fff; border-radius: 6px; padding: 14px 18px; margin: 16px 0; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
h2 { font-size: 16px; margin: 0 0 6px; }
.note { color: #5b6270; margin: 0 0 10px; }
.with-chart { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 18px; align-items: start; }
.chart { position: relative; }
.chart-above .chart { margin-bottom: 14px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #e3e6eb; white-space: nowrap; }
th { background: #f0f2f5; }
.table { overflow-x: auto; }
.n { text-align: right; font-variant-numeric: tabular-nums; }
.empty { color: #8a8f98; }
@media (max-width: 800px) { .with-chart { grid-template-columns: 1fr; } }
</style>
</head>
<body>
<header>
<h1>Training data stats</h1>
<p>${escapeHtml(report.store)} · generated ${escapeHtml(report.generatedAt)}</p>
</header>
<main>
${sections}
</main>
<script type="application/json" id="stats-data">${scriptJson(report)}</script>
<script type="application/json" id="chart-specs">${scriptJson(drawable)}</script>
<script>${chartJsSource().replace(/<\/script/gi, '<\\/script')}</script>
<script>
(function () {
  var specs = JSON.parse(document.getElementById('chart-specs').textContent);
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  specs.forEach(function (spec) {
    new Chart(document.getElementById('chart-' + spec.section), spec.config);
  });
  document.body.setAttribute('data-charts', String(specs.length));
})();
</script>
</body>
</html>
`;
}
