import { describe, expect, it } from 'vitest';
import type { ReadRow } from '@aitdr/exporter';
import {
  correctionPairOf,
  DEFAULT_GOLD_RULES,
  disagreementPairOf,
  goldSqlOf,
  normalizeQuestion,
  schemaContextOf,
  splitOf,
} from '../../src/export/export-rules.js';
import { assignGroups, checkLeakage, LeakageError } from '../../src/export/intent-groups.js';

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
    // It names one, but that interaction recorded no SQL: say that instead.
    [{ EXECUTION_SUCCESS: 1, ANSWER_SQL: null, ANSWER_INTERACTION_ID: 'aaaaaaaaaaaaaaaa' }, 'noAnswerSql'],
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

  it('drops the openings people put before a question', () => {
    for (const text of [
      'Quick question: scrap rate per shift?',
      'For the morning meeting: scrap rate per shift',
      'Hi! Scrap rate per shift',
      'Hello, one more: scrap rate per shift',
      'One more: Scrap rate per shift',
    ]) {
      expect(normalizeQuestion(text), text).toBe('scrap rate per shift');
    }
    // A question that is all opening keeps its words.
    expect(normalizeQuestion('Hi!')).toBe('hi');
    expect(normalizeQuestion('Downtime: which line stopped most?')).toBe('which line stopped most');
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

describe('schemaContextOf', () => {
  it('skips a query without schema context, or keeps it without one on request', () => {
    expect(schemaContextOf(row({ SCHEMA_CONTEXT: 'CREATE TABLE t (a INT)' }), 'skip')).toEqual({
      schema: 'CREATE TABLE t (a INT)',
    });
    expect(schemaContextOf(row({ SCHEMA_CONTEXT: null }), 'skip')).toEqual({ skip: 'noSchemaContext' });
    expect(schemaContextOf(row({ SCHEMA_CONTEXT: '  ' }), 'skip')).toEqual({ skip: 'noSchemaContext' });
    expect(schemaContextOf(row({ SCHEMA_CONTEXT: null }), 'no-schema-prompt')).toEqual({ schema: undefined });
  });
});

describe('preference pairs', () => {
  const same = (a: string, b: string) => a.replace(/\s+/g, ' ').trim() === b.replace(/\s+/g, ' ').trim();

  it('pairs a correction with the SQL it replaced: the answer that ran, else the selected one', () => {
    expect(correctionPairOf(row({ CORRECTED_SQL: 'SELECT 2', RATING: 1 }), DEFAULT_GOLD_RULES, same)).toEqual(
      { rule: 'userCorrection', chosen: 'SELECT 2', rejected: 'SELECT 1' },
    );
    expect(
      correctionPairOf(
        row({ CORRECTED_SQL: 'SELECT 2', ANSWER_SQL: null, GENERATED_SQL: 'SELECT 3' }),
        DEFAULT_GOLD_RULES,
        same,
      ),
    ).toMatchObject({ rejected: 'SELECT 3' });
    expect(correctionPairOf(row({ CORRECTED_SQL: 'SELECT  1' }), DEFAULT_GOLD_RULES, same)).toBeUndefined();
    expect(correctionPairOf(row({}), DEFAULT_GOLD_RULES, same)).toBeUndefined();
    expect(
      correctionPairOf(row({ CORRECTED_SQL: 'SELECT 2' }), { ...DEFAULT_GOLD_RULES, gold: ['model'] }, same),
    ).toBeUndefined();
  });

  it('pairs the accepted answer with the other model’s different SQL that failed', () => {
    const gold = goldSqlOf(row({ ANSWER_SOURCE: 'api', ANSWER_SQL: 'SELECT 1' }), DEFAULT_GOLD_RULES);
    const local = { interactionId: 'b', source: 'local', sql: 'SELECT x', failed: true };
    expect(disagreementPairOf(gold, [local], same)).toEqual({
      rule: 'modelDisagreement',
      chosen: 'SELECT 1',
      rejected: 'SELECT x',
    });
    expect(disagreementPairOf(gold, [{ ...local, failed: false }], same)).toBeUndefined();
    expect(disagreementPairOf(gold, [{ ...local, sql: 'SELECT  1' }], same)).toBeUndefined();
    expect(disagreementPairOf(gold, [{ ...local, source: 'api' }], same)).toBeUndefined();
    expect(disagreementPairOf(gold, [{ ...local, sql: undefined }], same)).toBeUndefined();
    // An answer rated down is no gold: no pair without a correction.
    const ratedDown = goldSqlOf(row({ ANSWER_SOURCE: 'api', RATING: 1 }), DEFAULT_GOLD_RULES);
    expect(disagreementPairOf(ratedDown, [local], same)).toBeUndefined();
  });
});

describe('assignGroups', () => {
  it('keeps examples sharing a question or a gold SQL, even through others, in one group and file', () => {
    const items = [
      { questionKey: 'q1', sqlKey: 's1' },
      { questionKey: 'q2', sqlKey: 's1' }, // other words, same SQL
      { questionKey: 'q2', sqlKey: 's2' }, // same question, other SQL
      { questionKey: 'q3', sqlKey: 's3' },
    ];
    for (const seed of ['1', '2', '3', '4', '5']) {
      const assigned = assignGroups(items, seed, 0.5);
      expect(new Set(assigned.slice(0, 3).map((a) => a.group)).size).toBe(1);
      expect(new Set(assigned.slice(0, 3).map((a) => a.split)).size).toBe(1);
      expect(assigned[3]!.group).not.toBe(assigned[0]!.group);
      // The group's name does not depend on the order the items come in.
      expect(assignGroups([...items].reverse(), seed, 0.5).reverse()).toEqual(assigned);
    }
  });

  it("names a group by its smallest name: a question's (q:) before any SQL's (s:), then by key", () => {
    const groups = assignGroups(
      [
        { questionKey: 'q2', sqlKey: 'a1' },
        { questionKey: 'q1', sqlKey: 'a1' },
        { questionKey: 'z', sqlKey: 'a' },
      ],
      'seed',
      0.5,
    ).map((a) => a.group);
    expect(groups).toEqual(['q:q1', 'q:q1', 'q:z']);
  });
});

describe('checkLeakage', () => {
  it('counts nothing for a clean split and throws when a question or a gold SQL is in both files', () => {
    expect(
      checkLeakage([
        { questionKey: 'q1', sqlKey: 's1', split: 'train' },
        { questionKey: 'q2', sqlKey: 's2', split: 'validation' },
      ]),
    ).toEqual({ sharedGoldSql: 0, sharedQuestions: 0 });
    const leaky = () =>
      checkLeakage([
        { questionKey: 'q1', sqlKey: 's1', split: 'train' },
        { questionKey: 'q2', sqlKey: 's1', split: 'validation' },
        { questionKey: 'q3', sqlKey: 's3', split: 'train' },
        { questionKey: 'q3', sqlKey: 's4', split: 'validation' },
      ]);
    expect(leaky).toThrow(LeakageError);
    expect(leaky).toThrow(
      'leakage between train and validation: 1 gold SQL and 1 normalised questions are in both; nothing was written',
    );
  });
});
