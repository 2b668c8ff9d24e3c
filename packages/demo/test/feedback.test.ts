import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stageProblems } from './support/stage-fields.js';
import {
  DEMO_QUESTIONS,
  createRng,
  judgeAnswer,
  loadSqlParser,
  referenceRows,
  sameResult,
  simulateFeedback,
} from '@aitdr/demo';
import type { AnswerJudgement, SimulatedFeedback, SqlParser } from '@aitdr/demo';
import { createTemporarySampleDatabase } from './support/sample-database.js';

const answeredAt = new Date('2026-10-01T09:00:00.000Z');
const question = DEMO_QUESTIONS.find((q) => q.id === 'scrap-rate-per-shift')!;

function feedbackFor(judgement: AnswerJudgement, n = 2000): SimulatedFeedback[] {
  const root = createRng('feedback');
  return Array.from({ length: n }, (_, i) =>
    simulateFeedback(judgement, question, root.fork(i), { answeredAt }),
  ).filter((f): f is SimulatedFeedback => f !== undefined);
}
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

describe('judging answers', () => {
  const sample = createTemporarySampleDatabase();
  let parser: SqlParser;
  beforeAll(async () => {
    parser = await loadSqlParser();
  });
  afterAll(() => sample.remove());

  it('compares rows regardless of order, with numbers equal to 6 decimals', () => {
    expect(
      sameResult(
        [
          [1, 'a'],
          [2, 'b'],
        ],
        [
          [2, 'b'],
          [1, 'a'],
        ],
      ),
    ).toBe(true);
    expect(sameResult([[0.1 + 0.2]], [[0.3]])).toBe(true);
    expect(
      sameResult(
        [[1, 'a']],
        [
          [1, 'a'],
          [1, 'a'],
        ],
      ),
    ).toBe(false);
    expect(sameResult([[1, 'a']], [[1, 'b']])).toBe(false);
  });

  it('judges against the reference rows on the sample database', () => {
    const reference = referenceRows(sample.db, parser, question);
    expect(reference).toHaveLength(3);
    expect(judgeAnswer([...reference].reverse(), reference)).toBe('correct');
    expect(judgeAnswer(reference.slice(1), reference)).toBe('incorrect');
    expect(judgeAnswer(undefined, reference)).toBe('failed');
  });
});

describe('simulateFeedback', () => {
  it('rates correct answers high and wrong or failed ones low', () => {
    const correct = feedbackFor('correct');
    const incorrect = feedbackFor('incorrect');
    const failed = feedbackFor('failed');
    expect(mean(correct.map((f) => f.rating))).toBeGreaterThan(4);
    expect(mean(incorrect.map((f) => f.rating))).toBeLessThan(2.6);
    expect(mean(failed.map((f) => f.rating))).toBeLessThan(1.6);
    for (const f of [...correct, ...incorrect, ...failed]) expect([1, 2, 3, 4, 5]).toContain(f.rating);
  });

  it('mostly agrees with the judgement on correctness, as a user would', () => {
    const correct = feedbackFor('correct');
    const incorrect = feedbackFor('incorrect');
    expect(correct.filter((f) => f.isCorrect).length / correct.length).toBeGreaterThan(0.94);
    const fooled = incorrect.filter((f) => f.isCorrect).length / incorrect.length;
    expect(fooled).toBeGreaterThan(0.05);
    expect(fooled).toBeLessThan(0.2);
    expect(feedbackFor('failed').every((f) => !f.isCorrect)).toBe(true);
  });

  it('gives the reference SQL as a correction only for answers the user thinks are wrong, about half the time', () => {
    const wrong = feedbackFor('incorrect').filter((f) => !f.isCorrect);
    const corrected = wrong.filter((f) => f.correctedSql !== undefined);
    expect(corrected.length / wrong.length).toBeGreaterThan(0.45);
    expect(corrected.length / wrong.length).toBeLessThan(0.65);
    expect(corrected.every((f) => f.correctedSql === question.referenceSql)).toBe(true);
    expect(feedbackFor('correct').filter((f) => f.isCorrect && f.correctedSql !== undefined)).toEqual([]);
  });

  it('is given more often for bad answers, later than the answer, deterministically by seed', () => {
    expect(feedbackFor('failed').length).toBeGreaterThan(feedbackFor('correct').length * 1.3);
    for (const f of feedbackFor('incorrect', 200)) {
      const delay = Date.parse(f.submittedAt) - answeredAt.getTime();
      expect(delay).toBeGreaterThanOrEqual(60_000);
      expect(delay).toBeLessThanOrEqual(180 * 60_000);
    }
    expect(feedbackFor('incorrect', 300)).toEqual(feedbackFor('incorrect', 300));
  });

  it('produces user_feedback fields once the query ID is added', () => {
    const withComment = feedbackFor('incorrect').find(
      (f) => f.comment !== undefined && f.correctedSql !== undefined,
    )!;
    const fields = { ...withComment, queryId: '4bf92f3577b34da6a3ce929d0e0e4736', username: 'jsmith' };
    expect(stageProblems('user_feedback', fields)).toEqual([]);
  });
});
