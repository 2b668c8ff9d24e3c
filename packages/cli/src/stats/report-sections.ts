/**
 * The report's sections as titled tables: one description that the terminal output and the HTML
 * report both render, so the two always show the same numbers.
 */
import { percent } from '../terminal/text-table.js';
import type { StatsReport } from './collect-stats.js';
import { SKIP_REASON_LABELS } from '../export/export-rules.js';
import { formatRate } from './rates.js';
import type { Rate } from './rates.js';

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
const tokens = (value: number | undefined) => (value === undefined ? '–' : thousands(Math.round(value)));
const rate = (successes: number, n: number) => formatRate({ successes, n });
const perCall = (total: number, calls: number) => (calls === 0 ? undefined : total / calls);
const money = (value: number | undefined) => (value === undefined ? '–' : value.toFixed(4));

/** Rates as charts draw them: a label with n, and the rate. */
export interface RateRow {
  readonly label: string;
  readonly rate: Rate;
}

/** The rows of the success chart: each source's call, validation and execution rates. */
export function successRates(report: StatsReport): RateRow[] {
  return report.sources.flatMap((s) => [
    {
      label: `${s.source} · call answered (n=${s.calls})`,
      rate: { successes: s.calls - s.failedCalls, n: s.calls },
    },
    { label: `${s.source} · SQL valid (n=${s.validated})`, rate: { successes: s.valid, n: s.validated } },
    { label: `${s.source} · SQL ran (n=${s.executed})`, rate: { successes: s.executedOk, n: s.executed } },
  ]);
}

/** The rows of the readiness chart: each source's SQL matching gold, per category. */
export function readinessRates(report: StatsReport): RateRow[] {
  return report.readiness.byCategory.map((c) => ({
    label: `${c.source} · ${c.category} (n=${c.textMatch.n})`,
    rate: c.textMatch,
  }));
}

export function reportTables(report: StatsReport): ReportTable[] {
  const { overview } = report;
  return [
    {
      id: 'overview',
      title: 'Overview',
      head: ['Measure', 'Value'],
      rows: [
        ['Queries', overview.queries],
        ['Period', periodText(report.period)],
        ['Answered (last SQL ran without error)', rate(overview.answered, overview.queries)],
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
      note:
        'Each source from its calls to its SQL running; answers are queries answered with its SQL. ' +
        'Rates are successes/n, % and the 95% Wilson interval.',
      head: ['Source', 'Calls', 'Call answered', 'SQL valid', 'SQL ran', 'Answers'],
      rows: report.sources.map((s) => [
        s.source,
        s.calls,
        rate(s.calls - s.failedCalls, s.calls),
        rate(s.valid, s.validated),
        rate(s.executedOk, s.executed),
        s.answers,
      ]),
    },
    {
      id: 'latency',
      title: 'Latency per model',
      note: 'Latency over all calls, failed ones included (a timeout counts its full wait).',
      head: ['Model', 'Source', 'Calls', 'p50 ms', 'p95 ms'],
      rows: report.models.map((m) => [m.model, m.source, m.calls, ms(m.p50Ms), ms(m.p95Ms)]),
    },
    {
      id: 'tokens',
      title: 'Token lengths and cost',
      note:
        `Per call, over the calls that reported token counts (others are left out, not counted as 0). ` +
        `Input tokens are the prompt's length. Schema context: ${schemaText(report)}. ` +
        'Cost at the prices given with --price (per 1,000 tokens).',
      head: [
        'Model',
        'Source',
        'Calls with counts',
        'Input per call',
        'Input p50',
        'Input p95',
        'Output per call',
        'Cost',
        'Cost per call',
      ],
      rows: report.models.map((m) => [
        m.model,
        m.source,
        `${m.callsWithTokens}/${m.calls}`,
        tokens(perCall(m.inputTokens, m.callsWithTokens)),
        tokens(m.inputP50),
        tokens(m.inputP95),
        tokens(perCall(m.outputTokens, m.callsWithTokens)),
        money(m.cost),
        money(m.cost === undefined ? undefined : perCall(m.cost, m.calls)),
      ]),
    },
    {
      id: 'fallbacks',
      title: 'Fallback reasons',
      head: ['Reason', 'Fallbacks', 'Succeeded'],
      rows: report.fallbacks.map((f) => [f.reason, f.count, rate(f.succeeded, f.count)]),
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
      head: ['Category', 'Agreed'],
      rows: [
        ...report.agreement.byCategory.map((c) => [c.category, rate(c.agreed, c.compared)]),
        ['all', rate(report.agreement.agreed, report.agreement.compared)],
      ],
    },
    trainingTable(report),
    {
      id: 'readiness',
      title: 'Local model readiness',
      note:
        "Each model's SQL against the gold SQL (the export's default rule), per category: normalised " +
        'text equal, and with --database the same rows on that database. A model is not scored against ' +
        'gold that is its own answer.',
      head: ['Source', 'Category', 'SQL matches gold', 'Results match'],
      rows: report.readiness.byCategory.map((c) => [
        c.source,
        c.category,
        formatRate(c.textMatch),
        c.resultMatch === undefined ? 'no --database' : formatRate(c.resultMatch),
      ]),
    },
    {
      id: 'quality-over-time',
      title: 'Quality over time',
      note: 'Per ISO week and model version: how often its SQL matched the gold SQL (and the results, with --database).',
      head: ['Week', 'Source', 'Model', 'SQL matches gold', 'Results match'],
      rows: report.readiness.byWeek.map((w) => [
        w.week,
        w.source,
        w.model,
        formatRate(w.textMatch),
        w.resultMatch === undefined ? 'no --database' : formatRate(w.resultMatch),
      ]),
    },
  ];
}

function trainingTable(report: StatsReport): ReportTable {
  const t = report.training;
  return {
    id: 'training',
    title: 'Training examples',
    note:
      `By the export's default rules: ${t.queries} queries give ${t.examples} examples in ${t.groups} ` +
      `intents (distinct tasks: a question or gold SQL shared), and ` +
      `${t.pairs.userCorrection + t.pairs.modelDisagreement} preference pairs.`,
    head: ['Kind', 'Value', 'Count'],
    rows: [
      ['intents', 'distinct tasks', t.groups],
      ...t.byGoldSource.map((g) => ['gold from', g.source, g.count]),
      ...t.byCategory.map((c) => ['category', c.category, c.count]),
      ...t.skipped.map((k) => ['skipped', SKIP_REASON_LABELS[k.reason], k.count]),
      ['preference pairs', 'user corrections', t.pairs.userCorrection],
      ['preference pairs', 'API/local disagreements', t.pairs.modelDisagreement],
    ],
  };
}

function periodText(period: StatsReport['period']): string {
  if (period.from === undefined && period.until === undefined) return 'all queries';
  return `${period.from ?? 'the first query'} until ${period.until ?? 'the last'}${period.until === undefined ? '' : ' (excluded)'}`;
}

function schemaText(report: StatsReport): string {
  const c = report.schemaContextTokens;
  if (c.mean === undefined) return `no token counts (${c.contexts} contexts)`;
  return `mean ${c.mean} tokens, p95 ${c.p95 ?? '–'}, over ${c.withTokens} of ${c.contexts} contexts`;
}

function total(items: readonly { readonly count: number }[]): number {
  return items.reduce((sum, item) => sum + item.count, 0);
}
