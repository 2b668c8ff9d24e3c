/**
 * The stats report's numbers, read from the nine tables of any store. Counts are GROUP BY queries
 * in SQL all three stores accept; what SQL cannot say portably (days of a timestamp, percentiles,
 * the reason in a JSON list) is computed here from streamed rows, keeping only the aggregates (and
 * each model's latencies, for exact percentiles).
 */
import {
  AI_FALLBACK_EVENTS,
  AI_MODEL_INTERACTIONS,
  AI_SCHEMA_CONTEXTS,
  AI_QUERY_CLASSIFICATIONS,
  AI_RESPONSE_SELECTIONS,
  AI_SQL_PROCESSING,
  AI_EXECUTION_RESULTS,
  AI_USER_FEEDBACK,
} from '@aitdr/schema';
import type { ReadRow, TableReader } from '@aitdr/exporter';
import { collectDataset } from '../export/export-dataset.js';
import { DEFAULT_GOLD_RULES } from '../export/export-rules.js';
import type { SkipReason } from '../export/export-rules.js';
import { asBoolean, asNumber, asText } from '../store/read-values.js';
import { periodScope } from './period.js';
import type { PeriodScope, StatsPeriod } from './period.js';
import { isoWeekByDay, readinessGoldOf, readinessScorer, textPool } from './readiness.js';
import type { ReadinessGold } from './readiness.js';
import type { Readiness } from './readiness.js';

/** Price of 1,000 tokens of a model, input and output, in the user's currency. */
export interface TokenPrice {
  readonly input: number;
  readonly output: number;
}

export interface StatsOptions {
  /** Only queries asked in this period (and their stage rows and feedback). */
  readonly period?: StatsPeriod;
  /** A SQLite database (read-only) to run gold and model SQL on, for readiness by result. */
  readonly database?: string;
  /** Prices per model (REQUEST_MODEL or RESPONSE_MODEL), for the cost section. */
  readonly prices?: Readonly<Record<string, TokenPrice>>;
  /**
   * A second reader of the same store for the sections counted in SQL alone (see `Aggregates`),
   * read alongside the pass over the queries rather than after it: open it with `ownThread` (a
   * SQLite reader on the caller's thread would wait for that pass all the same).
   */
  readonly aggregates?: TableReader;
}

export interface StatsReport {
  readonly store: string;
  readonly generatedAt: string;
  readonly period: { readonly from?: string; readonly until?: string };
  readonly overview: {
    readonly queries: number;
    /** Queries whose last SQL ran without error. */
    readonly answered: number;
    /** Queries with at least one fallback. */
    readonly withFallback: number;
    readonly feedback: number;
    readonly firstQuery?: string;
    readonly lastQuery?: string;
  };
  /** Per UTC day with queries. */
  readonly queriesPerDay: readonly {
    readonly day: string;
    readonly queries: number;
    readonly answered: number;
  }[];
  readonly selection: {
    readonly bySource: readonly { readonly source: string; readonly count: number }[];
    readonly byStrategy: readonly { readonly strategy: string; readonly count: number }[];
  };
  /** Per model source: from the call to the SQL that ran. */
  readonly sources: readonly SourceOutcome[];
  readonly models: readonly ModelUsage[];
  readonly fallbacks: readonly {
    readonly reason: string;
    readonly count: number;
    readonly succeeded: number;
  }[];
  readonly validationFailures: readonly {
    readonly reason: string;
    readonly errorType: string;
    readonly count: number;
  }[];
  readonly feedback: {
    readonly ratings: readonly { readonly rating: number; readonly count: number }[];
    readonly unrated: number;
    readonly correct: number;
    readonly incorrect: number;
    readonly withCorrectedSql: number;
  };
  /** Queries where both models answered: how often their SQL was equivalent. */
  readonly agreement: {
    readonly compared: number;
    readonly agreed: number;
    readonly byCategory: readonly {
      readonly category: string;
      readonly compared: number;
      readonly agreed: number;
    }[];
  };
  /** What the export's default rules make of these queries. */
  readonly training: TrainingSummary;
  readonly readiness: Readiness;
  /** Schema context lengths in tokens over the period's contexts. */
  readonly schemaContextTokens: {
    readonly contexts: number;
    readonly withTokens: number;
    readonly mean?: number;
    readonly p95?: number;
  };
}

