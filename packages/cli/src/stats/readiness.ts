/**
 * Local model readiness: how often each model's SQL matches the gold SQL (the export's default
 * rule), per category and per week and model version; with a database to run both on, how often
 * their results match too. A model is never scored against gold that is its own answer (gold from
 * the API's answer scores the local model, and the other way round; users' corrections score both).
 */
import type Database from 'better-sqlite3';
import { executeQuery, openSampleDatabase, sameResult } from '@aitdr/demo';
import type { ResultRow } from '@aitdr/demo';
import { AI_TRAINING_QUERIES, TRAINING_EXAMPLES_VIEW } from '@aitdr/schema';
import type { ReadRow, TableReader } from '@aitdr/exporter';
import { sqlComparer } from '../export/export-dataset.js';
import { DEFAULT_GOLD_RULES, goldSqlOf } from '../export/export-rules.js';
import { streamScoredAnswers } from '../export/recorded-answers.js';
import type { RecordedAnswer } from '../export/recorded-answers.js';
import { asText } from '../store/read-values.js';
import type { Rate } from './rates.js';
import type { PeriodScope } from './period.js';

export interface ReadinessCell {
  readonly source: string;
  /** Compared with gold: normalised SQL text equal. */
  readonly textMatch: Rate;
  /** Run on the database: same rows (column names and order aside). Absent without a database. */
  readonly resultMatch?: Rate;
}

export interface Readiness {
  /** The database the results were compared on, if any. */
  readonly database?: string;
  readonly byCategory: readonly (ReadinessCell & { readonly category: string })[];
  /** Per ISO week (`2026-W48`) of the question, per source and model (version). */
  readonly byWeek: readonly (ReadinessCell & { readonly week: string; readonly model: string })[];
}

