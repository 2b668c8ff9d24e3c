import type { UserFeedbackFields } from '@aitdr/conventions';
import type Database from 'better-sqlite3';
import { executeQuery } from './execution.js';
import type { ResultRow } from './execution.js';
import type { DemoQuestion } from './questions.js';
import type { Rng } from './random.js';
import type { SqlParser } from './sql/sql-parser.js';
import { processSql } from './sql/sql-processing.js';
import type { SqlProcessingOptions } from './sql/sql-processing.js';

/** How an answer compares with the reference answer on the sample database. */
export type AnswerJudgement = 'correct' | 'incorrect' | 'failed';

/** Feedback as the user gives it; the query ID is added by whoever records it. */
export type SimulatedFeedback = Omit<UserFeedbackFields, 'queryId'> & {
  readonly rating: number;
  readonly isCorrect: boolean;
  readonly submittedAt: string;
};

/** Rows of the question's reference SQL, run through the same processing as model SQL. */
export function referenceRows(
  db: Database.Database,
  parser: SqlParser,
  question: DemoQuestion,
  options: SqlProcessingOptions = {},
): readonly ResultRow[] {
  const processed = processSql(question.referenceSql, parser, options);
  if (processed.processedSql === undefined) {
    throw new Error(
      `reference SQL of ${question.id} is invalid: ${processed.fields.validationErrors?.join('; ')}`,
    );
  }
  const result = executeQuery(db, processed.processedSql);
  if (result.rows === undefined)
    throw new Error(`reference SQL of ${question.id} failed: ${result.errorMessage}`);
  return result.rows;
}

/** Numbers equal to 6 decimals count as equal: SUM/AVG orderings differ in the last bits. */
function rowKey(row: ResultRow): string {
  return JSON.stringify(
    row.map((value) => (typeof value === 'number' ? Math.round(value * 1e6) / 1e6 : value)),
  );
}

/**
 * Whether two results hold the same rows, column names and row order aside: an equivalent query
 * may alias columns differently or order ties differently and still be right.
 */
export function sameResult(expected: readonly ResultRow[], actual: readonly ResultRow[]): boolean {
  if (expected.length !== actual.length) return false;
  const keys = expected.map(rowKey).sort();
  const actualKeys = actual.map(rowKey).sort();
  return keys.every((key, i) => key === actualKeys[i]);
}

/** Judges an answer: failed when no rows came back, else correct when they match the reference. */
export function judgeAnswer(
  answerRows: readonly ResultRow[] | undefined,
  reference: readonly ResultRow[],
): AnswerJudgement {
  if (answerRows === undefined) return 'failed';
  return sameResult(reference, answerRows) ? 'correct' : 'incorrect';
}

export interface FeedbackOptions {
  /** When the answer was shown; feedback comes 1 to 180 minutes later. */
  answeredAt: Date;
  username?: string;
  /** Chance that the user gives feedback at all, per judgement. Unhappy users speak up more. */
  feedbackChance?: Readonly<Record<AnswerJudgement, number>>;
}

const DEFAULT_FEEDBACK_CHANCE: Readonly<Record<AnswerJudgement, number>> = {
  correct: 0.55,
  incorrect: 0.8,
  failed: 0.85,
};

/** Rating weights per judgement, as users actually rate: mostly by outcome, with noise. */
const RATING_WEIGHTS: Readonly<
  Record<AnswerJudgement, Readonly<Record<'1' | '2' | '3' | '4' | '5', number>>>
> = {
  correct: { '1': 0, '2': 2, '3': 8, '4': 30, '5': 60 },
  incorrect: { '1': 30, '2': 40, '3': 22, '4': 8, '5': 0 },
  failed: { '1': 65, '2': 30, '3': 5, '4': 0, '5': 0 },
};

/** Users do not always notice: a wrong answer that looks plausible is sometimes accepted. */
const MISJUDGED_CHANCE: Readonly<Record<AnswerJudgement, number>> = {
  correct: 0.03,
  incorrect: 0.12,
  failed: 0,
};

const COMMENTS: Readonly<Record<AnswerJudgement, readonly string[]>> = {
  correct: ['exactly what I needed', 'matches the shift report', 'thanks, numbers look right', 'good'],
  incorrect: [
    'numbers do not match the shift report',
    'wrong time period',
    'this is not what I asked for',
    'totals look too high',
    'missing some lines',
  ],
  failed: ['the query failed', 'got an error instead of an answer', 'no result'],
};

/**
 * Simulated user feedback for one answer, deterministic for a given `rng`: a rating correlated
 * with the judgement, whether the user thinks it is correct, sometimes the corrected SQL (the
 * reference) and a comment. Undefined when this user gives no feedback.
 */
export function simulateFeedback(
  judgement: AnswerJudgement,
  question: DemoQuestion,
  rng: Rng,
  options: FeedbackOptions,
): SimulatedFeedback | undefined {
  const chance = (options.feedbackChance ?? DEFAULT_FEEDBACK_CHANCE)[judgement];
  if (!rng.chance(chance)) return undefined;

  const misjudged = rng.chance(MISJUDGED_CHANCE[judgement]);
  const seemsCorrect = (judgement === 'correct') !== misjudged;
  let rating = Number(rng.weighted(RATING_WEIGHTS[judgement]));
  if (misjudged) rating = seemsCorrect ? 4 : rng.int(2, 3);

  const submittedAt = new Date(options.answeredAt.getTime() + rng.int(1, 180) * 60_000).toISOString();
  const correctedSql = !seemsCorrect && rng.chance(0.55) ? question.referenceSql : undefined;
  const comment = rng.chance(0.4) ? rng.pick(COMMENTS[seemsCorrect ? 'correct' : judgement]) : undefined;
  return {
    rating,
    isCorrect: seemsCorrect,
    submittedAt,
    ...(correctedSql !== undefined ? { correctedSql } : {}),
    ...(comment !== undefined ? { comment } : {}),
    ...(options.username !== undefined ? { username: options.username } : {}),
  };
}
