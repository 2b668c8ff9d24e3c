/**
 * The rules that turn a recorded query (a row of AI_TRAINING_EXAMPLES) into a training example,
 * one function each, as the export's README documents them: which SQL is gold, which questions
 * count as the same, and which file an example goes to.
 */
import { hash } from 'node:crypto';
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
  | 'noAnswerSql'
  | 'executionFailed'
  | 'negativeFeedback'
  | 'noFeedback'
  | 'noSchemaContext';

/** How the export's summary and the stats report name each reason a query gave no example. */
export const SKIP_REASON_LABELS: Readonly<Record<SkipReason | 'duplicate', string>> = {
  duplicate: 'duplicate questions',
  noQuestion: 'no question text',
  correctionNotUsed: 'corrected, but corrections not used',
  noCorrection: 'no corrected SQL',
  notExecuted: 'no SQL ran',
  noAnswerLink: 'SQL ran, but its execution links to no model interaction',
  noAnswerSql: 'SQL ran, but the model interaction it links to recorded no generated SQL',
  executionFailed: 'SQL failed to run',
  negativeFeedback: 'negative feedback',
  noFeedback: 'no feedback',
  noSchemaContext: 'no schema context',
};

/**
 * The version of these rules, in the manifest and the dataset ID: raised whenever a rule changes
 * what an export of the same store writes.
 */
export const RULES_VERSION = 2;

/** What to do with a query recorded without schema context. */
export const MISSING_SCHEMA_MODES = ['skip', 'no-schema-prompt'] as const;
export type MissingSchemaMode = (typeof MISSING_SCHEMA_MODES)[number];

/**
 * The schema context of an example: the one the models were given; without one, the query is
 * skipped (`skip`, the default: the instructions promise a schema) or written with instructions
 * that do not mention a schema (`no-schema-prompt`).
 */
export function schemaContextOf(
  row: ReadRow,
  mode: MissingSchemaMode,
): { readonly schema: string | undefined } | { readonly skip: 'noSchemaContext' } {
  const schema = asText(row.SCHEMA_CONTEXT);
  if (schema === undefined && mode === 'skip') return { skip: 'noSchemaContext' };
  return { schema };
}

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
  // The execution ran, but names no model interaction (its link), or one that recorded no SQL.
  if (answer === undefined)
    return { skip: asText(row.ANSWER_INTERACTION_ID) === undefined ? 'noAnswerLink' : 'noAnswerSql' };
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
 * How people open a question before asking it: a greeting ("Hi!", "Hello,") and a short lead-in
 * ending in a colon ("Quick question:", "For the morning meeting:"). They say nothing about the
 * task, so two questions differing only there are the same question.
 */
const OPENING =
  /^\s*(?:(?:hi|hello|hey|good (?:morning|afternoon|evening))\b[\s,!.]*)?(?:[^:?\n]{1,40}:\s+)?/iu;

/**
 * A question as compared for de-duplication, grouping and the leakage check: its opening dropped,
 * Unicode-normalised (NFKC), lower case, every run of characters other than letters and digits
 * made one space. "Quick question: scrap rate per shift?" and "Scrap  rate per shift" are the same
 * question.
 */
export function normalizeQuestion(text: string): string {
  const normalized = text.normalize('NFKC');
  const withoutOpening = normalized.replace(OPENING, '');
  return (withoutOpening.trim() === '' ? normalized : withoutOpening)
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/**
 * Which file a group goes to: a hash of the seed and the group's key, read as a number in
 * [0, 1), below the ratio means validation. Reproducible, independent of the order rows arrive in.
 */
export function splitOf(groupKey: string, seed: string, validationRatio: number): 'train' | 'validation' {
  const digest = hash('sha256', `${seed}\u0000${groupKey}`, 'buffer');
  return digest.readUInt32BE(0) / 2 ** 32 < validationRatio ? 'validation' : 'train';
}

/**
 * A compact key for a normalised question or SQL text, so the sets of keys stay small. One-shot
 * `hash` (the same digest): a Hash object per row cost 2-3 times as much, once per row read.
 */
export function textKey(normalized: string): string {
  return hash('sha256', normalized, 'base64url').slice(0, 22);
}

/** A natural preference pair in the recorded data: the better SQL for a prompt, and a worse one. */
export interface PreferencePair {
  readonly rule: PairRule;
  readonly chosen: string;
  readonly rejected: string;
}

/** The rules that find pairs; each is one function below. */
export type PairRule = 'userCorrection' | 'modelDisagreement';

/**
 * A user's correction: the corrected SQL (chosen) against the model SQL it replaced (rejected),
 * which is the SQL that ran, else the selected model's. None when the two are the same SQL
 * (`sameSql`), or when corrections are not gold.
 */
export function correctionPairOf(
  row: ReadRow,
  rules: GoldRules,
  sameSql: (a: string, b: string) => boolean,
): PreferencePair | undefined {
  const corrected = asText(row.CORRECTED_SQL)?.trim();
  const replaced = (asText(row.ANSWER_SQL) ?? asText(row.GENERATED_SQL))?.trim();
  if (corrected === undefined || replaced === undefined || !rules.gold.includes('corrected'))
    return undefined;
  if (sameSql(corrected, replaced)) return undefined;
  return { rule: 'userCorrection', chosen: corrected, rejected: replaced };
}

/** One model's answer to a query, and what became of its SQL. */
export interface ModelAnswer {
  readonly interactionId: string;
  readonly source: string | undefined;
  readonly sql: string | undefined;
  /** Its SQL failed validation, or ran and failed. */
  readonly failed: boolean;
}

/**
 * An API/local disagreement: the gold rule took one model's SQL (it ran and was not rated down);
 * the other model's different SQL failed validation or execution. Chosen: the gold SQL; rejected:
 * the failed one. Feedback rates only the answer that ran, so an answer rated down has no
 * accepted rival here; it makes a pair only through the user's correction.
 */
export function disagreementPairOf(
  gold: GoldSql,
  answers: readonly ModelAnswer[],
  sameSql: (a: string, b: string) => boolean,
): PreferencePair | undefined {
  if ('skip' in gold || gold.from !== 'model' || gold.source === undefined) return undefined;
  const rival = answers.find(
    (answer) =>
      answer.source !== undefined &&
      answer.source !== gold.source &&
      answer.failed &&
      answer.sql !== undefined &&
      !sameSql(answer.sql, gold.sql),
  );
  return rival?.sql === undefined
    ? undefined
    : { rule: 'modelDisagreement', chosen: gold.sql, rejected: rival.sql.trim() };
}
