import type { ClassificationFields } from '@aitdr/conventions';
import { normalizeQuestion } from './questions.js';
import type { Complexity, QuestionCategory } from './questions.js';

export const CLASSIFIER_NAME = 'keyword-rules-v1';

/** Category given to a question no rule matches. */
export const UNKNOWN_CATEGORY = 'other';

export type ClassificationResult = ClassificationFields & {
  readonly category: QuestionCategory | typeof UNKNOWN_CATEGORY;
  readonly confidence: number;
  readonly complexity: Complexity;
  readonly classifier: string;
};

type Rule = readonly [pattern: RegExp, weight: number];

const CATEGORY_RULES: Readonly<Record<QuestionCategory, readonly Rule[]>> = {
  production_efficiency: [
    [/\befficien/, 3],
    [/\boee\b/, 3],
    [/\bperformance\b|\bunderperform/, 2],
    [/\b(against|versus|vs) plan\b|\btarget\b/, 1.5],
  ],
  production_volume: [
    [/\boutput\b|\bthroughput\b/, 2],
    [/\bunits?\b|\bproduced\b|\bmade\b/, 1.5],
    [/\bruns?\b|\bvolume\b/, 1.5],
    [/\bvalue\b/, 1],
  ],
  downtime: [
    [/\bdowntime\b|\bstoppages?\b|\bbreakdowns?\b|\boutages?\b/, 3],
    [/\bfailures?\b|\bmaintenance\b|\bstopped\b/, 2],
    [/\btime lost\b|\blost time\b|\blost to\b/, 2],
    [/\breasons?\b/, 1],
  ],
  quality: [
    [/\bscrap|\bdefect|\bquality\b|\byield\b/, 3],
    [/\breject|\brework/, 2],
    [/\binspections?\b|\bchecks?\b/, 1.5],
  ],
  workforce: [
    [/\boperators?\b|\binspectors?\b|\bsupervisors?\b|\bstaff\b|\bpeople\b|\bworkers?\b|\bcrews?\b/, 2.5],
    // People as the subject ("which operators", "per inspector") outweigh what they are measured by.
    [/\b(which|per|each|by|every) (lead )?(operators?|inspectors?|supervisors?|workers?)\b/, 3],
    [/\bwho\b/, 1],
  ],
};

const DIMENSIONS: readonly RegExp[] = [
  /\bplants?\b|\bdetroit\b|\bmonterrey\b|\bstuttgart\b/,
  /\blines?\b/,
  /\bshifts?\b|\bnight\b|\bday shift\b/,
  /\bproducts?\b|\bfamily\b/,
  /\boperators?\b|\binspectors?\b/,
  /\breasons?\b/,
];
const TIME_SERIES = /\btrends?\b|\bdaily\b|\bweekly\b|\b(per|by|each) (day|week|month)\b|\bover time\b/;
const COMPARISON =
  /\bcompare\b|\bversus\b|\bvs\b|\brank\b|\babove\b|\bbelow\b|\bat least\b|\bmore than\b|\bpercentage\b|\bshare\b|\bworst\b|\bwithin each\b/;
const RANKING = /\btop \d+\b|\bhighest\b|\blowest\b|\bmost\b|\bleast\b|\blongest\b|\bbest\b/;
const RATIO = /\befficien|\brate\b|\byield\b|\bpercentage\b|\baverage\b|\bshare\b/;

/**
 * Classifies a question by weighted keyword rules: the category with the highest score wins; the
 * confidence grows with the winner's margin over the runner-up and with the evidence found.
 * Complexity is estimated from what the SQL will need (joins, time series, comparisons, ranking,
 * ratios).
 */
export function classifyQuestion(question: string): ClassificationResult {
  const text = normalizeQuestion(question);
  const scores = (Object.entries(CATEGORY_RULES) as [QuestionCategory, readonly Rule[]][])
    .map(([category, rules]) => ({
      category,
      score: rules.reduce((sum, [pattern, weight]) => sum + (pattern.test(text) ? weight : 0), 0),
    }))
    .sort((a, b) => b.score - a.score);
  const [best, runnerUp] = [scores[0]!, scores[1]!];
  const complexity = estimateComplexity(text);
  if (best.score === 0) {
    return { category: UNKNOWN_CATEGORY, confidence: 0, complexity, classifier: CLASSIFIER_NAME };
  }
  const margin = (best.score - runnerUp.score) / best.score;
  const evidence = Math.min(1, best.score / 6);
  const confidence = Math.round((0.4 + 0.35 * margin + 0.25 * evidence) * 100) / 100;
  return { category: best.category, confidence, complexity, classifier: CLASSIFIER_NAME };
}

/** One point per thing the SQL will need: a join, a second join, a time series, a comparison, a ranking, a ratio. */
function estimateComplexity(text: string): Complexity {
  const dimensions = DIMENSIONS.filter((pattern) => pattern.test(text)).length;
  const points =
    Math.min(dimensions, 2) +
    [TIME_SERIES, COMPARISON, RANKING, RATIO].filter((pattern) => pattern.test(text)).length;
  if (points <= 1) return 'simple';
  if (points <= 3) return 'moderate';
  return 'complex';
}