export interface TrainingSummary {
  readonly queries: number;
  readonly examples: number;
  /** Intents: examples sharing a normalised question or gold SQL. */
  readonly groups: number;
  readonly byGoldSource: readonly { readonly source: string; readonly count: number }[];
  readonly byCategory: readonly { readonly category: string; readonly count: number }[];
  readonly skipped: readonly { readonly reason: SkipReason | 'duplicate'; readonly count: number }[];
  readonly pairs: { readonly userCorrection: number; readonly modelDisagreement: number };
}

export interface SourceOutcome {
  readonly source: string;
  readonly calls: number;
  /** Calls that ended in an error (timeout, provider error). */
  readonly failedCalls: number;
  /** Validations of this source's SQL, and how many passed. */
  readonly validated: number;
  readonly valid: number;
  /** Executions of this source's SQL, and how many ran without error. */
  readonly executed: number;
  readonly executedOk: number;
  /** Queries answered with this source's SQL (the last execution, successful). */
  readonly answers: number;
}

export interface ModelUsage {
  readonly model: string;
  readonly source: string;
  readonly calls: number;
  /** Latency percentiles in ms over all calls, failed ones included; undefined without latencies. */
  readonly p50Ms?: number;
  readonly p95Ms?: number;
  /** Calls that reported token counts: the averages are over these, not over every call. */
  readonly callsWithTokens: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Input tokens per call (the prompt's length), over calls with counts. */
  readonly inputP50?: number;
  readonly inputP95?: number;
  /** Input and output tokens at the model's price; undefined without a price. */
  readonly cost?: number;
}

const UNKNOWN = '(none)';
const label = (value: ReadRow[string] | undefined) => asText(value) ?? UNKNOWN;
const count = (row: ReadRow) => asNumber(row.N) ?? 0;

/**
 * Reads every section of the report. Statements of one reader run one after the other (SQLite
 * allows one at a time); the aggregates run on `options.aggregates` alongside the rest, if given.
 * AI_TRAINING_EXAMPLES is read once, by the training summary's pass; the queries over time, the
 * answers per source and the readiness golds are counted from the same rows. The model
 * interactions, the largest table, are read once too: calls, usage and readiness from one pass.
 */
export async function collectStats(reader: TableReader, options: StatsOptions = {}): Promise<StatsReport> {
  const scope = periodScope(options.period);
  const { from, until } = scope.period;
  await mapSqliteStore(reader);
  const alongside = options.aggregates === undefined ? undefined : readAggregates(options.aggregates, scope);
  // Awaited after the pass: a failure of the pass first must not leave this one unhandled.
  alongside?.catch(() => undefined);
  const overTime = new QueriesOverTime();
  const answered = new Map<string, number>();
  const golds = new Map<string, ReadinessGold>();
  const once = textPool();
  const weekOf = isoWeekByDay();
  // The export's pass reads the failed answers it pairs; readiness streams the others afterwards.
  const training = await trainingSummary(reader, scope, (row) => {
    overTime.add(row);
    if (asBoolean(row.EXECUTION_SUCCESS) === true) {
      const source = label(row.ANSWER_SOURCE);
      answered.set(source, (answered.get(source) ?? 0) + 1);
    }
    const gold = readinessGoldOf(row, once, weekOf);
    if (gold !== undefined) golds.set(String(row.QUERY_ID), gold);
  });
  const interactions = await interactionFigures(reader, scope, options.prices ?? {}, golds, options.database);
  const aggregates = await (alongside ?? readAggregates(reader, scope));
  return {
    store: reader.store,
    generatedAt: new Date().toISOString(),
    period: {
      ...(from === undefined ? {} : { from: from.toISOString() }),
      ...(until === undefined ? {} : { until: until.toISOString() }),
    },
    ...overTime.report(aggregates.overview),
    selection: aggregates.selection,
    sources: sourceOutcomes(aggregates.sourceCounts, interactions.calls, answered),
    models: interactions.models,
    fallbacks: aggregates.fallbacks,
    validationFailures: aggregates.validationFailures,
    feedback: aggregates.feedback,
    agreement: aggregates.agreement,
    training,
    readiness: interactions.readiness,
    schemaContextTokens: aggregates.schemaContextTokens,
  };
}

/** The sections counted in SQL alone, from no row of the pass over the queries. */
interface Aggregates {
  readonly overview: OverviewCounts;
  readonly selection: StatsReport['selection'];
  readonly sourceCounts: SourceCounts;
  readonly fallbacks: StatsReport['fallbacks'];
  readonly validationFailures: StatsReport['validationFailures'];
  readonly feedback: StatsReport['feedback'];
  readonly agreement: StatsReport['agreement'];
  readonly schemaContextTokens: StatsReport['schemaContextTokens'];
}

async function readAggregates(reader: TableReader, scope: PeriodScope): Promise<Aggregates> {
  return {
    overview: await overviewCounts(reader, scope),
    selection: await selection(reader, scope),
    sourceCounts: await sourceCounts(reader, scope),
    fallbacks: await fallbackReasons(reader, scope),
    validationFailures: await validationFailures(reader, scope),
    feedback: await feedbackDistribution(reader, scope),
    agreement: await agreement(reader, scope),
    schemaContextTokens: await schemaContextTokens(reader, scope),
  };
}

/**
 * The pass over the queries reads a SQLite store's pages more than once (the view's latest-row
 * lookups by random keys): read through a memory map, a page is not copied from the kernel into
 * SQLite's small page cache on every read (on the 200k-query store about 0.4 s of that pass's CPU,
 * the report's longest). Only this reader maps the store: a second mapping, the aggregates' reader's,
 * counted the same pages of the kernel's cache again in the process's resident memory (4.5 GiB for a
 * 2.6 GiB store, against about 2.3) for less than it saves there (see `sourceCounts`). SQLite caps
 * the size (2 GiB by default).
 */
async function mapSqliteStore(reader: TableReader): Promise<void> {
  if (reader.dialect === 'sqlite') await reader.query(`PRAGMA mmap_size = ${MMAP_BYTES}`);
}

/** What the report asks SQLite to map: every store; SQLite's own limit applies. */
const MMAP_BYTES = 2 ** 40;

/** The export's defaults on the period's queries, nothing written; `row` sees every row read. */
async function trainingSummary(
  reader: TableReader,
  scope: PeriodScope,
  row: (row: ReadRow) => void,
): Promise<TrainingSummary> {
  const dataset = await collectDataset(
    reader,
    {
      rules: DEFAULT_GOLD_RULES,
      filters: scope.period,
      dedupe: true,
      validationRatio: 0.1,
      seed: '42',
    },
    { row },
  );
  const largestFirst = (counts: Readonly<Record<string, number>>) =>
    Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return {
    queries: dataset.matched,
    examples: dataset.examples.length,
    groups: new Set(dataset.examples.map((e) => e.group)).size,
    byGoldSource: largestFirst(dataset.goldFrom).map(([source, count]) => ({ source, count })),
    byCategory: largestFirst(dataset.byCategory).map(([category, count]) => ({ category, count })),
    skipped: (Object.entries(dataset.skipped) as [SkipReason | 'duplicate', number][])
      .filter(([, count]) => count > 0)
      .sort((a, b) => b[1] - a[1])
      .map(([reason, count]) => ({ reason, count })),
    pairs: dataset.pairsByRule,
  };
}

/** Counted per token count in SQL: a few hundred rows to read rather than one per context. */
async function schemaContextTokens(
  reader: TableReader,
  scope: PeriodScope,
): Promise<StatsReport['schemaContextTokens']> {
  const binds = reader.binds();
  const counts: { value: number; count: number }[] = [];
  let contexts = 0;
  let withTokens = 0;
  let sum = 0;
  for (const row of await reader.query(
    `SELECT TOKEN_COUNT, COUNT(*) AS N FROM ${AI_SCHEMA_CONTEXTS.name}
     WHERE ${scope.condition(binds, 'QUERY_ID')} GROUP BY TOKEN_COUNT`,
    binds,
  )) {
    const n = count(row);
    contexts += n;
    const value = asNumber(row.TOKEN_COUNT);
    if (value === undefined) continue;
    counts.push({ value, count: n });
    withTokens += n;
    sum += value * n;
  }
  counts.sort((a, b) => a.value - b.value);
  const p95 = percentileOfCounts(counts, withTokens, 0.95);
  return {
    contexts,
    withTokens,
    ...(withTokens === 0 ? {} : { mean: Math.round((10 * sum) / withTokens) / 10 }),
    ...(p95 === undefined ? {} : { p95 }),
  };
}

/** Queries and answered queries per UTC day, counted from the rows of AI_TRAINING_EXAMPLES. */
class QueriesOverTime {
  private readonly days = new Map<string, { queries: number; answered: number }>();
  private queries = 0;
  private answered = 0;
  private first: string | undefined;
  private last: string | undefined;