/** The ISO-8601 week of an instant: `2026-W48` (weeks start on Monday; week 1 holds January 4th). */
export function isoWeek(iso: string): string {
  const date = new Date(iso);
  const day = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  const weekday = day.getUTCDay() === 0 ? 7 : day.getUTCDay();
  day.setUTCDate(day.getUTCDate() + 4 - weekday); // the Thursday of its week decides the year
  const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((day.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${day.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

/**
 * `isoWeek`, remembered per UTC day: a store's questions fall on few days, and parsing each
 * question's time was a sizeable part of the stats' pass over the queries. Only UTC text (the
 * readers' `…Z`) is remembered by its day; other text is computed each time.
 */
export function isoWeekByDay(): (iso: string) => string {
  const weeks = new Map<string, string>();
  return (iso) => {
    if (!iso.endsWith('Z') || iso[10] !== 'T') return isoWeek(iso);
    const day = iso.slice(0, 10);
    let week = weeks.get(day);
    if (week === undefined) weeks.set(day, (week = isoWeek(iso)));
    return week;
  };
}

interface Tally {
  compared: number;
  textMatches: number;
  ran: number;
  resultMatches: number;
}

/** A query's gold SQL, as readiness compares the models' answers with it. */
export interface ReadinessGold {
  readonly sql: string;
  /** `user_correction`, or the source of the model whose SQL is gold (`(none)`: unknown). */
  readonly from: string;
  readonly category: string;
  readonly week: string | undefined;
}

/** The gold of one row of AI_TRAINING_EXAMPLES under the export's default rules, if it has one. */
export function readinessGoldOf(
  row: ReadRow,
  /** Returns one copy of equal texts: a store's golds repeat their SQL, categories and weeks. */
  once: (text: string) => string = (text) => text,
  weekOf: (iso: string) => string = isoWeek,
): ReadinessGold | undefined {
  const gold = goldSqlOf(row, DEFAULT_GOLD_RULES);
  if ('skip' in gold) return undefined;
  const time = asText(row.QUERY_TIME);
  return {
    sql: once(gold.sql),
    from: gold.from === 'user_correction' ? gold.from : (gold.source ?? '(none)'),
    category: once(asText(row.CATEGORY) ?? '(none)'),
    week: time === undefined ? undefined : once(weekOf(time)),
  };
}

/** A function giving one copy of equal texts, remembering up to `limit` of them. */
export function textPool(limit = 100_000): (text: string) => string {
  const texts = new Map<string, string>();
  return (text) => {
    const known = texts.get(text);
    if (known !== undefined) return known;
    if (texts.size < limit) texts.set(text, text);
    return text;
  };
}

export async function collectReadiness(
  reader: TableReader,
  scope: PeriodScope,
  databaseFile?: string,
): Promise<Readiness> {
  const golds = new Map<string, ReadinessGold>();
  const binds = reader.binds();
  for await (const row of reader.stream(
    `SELECT QUERY_ID, QUERY_TIME, CATEGORY, CORRECTED_SQL, ANSWER_SQL, ANSWER_SOURCE, GENERATED_SQL,
       EXECUTION_SUCCESS, RATING, IS_CORRECT FROM ${TRAINING_EXAMPLES_VIEW} WHERE ${scope.condition(binds, 'QUERY_ID')}`,
    binds,
  )) {
    const gold = readinessGoldOf(row);
    if (gold !== undefined) golds.set(String(row.QUERY_ID), gold);
  }
  return scoreReadiness(golds, readPeriodAnswers(reader, scope), databaseFile);
}

/**
 * The model answers of the period's queries that can be scored or paired: with SQL and a known
 * source (readiness skips the others, and so does a disagreement pair).
 */
export function readPeriodAnswers(reader: TableReader, scope: PeriodScope): AsyncIterable<RecordedAnswer> {
  const periodic = scope.period.from !== undefined || scope.period.until !== undefined;
  return streamScoredAnswers(
    reader,
    periodic
      ? (idBinds) =>
          `SELECT QUERY_ID FROM ${AI_TRAINING_QUERIES.name} WHERE ${scope.condition(idBinds, 'QUERY_ID')}`
      : undefined,
  );
}

/**
 * Scores each answer against its query's gold (never against its own model's answer), as the
 * answers stream by: the tallies are sums, so the order does not matter and no answer is kept.
 */
export async function scoreReadiness(
  golds: ReadonlyMap<string, ReadinessGold>,
  answers: AsyncIterable<RecordedAnswer>,
  databaseFile?: string,
): Promise<Readiness> {
  const scorer = await readinessScorer(golds, databaseFile);
  try {
    for await (const answer of answers) scorer.score(answer);
  } finally {
    scorer.close();
  }
  return scorer.readiness();
}

/** Scores answers one at a time, as another pass over the interactions reads them. */
export interface ReadinessScorer {
  /** Tallies one answer; answers without SQL, source or gold, or with their own gold, count for nothing. */
  score(answer: Omit<RecordedAnswer, 'interactionId' | 'failed'>): void;
  /** Closes the database the results run on; call it once scoring is over, also on failure. */
  close(): void;
  readiness(): Readiness;
}

export async function readinessScorer(
  golds: ReadonlyMap<string, ReadinessGold>,
  databaseFile?: string,
): Promise<ReadinessScorer> {
  const sql = await sqlComparer();
  const database = databaseFile === undefined ? undefined : openSampleDatabase(databaseFile);
  const run = database === undefined ? undefined : resultRunner(database);
  const byCategory = new Map<string, Tally>();
  const byWeek = new Map<string, Tally>();
  const tally = (map: Map<string, Tally>, key: string) => {
    let entry = map.get(key);
    if (entry === undefined) {
      entry = { compared: 0, textMatches: 0, ran: 0, resultMatches: 0 };
      map.set(key, entry);
    }
    return entry;
  };
  const cell = (source: string, t: Tally): ReadinessCell => ({
    source,
    textMatch: { successes: t.textMatches, n: t.compared },
    ...(run === undefined ? {} : { resultMatch: { successes: t.resultMatches, n: t.ran } }),
  });
  const sorted = <T>(map: Map<string, T>) => [...map.entries()].sort(([a], [b]) => a.localeCompare(b));
  return {
    score(answer) {
      const gold = golds.get(answer.queryId);
      if (gold === undefined) return;
      if (answer.sql === undefined || answer.source === undefined || answer.source === gold.from) return;
      const textMatch = sql.same(answer.sql, gold.sql);
      const resultMatch = run === undefined ? undefined : textMatch || run.same(gold.sql, answer.sql);
      const entries = [tally(byCategory, `${answer.source}\u0000${gold.category}`)];
      if (gold.week !== undefined) {
        entries.push(tally(byWeek, `${gold.week}\u0000${answer.source}\u0000${answer.model ?? '(none)'}`));
      }
      for (const entry of entries) {
        entry.compared += 1;
        if (textMatch) entry.textMatches += 1;
        if (resultMatch !== undefined) entry.ran += 1;
        if (resultMatch === true) entry.resultMatches += 1;
      }
    },
    close() {
      database?.close();
    },
    readiness() {
      return {
        ...(databaseFile === undefined ? {} : { database: databaseFile }),
        byCategory: sorted(byCategory).map(([key, t]) => {
          const [source, category] = key.split('\u0000') as [string, string];
          return { category, ...cell(source, t) };
        }),
        byWeek: sorted(byWeek).map(([key, t]) => {
          const [week, source, model] = key.split('\u0000') as [string, string, string];
          return { week, model, ...cell(source, t) };
        }),
      };
    },
  };
}

/** Runs SQL on the (read-only) database, each gold SQL once; SQL that fails matches nothing. */
function resultRunner(database: Database.Database) {
  const results = new Map<string, readonly ResultRow[] | undefined>();
  const rows = (text: string) => {
    if (!results.has(text)) results.set(text, executeQuery(database, text).rows);
    return results.get(text);
  };
  return {
    same(gold: string, answer: string): boolean {
      const expected = rows(gold);
      const actual = rows(answer);
      return expected !== undefined && actual !== undefined && sameResult(expected, actual);
    },
  };
}
