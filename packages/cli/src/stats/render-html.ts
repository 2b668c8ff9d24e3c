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
import { reportTables } from './report-sections.js';
import type { ReportTable } from './report-sections.js';
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
const rate = (part: number, whole: number) => (whole === 0 ? 0 : Math.round((1000 * part) / whole) / 10);
const percentAxis = { y: { beginAtZero: true, max: 100, title: { display: true, text: '%' } } };

export function chartSpecs(report: StatsReport): ChartSpec[] {
  const models = report.models.map((m) => m.model);
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
    {
      section: 'success',
      config: {
        type: 'bar',
        data: {
          labels: report.sources.map((s) => s.source),
          datasets: [
            {
              label: 'Call answered %',
              data: report.sources.map((s) => rate(s.calls - s.failedCalls, s.calls)),
              backgroundColor: COLORS.series[0],
            },
            {
              label: 'SQL valid %',
              data: report.sources.map((s) => rate(s.valid, s.validated)),
              backgroundColor: COLORS.series[1],
            },
            {
              label: 'SQL ran %',
              data: report.sources.map((s) => rate(s.executedOk, s.executed)),
              backgroundColor: COLORS.series[2],
            },
          ],
        },
        options: { scales: percentAxis },
      },
    },
    {
      section: 'latency',
      config: {
        type: 'bar',
        data: {
          labels: models,
          datasets: [
            {
              label: 'p50 ms',
              data: report.models.map((m) => m.p50Ms ?? 0),
              backgroundColor: COLORS.series[0],
            },
            {
              label: 'p95 ms',
              data: report.models.map((m) => m.p95Ms ?? 0),
              backgroundColor: COLORS.series[3],
            },
            {
              label: 'Tokens per call',
              data: report.models.map((m) =>
                m.calls === 0 ? 0 : Math.round((m.inputTokens + m.outputTokens) / m.calls),
              ),
              backgroundColor: COLORS.neutral,
              yAxisID: 'tokens',
            },
          ],
        },
        options: {
          scales: {
            y: { beginAtZero: true, title: { display: true, text: 'ms' } },
            tokens: {
              position: 'right',
              beginAtZero: true,
              grid: { drawOnChartArea: false },
              title: { display: true, text: 'tokens' },
            },
          },
        },
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
          datasets: [
            {
              label: 'Ratings',
              data: report.feedback.ratings.map((r) => r.count),
              backgroundColor: report.feedback.ratings.map((r) =>
                r.rating <= 2 ? COLORS.bad : r.rating >= 4 ? COLORS.good : COLORS.neutral,
              ),
            },
          ],
        },
        options: { scales: { y: { beginAtZero: true } } },
      },
    },
    {
      section: 'agreement',
      config: {
        type: 'bar',
        data: {
          labels: report.agreement.byCategory.map((c) => c.category),
          datasets: [
            {
              label: 'Agreement %',
              data: report.agreement.byCategory.map((c) => rate(c.agreed, c.compared)),
              backgroundColor: COLORS.series[5],
            },
          ],
        },
        options: { scales: percentAxis },
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
${chart === undefined ? '' : `<div class="chart">${hasData ? `<canvas id="chart-${table.id}" role="img" aria-label="${escapeHtml(table.title)}"></canvas>` : '<p class="empty">No data to chart.</p>'}</div>`}
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
.chart { position: relative; height: 300px; }
.chart-above .chart { margin-bottom: 14px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #e3e6eb; white-space: nowrap; }
th { background: #f0f2f5; }
.n { text-align: right; font-variant-numeric: tabular-nums; }
.empty { color: #8a8f98; }
.table { max-height: 300px; overflow: auto; }
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
