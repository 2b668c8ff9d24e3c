import { describe, expect, it } from 'vitest';
import type { ReadRow } from '@aitdr/exporter';
import { DEFAULT_GOLD_RULES, goldSqlOf, normalizeQuestion, splitOf } from '../../src/export/export-rules.js';

/** A row of AI_TRAINING_EXAMPLES as SQLite reads it (booleans 0/1). */
const row = (values: Partial<Record<string, string | number | boolean | null>>): ReadRow => ({
  QUERY_TEXT: 'Scrap rate per shift',
  ANSWER_SQL: ' SELECT 1 ',
  ANSWER_SOURCE: 'local',
  EXECUTION_SUCCESS: 1,
  RATING: null,
  IS_CORRECT: null,
  CORRECTED_SQL: null,
  ...values,
});

describe('goldSqlOf', () => {
  it('prefers the user’s corrected SQL, whatever the answer did', () => {
    expect(
      goldSqlOf(row({ CORRECTED_SQL: 'SELECT 2', EXECUTION_SUCCESS: 0, RATING: 1 }), DEFAULT_GOLD_RULES),
    ).toEqual({
      sql: 'SELECT 2',
      from: 'user_correction',
    });
  });

  it('takes the answer’s SQL when it ran and the feedback is not negative', () => {
    expect(goldSqlOf(row({}), DEFAULT_GOLD_RULES)).toEqual({
      sql: 'SELECT 1',
      from: 'model',
      source: 'local',
    });
    expect(goldSqlOf(row({ RATING: 3, IS_CORRECT: true }), DEFAULT_GOLD_RULES)).toMatchObject({
      from: 'model',
    });
    // PostgreSQL reads booleans as booleans: the same rules apply.
    expect(goldSqlOf(row({ EXECUTION_SUCCESS: true, IS_CORRECT: true }), DEFAULT_GOLD_RULES)).toMatchObject({
      from: 'model',
    });
  });

  it.each([
    [{ EXECUTION_SUCCESS: 0 }, 'executionFailed'],
    [{ EXECUTION_SUCCESS: false }, 'executionFailed'],
    [{ EXECUTION_SUCCESS: null, ANSWER_SQL: null }, 'notExecuted'],
    [{ EXECUTION_SUCCESS: null }, 'notExecuted'],
    // SQL ran, but the execution row names no interaction: say so, not "no SQL ran".
    [{ EXECUTION_SUCCESS: 1, ANSWER_SQL: null }, 'noAnswerLink'],
    [{ RATING: 2 }, 'negativeFeedback'],
    [{ RATING: 5, IS_CORRECT: 0 }, 'negativeFeedback'],
  ])('gives no gold for %j (%s)', (values, reason) => {
    expect(goldSqlOf(row(values), DEFAULT_GOLD_RULES)).toEqual({ skip: reason });
  });

  it('follows the configured rules', () => {
    const onlyCorrections = { ...DEFAULT_GOLD_RULES, gold: ['corrected'] as const };
    expect(goldSqlOf(row({}), onlyCorrections)).toEqual({ skip: 'noCorrection' });
    const onlyModels = { ...DEFAULT_GOLD_RULES, gold: ['model'] as const };
    expect(goldSqlOf(row({ CORRECTED_SQL: 'SELECT 2' }), onlyModels)).toEqual({ skip: 'correctionNotUsed' });
    const strict = { ...DEFAULT_GOLD_RULES, negativeRating: 3, requireFeedback: true };
    expect(goldSqlOf(row({}), strict)).toEqual({ skip: 'noFeedback' });
    expect(goldSqlOf(row({ RATING: 3 }), strict)).toEqual({ skip: 'negativeFeedback' });
    expect(goldSqlOf(row({ RATING: 4 }), strict)).toMatchObject({ from: 'model' });
  });
});

describe('normalizeQuestion', () => {
  it('ignores case, punctuation and spacing, in any script', () => {
    expect(normalizeQuestion('  Scrap rate, per SHIFT?')).toBe('scrap rate per shift');
    expect(normalizeQuestion('Ausschussquote je Schicht – Überblick!')).toBe(
      'ausschussquote je schicht überblick',
    );
    expect(normalizeQuestion('ｓｃｒａｐ ｒａｔｅ')).toBe('scrap rate');
  });
});

describe('splitOf', () => {
  const questions = Array.from({ length: 4000 }, (_, i) => `question number ${i}`);

  it('puts about the ratio in validation, the same way every time', () => {
    const validation = questions.filter((q) => splitOf(q, '42', 0.1) === 'validation');
    expect(validation.length).toBeGreaterThan(340);
    expect(validation.length).toBeLessThan(460);
    expect(questions.filter((q) => splitOf(q, '42', 0.1) === 'validation')).toEqual(validation);
    expect(questions.filter((q) => splitOf(q, '7', 0.1) === 'validation')).not.toEqual(validation);
  });

  it('keeps the validation set stable as the ratio grows: a larger ratio only adds questions', () => {
    const small = new Set(questions.filter((q) => splitOf(q, '42', 0.1) === 'validation'));
    const large = questions.filter((q) => splitOf(q, '42', 0.3) === 'validation');
    expect([...small].every((q) => large.includes(q))).toBe(true);
    expect(questions.every((q) => splitOf(q, '42', 0) === 'train')).toBe(true);
  });
});
