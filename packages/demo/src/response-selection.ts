import type { ModelSource, ResponseSelectionFields } from '@aitdr/conventions';
import type { ModelCallError } from './models/sql-model.js';
import type { SqlParser } from './sql/sql-parser.js';
import { normalizeSql } from './sql/sql-normalizer.js';

/** One model's answer to a question, or how its call failed. */
export interface Candidate {
  readonly source: ModelSource;
  readonly model: string;
  readonly sql?: string;
  readonly error?: ModelCallError;
}

export type SelectionStrategy = 'preferred' | 'highest_score';

export interface SelectionOptions {
  /** Source chosen when the models disagree (strategy `preferred`). Default `api`. */
  preferredSource?: ModelSource;
  /** `preferred` (default): the preferred source wins a disagreement; `highest_score`: the best score does. */
  strategy?: SelectionStrategy;
}

export interface Selection {
  readonly fields: ResponseSelectionFields;
  readonly selected: Candidate;
  /** The candidate not chosen, when it produced SQL: what a fallback can turn to. */
  readonly alternative?: Candidate;
}

/** How much each source is trusted before anything is known about its answer. */
const SOURCE_PRIOR: Readonly<Record<ModelSource, number>> = { api: 0.9, local: 0.75 };
const AGREEMENT_BONUS = 0.1;
/** An answer the parser cannot read is unlikely to be right. */
const UNPARSABLE_FACTOR = 0.3;

/**
 * Chooses which model's SQL to use. Equal normalised SQL is agreement; otherwise the preferred
 * source (or the higher score) wins; a failed call leaves the other as the only candidate, and
 * when the preferred source failed that choice is a fallback. Returns undefined when both failed.
 */
export function selectResponse(
  candidates: readonly [Candidate, Candidate],
  parser: SqlParser,
  options: SelectionOptions = {},
): Selection | undefined {
  const preferredSource = options.preferredSource ?? 'api';
  const strategy = options.strategy ?? 'preferred';
  const answered = candidates.filter((c) => c.sql !== undefined);
  if (answered.length === 0) return undefined;

  const agreement =
    answered.length === 2 &&
    normalizeSql(answered[0]!.sql!, parser) === normalizeSql(answered[1]!.sql!, parser);
  const scores = Object.fromEntries(
    candidates.map((c) => [c.source, scoreCandidate(c, agreement, parser)]),
  ) as Record<ModelSource, number>;
  const candidateScores = JSON.stringify(scores);

  if (answered.length === 1) {
    const only = answered[0]!;
    const failed = candidates.find((c) => c !== only)!;
    const failure = failed.error?.errorType ?? 'no answer';
    const fallback = failed.source === preferredSource;
    return {
      selected: only,
      fields: {
        selectedSource: only.source,
        strategy: fallback ? 'fallback' : 'only_candidate',
        reason: fallback
          ? `${failed.source} model failed (${failure}); fell back to the ${only.source} model`
          : `${failed.source} model failed (${failure}); the ${only.source} model is the only candidate`,
        candidateScores,
        sqlAgreement: false,
      },
    };
  }

  let selected: Candidate;
  let fieldsStrategy: ResponseSelectionFields['strategy'];
  let reason: string;
  if (agreement) {
    selected = answered.find((c) => c.source === preferredSource) ?? answered[0]!;
    fieldsStrategy = 'agreement';
    reason = 'both models produced the same SQL';
  } else if (strategy === 'highest_score' && scores.api !== scores.local) {
    selected =
      scores.api > scores.local
        ? answered.find((c) => c.source === 'api')!
        : answered.find((c) => c.source === 'local')!;
    fieldsStrategy = 'highest_score';
    reason = `the models disagree; the ${selected.source} answer scored higher`;
  } else {
    selected = answered.find((c) => c.source === preferredSource) ?? answered[0]!;
    fieldsStrategy = preferredSource === 'api' ? 'api_preferred' : 'local_preferred';
    reason = `the models disagree; the ${preferredSource} model is preferred`;
  }
  return {
    selected,
    alternative: answered.find((c) => c !== selected),
    fields: {
      selectedSource: selected.source,
      strategy: fieldsStrategy,
      reason,
      candidateScores,
      sqlAgreement: agreement,
    },
  };
}

function scoreCandidate(candidate: Candidate, agreement: boolean, parser: SqlParser): number {
  if (candidate.sql === undefined) return 0;
  let score = SOURCE_PRIOR[candidate.source] + (agreement ? AGREEMENT_BONUS : 0);
  try {
    parser.parse(candidate.sql);
  } catch {
    score *= UNPARSABLE_FACTOR;
  }
  return Math.round(Math.min(1, score) * 100) / 100;
}