  add(row: ReadRow): void {
    const time = asText(row.QUERY_TIME);
    const ok = asBoolean(row.EXECUTION_SUCCESS) === true;
    this.queries += 1;
    if (ok) this.answered += 1;
    if (time === undefined) return;
    if (this.first === undefined || time < this.first) this.first = time;
    if (this.last === undefined || time > this.last) this.last = time;
    const date = time.slice(0, 10);
    let day = this.days.get(date);
    if (day === undefined) this.days.set(date, (day = { queries: 0, answered: 0 }));
    day.queries += 1;
    if (ok) day.answered += 1;
  }

  report({ withFallback, feedback }: OverviewCounts): Pick<StatsReport, 'overview' | 'queriesPerDay'> {
    return {
      overview: {
        queries: this.queries,
        answered: this.answered,
        withFallback,
        feedback,
        ...(this.first === undefined ? {} : { firstQuery: this.first }),
        ...(this.last === undefined ? {} : { lastQuery: this.last }),
      },
      queriesPerDay: [...this.days.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([day, totals]) => ({ day, ...totals })),
    };
  }
}

/** The overview's figures counted in SQL: queries with a fallback, feedback given. */
interface OverviewCounts {
  readonly withFallback: number;
  readonly feedback: number;
}

async function overviewCounts(reader: TableReader, scope: PeriodScope): Promise<OverviewCounts> {
  const fallbackBinds = reader.binds();
  const [fallbacks] = await reader.query(
    `SELECT COUNT(DISTINCT QUERY_ID) AS N FROM ${AI_FALLBACK_EVENTS.name} WHERE ${scope.condition(fallbackBinds, 'QUERY_ID')}`,
    fallbackBinds,
  );
  const feedbackBinds = reader.binds();
  const [feedback] = await reader.query(
    `SELECT COUNT(*) AS N FROM ${AI_USER_FEEDBACK.name} WHERE ${scope.condition(feedbackBinds, 'QUERY_ID')}`,
    feedbackBinds,
  );
  return {
    withFallback: fallbacks === undefined ? 0 : count(fallbacks),
    feedback: feedback === undefined ? 0 : count(feedback),
  };
}

async function selection(reader: TableReader, scope: PeriodScope): Promise<StatsReport['selection']> {
  const binds = reader.binds();
  const rows = await reader.query(
    `SELECT SELECTED_SOURCE, STRATEGY, COUNT(*) AS N FROM ${AI_RESPONSE_SELECTIONS.name}
     WHERE ${scope.condition(binds, 'QUERY_ID')} GROUP BY SELECTED_SOURCE, STRATEGY`,
    binds,
  );
  return {
    bySource: sumBy(rows, (row) => label(row.SELECTED_SOURCE)).map(([source, n]) => ({ source, count: n })),
    byStrategy: sumBy(rows, (row) => label(row.STRATEGY)).map(([strategy, n]) => ({ strategy, count: n })),
  };
}

/** Validations and executions by the source of the SQL and their outcome (rows of MODEL_SOURCE, OK, N). */
interface SourceCounts {
  readonly validations: readonly ReadRow[];
  readonly executions: readonly ReadRow[];
}

/**
 * A stage row names the interaction whose SQL it handled; its source says whose SQL that was.
 * Validations and executions are counted per interaction first, in one statement, and each
 * interaction is looked up once, in key order: joined row by row, every validation and every
 * execution fetched its interaction's page again, a few KiB of prompt and response each (on the
 * 200k-query store 1.6 s CPU, 1.1 s of it copying pages in, against 1.2 s).
 */
async function sourceCounts(reader: TableReader, scope: PeriodScope): Promise<SourceCounts> {
  const binds = reader.binds();
  const rows = await reader.query(
    `SELECT mi.MODEL_SOURCE, x.KIND, x.OK, SUM(x.N) AS N FROM (
       SELECT u.QUERY_ID, u.INTERACTION_ID, u.KIND, u.OK, COUNT(*) AS N FROM (
         SELECT QUERY_ID, INTERACTION_ID, ${VALIDATION} AS KIND, IS_VALID AS OK FROM ${AI_SQL_PROCESSING.name}
         WHERE ${scope.condition(binds, 'QUERY_ID')}
         UNION ALL
         SELECT QUERY_ID, INTERACTION_ID, ${EXECUTION} AS KIND, SUCCESS AS OK FROM ${AI_EXECUTION_RESULTS.name}
         WHERE ${scope.condition(binds, 'QUERY_ID')}
       ) u GROUP BY u.QUERY_ID, u.INTERACTION_ID, u.KIND, u.OK
     ) x
     JOIN ${AI_MODEL_INTERACTIONS.name} mi ON mi.QUERY_ID = x.QUERY_ID AND mi.INTERACTION_ID = x.INTERACTION_ID
     GROUP BY mi.MODEL_SOURCE, x.KIND, x.OK`,
    binds,
  );
  return {
    validations: rows.filter((row) => asNumber(row.KIND) === VALIDATION),
    executions: rows.filter((row) => asNumber(row.KIND) === EXECUTION),
  };
}

/** What a row of `sourceCounts` counts. */
const VALIDATION = 0;
const EXECUTION = 1;

/** `answered`: queries whose latest SQL ran without error, by the source of the model that wrote it. */
function sourceOutcomes(
  { validations, executions }: SourceCounts,
  calls: ReadonlyMap<string, CallCount>,
  answered: ReadonlyMap<string, number>,
): SourceOutcome[] {
  const sources = new Set([
    ...calls.keys(),
    ...[...validations, ...executions].map((row) => label(row.MODEL_SOURCE)),
    ...answered.keys(),
  ]);
  const total = (rows: readonly ReadRow[], source: string, ok?: boolean) =>
    rows
      .filter((row) => label(row.MODEL_SOURCE) === source && (ok === undefined || asBoolean(row.OK) === ok))
      .reduce((sum, row) => sum + count(row), 0);
  return [...sources].sort().map((source) => ({
    source,
    calls: calls.get(source)?.calls ?? 0,
    failedCalls: calls.get(source)?.failed ?? 0,
    validated: total(validations, source),
    valid: total(validations, source, true),
    executed: total(executions, source),
    executedOk: total(executions, source, true),
    answers: answered.get(source) ?? 0,
  }));
}

/** One model's calls as they are read: the figures are made of them once all are read. */
interface ModelCalls {
  model: string;
  source: string;
  calls: number;
  latencies: number[];
  inputs: number[];
  callsWithTokens: number;
  inputTokens: number;
  outputTokens: number;
  price: TokenPrice | undefined;
}

/** Calls of a model source, and how many ended in an error (timeout, provider error). */
interface CallCount {
  calls: number;
  failed: number;
}

/**
 * One pass over the period's model interactions: calls per source, usage per model, and each
 * answer scored against the golds of the training pass (readiness).
 */
async function interactionFigures(
  reader: TableReader,
  scope: PeriodScope,
  prices: Readonly<Record<string, TokenPrice>>,
  golds: ReadonlyMap<string, ReadinessGold>,
  databaseFile: string | undefined,
): Promise<{ calls: Map<string, CallCount>; models: ModelUsage[]; readiness: Readiness }> {
  const calls = new Map<string, CallCount>();
  const models = new Map<string, ModelCalls>();
  const scorer = await readinessScorer(golds, databaseFile);
  const binds = reader.binds();
  try {
    for await (const row of reader.stream(
      `SELECT QUERY_ID, REQUEST_MODEL, RESPONSE_MODEL, COALESCE(RESPONSE_MODEL, REQUEST_MODEL) AS ANSWER_MODEL,
         MODEL_SOURCE, STATUS_CODE, LATENCY_MS, INPUT_TOKENS, OUTPUT_TOKENS, GENERATED_SQL
       FROM ${AI_MODEL_INTERACTIONS.name} WHERE ${scope.condition(binds, 'QUERY_ID')}`,
      binds,
    )) {
      const model = label(row.REQUEST_MODEL);
      const source = label(row.MODEL_SOURCE);
      let call = calls.get(source);
      if (call === undefined) {
        call = { calls: 0, failed: 0 };
        calls.set(source, call);
      }
      call.calls += 1;
      if (row.STATUS_CODE === 'ERROR') call.failed += 1;

      const key = `${source}\u0000${model}`;
      let usage = models.get(key);
      if (usage === undefined) {
        usage = {
          model,
          source,
          calls: 0,
          latencies: [],
          inputs: [],
          callsWithTokens: 0,
          inputTokens: 0,
          outputTokens: 0,
          price: prices[model] ?? prices[label(row.RESPONSE_MODEL)],
        };
        models.set(key, usage);
      }
      usage.calls += 1;
      const latency = asNumber(row.LATENCY_MS);
      if (latency !== undefined) usage.latencies.push(latency);
      const input = asNumber(row.INPUT_TOKENS);
      const output = asNumber(row.OUTPUT_TOKENS);
      // A call without counts (a timeout, a provider that reports none) is left out of the token
      // figures rather than counted as 0 tokens.
      if (input !== undefined || output !== undefined) {
        usage.callsWithTokens += 1;
        usage.inputTokens += input ?? 0;
        usage.outputTokens += output ?? 0;
        if (input !== undefined) usage.inputs.push(input);
      }

      scorer.score({
        queryId: String(row.QUERY_ID),
        source: asText(row.MODEL_SOURCE),
        sql: asText(row.GENERATED_SQL)?.trim(),
        model: asText(row.ANSWER_MODEL),
      });
    }
  } finally {
    scorer.close();
  }
  return { calls, models: modelFigures(models.values()), readiness: scorer.readiness() };
}

function modelFigures(usages: Iterable<ModelCalls>): ModelUsage[] {
  return [...usages]
    .sort((a, b) => a.source.localeCompare(b.source) || a.model.localeCompare(b.model))
    .map(({ latencies, inputs, price, ...usage }) => {
      const sorted = Float64Array.from(latencies).sort();
      const sortedInputs = Float64Array.from(inputs).sort();
      const figures = {
        p50Ms: percentile(sorted, 0.5),
        p95Ms: percentile(sorted, 0.95),
        inputP50: percentile(sortedInputs, 0.5),
        inputP95: percentile(sortedInputs, 0.95),
        cost:
          price === undefined
            ? undefined
            : Math.round(
                ((usage.inputTokens * price.input + usage.outputTokens * price.output) / 1000) * 1e6,
              ) / 1e6,
      };
      return {
        ...usage,
        ...Object.fromEntries(Object.entries(figures).filter(([, value]) => value !== undefined)),
      };
    });
}

/** The `p` quantile of sorted values, interpolating between the two nearest ranks. */
export function percentile(sorted: ArrayLike<number>, p: number): number | undefined {
  return quantile(sorted.length, (rank) => sorted[rank]!, p);
}

/** `percentile` of `total` values given as distinct values and their counts, in ascending order. */
function percentileOfCounts(
  counts: readonly { readonly value: number; readonly count: number }[],
  total: number,
  p: number,
): number | undefined {
  return quantile(
    total,
    (rank) => {
      let below = 0;
      for (const { value, count } of counts) {
        below += count;
        if (rank < below) return value;
      }
      throw new RangeError(`rank ${rank} of ${total} values`);
    },
    p,
  );
}

/** The `p` quantile of `length` sorted values, `valueAt` giving the value of a rank. */
function quantile(length: number, valueAt: (rank: number) => number, p: number): number | undefined {
  if (length === 0) return undefined;
  const position = (length - 1) * p;
  const below = Math.floor(position);
  const low = valueAt(below);
  const value = low + (valueAt(Math.ceil(position)) - low) * (position - below);
  return Math.round(value * 10) / 10;
}

async function fallbackReasons(reader: TableReader, scope: PeriodScope): Promise<StatsReport['fallbacks']> {
  const binds = reader.binds();
  const rows = await reader.query(
    `SELECT REASON, SUCCEEDED, COUNT(*) AS N FROM ${AI_FALLBACK_EVENTS.name}
     WHERE ${scope.condition(binds, 'QUERY_ID')} GROUP BY REASON, SUCCEEDED`,
    binds,
  );
  return sumBy(rows, (row) => label(row.REASON)).map(([reason, n]) => ({
    reason,
    count: n,
    succeeded: rows
      .filter((row) => label(row.REASON) === reason && asBoolean(row.SUCCEEDED) === true)
      .reduce((sum, row) => sum + count(row), 0),
  }));
}

/**
 * Validation failures by the kind of their first problem: the text before its first colon
 * ("syntax error", "statement is not read-only"), which leaves out the details that differ.
 */
async function validationFailures(
  reader: TableReader,
  scope: PeriodScope,
): Promise<StatsReport['validationFailures']> {
  const binds = reader.binds();
  const failures = new Map<string, { reason: string; errorType: string; count: number }>();
  for await (const row of reader.stream(
    `SELECT ERROR_TYPE, VALIDATION_ERRORS FROM ${AI_SQL_PROCESSING.name} WHERE IS_VALID = ${binds.add(false)} AND ${scope.condition(binds, 'QUERY_ID')}`,
    binds,
  )) {
    const reason = firstProblem(asText(row.VALIDATION_ERRORS));
    const errorType = label(row.ERROR_TYPE);
    const key = `${errorType}\u0000${reason}`;
    const entry = failures.get(key) ?? { reason, errorType, count: 0 };
    entry.count += 1;
    failures.set(key, entry);
  }
  return [...failures.values()].sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}

function firstProblem(json: string | undefined): string {
  let problems: unknown;
  try {
    problems = json === undefined ? [] : JSON.parse(json);
  } catch {
    return 'unreadable validation errors';
  }
  const first = Array.isArray(problems) && typeof problems[0] === 'string' ? problems[0] : undefined;
  if (first === undefined) return 'no reason recorded';
  const colon = first.indexOf(':');
  return (colon > 0 ? first.slice(0, colon) : first).trim();
}

async function feedbackDistribution(
  reader: TableReader,
  scope: PeriodScope,
): Promise<StatsReport['feedback']> {
  const binds = reader.binds();
  const rows = await reader.query(
    `SELECT RATING, IS_CORRECT, COUNT(*) AS N FROM ${AI_USER_FEEDBACK.name}
     WHERE ${scope.condition(binds, 'QUERY_ID')} GROUP BY RATING, IS_CORRECT`,
    binds,
  );
  const correctedBinds = reader.binds();
  const [corrected] = await reader.query(
    `SELECT COUNT(*) AS N FROM ${AI_USER_FEEDBACK.name}
     WHERE CORRECTED_SQL IS NOT NULL AND ${scope.condition(correctedBinds, 'QUERY_ID')}`,
    correctedBinds,
  );
  const ratings = new Map<number, number>();
  let unrated = 0;
  for (const row of rows) {
    const rating = asNumber(row.RATING);
    if (rating === undefined) unrated += count(row);
    else ratings.set(rating, (ratings.get(rating) ?? 0) + count(row));
  }
  const judged = (value: boolean) =>
    rows.filter((row) => asBoolean(row.IS_CORRECT) === value).reduce((sum, row) => sum + count(row), 0);
  return {
    // Every rating from 1 to 5, and any other value stored.
    ratings: [...new Set([1, 2, 3, 4, 5, ...ratings.keys()])]
      .sort((a, b) => a - b)
      .map((rating) => ({ rating, count: ratings.get(rating) ?? 0 })),
    unrated,
    correct: judged(true),
    incorrect: judged(false),
    withCorrectedSql: corrected === undefined ? 0 : count(corrected),
  };
}

/**
 * Agreement where there was something to compare: selections made between two answers (not
 * `only_candidate` or `fallback`, where one model had not answered), by question category.
 */
async function agreement(reader: TableReader, scope: PeriodScope): Promise<StatsReport['agreement']> {
  const binds = reader.binds();
  const rows = await reader.query(
    `SELECT c.CATEGORY, s.SQL_AGREEMENT, COUNT(*) AS N FROM ${AI_RESPONSE_SELECTIONS.name} s
     LEFT JOIN ${AI_QUERY_CLASSIFICATIONS.name} c ON c.QUERY_ID = s.QUERY_ID
     WHERE s.STRATEGY NOT IN (${binds.add('only_candidate')}, ${binds.add('fallback')}) AND s.SQL_AGREEMENT IS NOT NULL
       AND ${scope.condition(binds, 's.QUERY_ID')}
     GROUP BY c.CATEGORY, s.SQL_AGREEMENT`,
    binds,
  );
  const agreedIn = (subset: readonly ReadRow[]) =>
    subset.filter((row) => asBoolean(row.SQL_AGREEMENT) === true).reduce((sum, row) => sum + count(row), 0);
  const byCategory = sumBy(rows, (row) => label(row.CATEGORY)).map(([category, compared]) => ({
    category,
    compared,
    agreed: agreedIn(rows.filter((row) => label(row.CATEGORY) === category)),
  }));
  return {
    compared: byCategory.reduce((sum, c) => sum + c.compared, 0),
    agreed: agreedIn(rows),
    byCategory: byCategory.sort((a, b) => a.category.localeCompare(b.category)),
  };
}

/** Sums `N` of the rows by a key, largest first. */
function sumBy(rows: readonly ReadRow[], key: (row: ReadRow) => string): [string, number][] {
  const totals = new Map<string, number>();
  for (const row of rows) totals.set(key(row), (totals.get(key(row)) ?? 0) + count(row));
  return [...totals.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}
