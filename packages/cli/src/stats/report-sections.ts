/**
 * The report's sections as titled tables: one description that the terminal output and the HTML
 * report both render, so the two always show the same numbers.
 */
import { percent } from '../terminal/text-table.js';
import type { StatsReport } from './collect-stats.js';

export interface ReportTable {
  readonly id: string;
  readonly title: string;
  /** What the numbers are, in a sentence, when the title does not say it all. */
  readonly note?: string;
  readonly head: readonly string[];
  readonly rows: readonly (readonly (string | number)[])[];
}

const ms = (value: number | undefined) => (value === undefined ? '–' : value.toFixed(0));
const thousands = (value: number) => value.toLocaleString('en-US');

export function reportTables(report: StatsReport): ReportTable[] {
  const { overview } = report;
  return [
    {
      id: 'overview',
      title: 'Overview',
      head: ['Measure', 'Value'],
      rows: [
        ['Queries', overview.queries],
        [
          'Answered (last SQL ran without error)',
          `${overview.answered} (${percent(overview.answered, overview.queries)})`,
        ],
        ['With a fallback', `${overview.withFallback} (${percent(overview.withFallback, overview.queries)})`],
        ['Feedback given', overview.feedback],
        ['First query', overview.firstQuery ?? '–'],
        ['Last query', overview.lastQuery ?? '–'],
      ],
    },
    {
      id: 'queries-over-time',
      title: 'Queries over time',
      note: 'Per day (UTC).',
      head: ['Day', 'Queries', 'Answered'],
      rows: report.queriesPerDay.map((d) => [d.day, d.queries, d.answered]),
    },
    {
      id: 'selection',
      title: 'API vs local selection',
      note: 'Whose response was selected, and by which rule.',
      head: ['Selected', 'Count', 'Share'],
      rows: [
        ...report.selection.bySource.map((s) => [
          s.source,
          s.count,
          percent(s.count, total(report.selection.bySource)),
        ]),
        ...report.selection.byStrategy.map((s) => [
          `strategy: ${s.strategy}`,
          s.count,
          percent(s.count, total(report.selection.byStrategy)),
        ]),
      ],
    },
    {
      id: 'success',
      title: 'Success rate per source',
      note: 'Each source from its calls to its SQL running; answers are queries answered with its SQL.',
      head: ['Source', 'Calls', 'Call failed', 'SQL valid', 'SQL ran', 'Answers'],
      rows: report.sources.map((s) => [
        s.source,
        s.calls,
        `${s.failedCalls} (${percent(s.failedCalls, s.calls)})`,
        `${s.valid}/${s.validated} (${percent(s.valid, s.validated)})`,
        `${s.executedOk}/${s.executed} (${percent(s.executedOk, s.executed)})`,
        s.answers,
      ]),
    },
    {
      id: 'latency',
      title: 'Latency and tokens per model',
      note: 'Latency over all calls, failed ones included (a timeout counts its full wait).',
      head: [
        'Model',
        'Source',
        'Calls',
        'p50 ms',
        'p95 ms',
        'Input tokens',
        'Output tokens',
        'Tokens per call',
      ],
      rows: report.models.map((m) => [
        m.model,
        m.source,
        m.calls,
        ms(m.p50Ms),
        ms(m.p95Ms),
        thousands(m.inputTokens),
        thousands(m.outputTokens),
        m.calls === 0 ? '–' : thousands(Math.round((m.inputTokens + m.outputTokens) / m.calls)),
      ]),
    },
    {
      id: 'fallbacks',
      title: 'Fallback reasons',
      head: ['Reason', 'Fallbacks', 'Succeeded'],
      rows: report.fallbacks.map((f) => [
        f.reason,
        f.count,
        `${f.succeeded} (${percent(f.succeeded, f.count)})`,
      ]),
    },
    {
      id: 'validation',
      title: 'Validation failure reasons',
      note: 'By the first problem found; the error type says whether a policy refused the SQL.',
      head: ['Reason', 'Error type', 'Count'],
      rows: report.validationFailures.map((v) => [v.reason, v.errorType, v.count]),
    },
    {
      id: 'feedback',
      title: 'Feedback distribution',
      head: ['Rating', 'Count'],
      rows: [
        ...report.feedback.ratings.map((r) => [`${r.rating}`, r.count]),
        ['no rating', report.feedback.unrated],
        ['judged correct', report.feedback.correct],
        ['judged incorrect', report.feedback.incorrect],
        ['with corrected SQL', report.feedback.withCorrectedSql],
      ],
    },
    {
      id: 'agreement',
      title: 'Agreement between API and local SQL',
      note: 'Where both models answered: equivalent SQL (normalised) by question category.',
      head: ['Category', 'Compared', 'Agreed', 'Rate'],
      rows: [
        ...report.agreement.byCategory.map((c) => [
          c.category,
          c.compared,
          c.agreed,
          percent(c.agreed, c.compared),
        ]),
        [
          'all',
          report.agreement.compared,
          report.agreement.agreed,
          percent(report.agreement.agreed, report.agreement.compared),
        ],
      ],
    },
  ];
}

function total(items: readonly { readonly count: number }[]): number {
  return items.reduce((sum, item) => sum + item.count, 0);
}
