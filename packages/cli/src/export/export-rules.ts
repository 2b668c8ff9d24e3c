/**
 * The rules that turn a recorded query (a row of AI_TRAINING_EXAMPLES) into a training example,
 * one function each, as the export's README documents them: which SQL is gold, which questions
 * count as the same, and which file an example goes to.
 */
import { createHash } from 'node:crypto';
import type { ModelSource } from '@aitdr/conventions';
import type { ReadRow } from '@aitdr/exporter';
import { asBoolean, asNumber, asText } from '../store/read-values.js';

/** Where gold SQL may come from, tried in this order. */
export const GOLD_SOURCES = ['corrected', 'model'] as const;
export type GoldSource = (typeof GOLD_SOURCES)[number];

export interface GoldRules {
  /** Which sources may give the gold SQL, in order of preference. Default both. */
  readonly gold: readonly GoldSource[];
  /** Feedback with a rating at or below this counts as negative (as does `is_correct = false`). Default 2. */
  readonly negativeRating: number;
  /** Model SQL needs feedback that is not negative; without it, no feedback at all will do. Default false. */
  readonly requireFeedback: boolean;
}

export const DEFAULT_GOLD_RULES: GoldRules = {
  gold: GOLD_SOURCES,
  negativeRating: 2,
  requireFeedback: false,
};

/** Why a recorded query gave no example. */
export type SkipReason =
  | 'noQuestion'
  | 'correctionNotUsed'
  | 'noCorrection'
  | 'notExecuted'
  | 'noAnswerLink'
  | 'executionFailed'
  | 'negativeFeedback'
  | 'noFeedback';

export type GoldSql =
  | { readonly sql: string; readonly from: 'user_correction' }
  | { readonly sql: string; readonly from: 'model'; readonly source: ModelSource | undefined }
  | { readonly skip: SkipReason };

/**
 * The gold SQL of one query: the user's corrected SQL when there is one; else the SQL of the
 * model whose answer ran (the selected model's, or after a fallback the other's) when it
 * executed successfully and the latest feedback is not negative.
 */
export function goldSqlOf(row: ReadRow, rules: GoldRules): GoldSql {
  const corrected = asText(row.CORRECTED_SQL);
  if (corrected !== undefined) {
    if (rules.gold.includes('corrected')) return { sql: corrected.trim(), from: 'user_correction' };
    // A corrected query says the answer was wrong: its model SQL is no gold either.
    return { skip: 'correctionNotUsed' };
  }
  if (!rules.gold.includes('model')) return { skip: 'noCorrection' };
  const answer = asText(row.ANSWER_SQL);
  const executed = asBoolean(row.EXECUTION_SUCCESS);
  if (executed === undefined) return { skip: 'notExecuted' };
  if (!executed) return { skip: 'executionFailed' };
  // The execution ran, but names no model interaction (its link), so which SQL ran is unknown.
  if (answer === undefined) return { skip: 'noAnswerLink' };
  const rating = asNumber(row.RATING);
  const isCorrect = asBoolean(row.IS_CORRECT);
  if (isCorrect === false || (rating !== undefined && rating <= rules.negativeRating)) {
    return { skip: 'negativeFeedback' };
  }
  if (rules.requireFeedback && rating === undefined && isCorrect === undefined) return { skip: 'noFeedback' };
  const source = asText(row.ANSWER_SOURCE);
  return {
    sql: answer.trim(),
    from: 'model',
    source: source === 'api' || source === 'local' ? source : undefined,
  };
}

/**
 * A question as compared for de-duplication: Unicode-normalised (NFKC), lower case, every run of
 * characters other than letters and digits made one space. "Scrap rate per shift?" and
 * "scrap  rate per shift" are the same question.
 */
export function normalizeQuestion(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/**
 * Which file a question goes to: a hash of the seed and the normalised question, read as a
 * number in [0, 1), below the ratio means validation. Reproducible, independent of the order
 * rows arrive in, and a question (with its duplicates, when they are kept) never lands in both.
 */
export function splitOf(
  normalizedQuestion: string,
  seed: string,
  validationRatio: number,
): 'train' | 'validation' {
  const digest = createHash('sha256').update(`${seed}\u0000${normalizedQuestion}`).digest();
  return digest.readUInt32BE(0) / 2 ** 32 < validationRatio ? 'validation' : 'train';
}

/** A compact key for a normalised question, so the set of questions seen stays small. */
export function questionKey(normalizedQuestion: string): string {
  return createHash('sha256').update(normalizedQuestion).digest('base64url').slice(0, 22);
}
