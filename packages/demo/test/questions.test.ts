import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COMPLEXITIES,
  DEMO_QUESTIONS,
  QUESTION_CATEGORIES,
  executeQuery,
  findQuestion,
  loadSqlParser,
  processSql,
} from '@aitdr/demo';
import type { SqlParser } from '@aitdr/demo';
import { createTemporarySampleDatabase } from './support/sample-database.js';

describe('DEMO_QUESTIONS', () => {
  const samples = [
    createTemporarySampleDatabase({ seed: 42 }),
    createTemporarySampleDatabase({ seed: 'another' }),
  ];
  let parser: SqlParser;
  beforeAll(async () => {
    parser = await loadSqlParser();
  });
  afterAll(() => samples.forEach((sample) => sample.remove()));

  it('has 30 to 40 questions with unique ids and texts, covering every category and complexity', () => {
    expect(DEMO_QUESTIONS.length).toBeGreaterThanOrEqual(30);
    expect(DEMO_QUESTIONS.length).toBeLessThanOrEqual(40);
    expect(new Set(DEMO_QUESTIONS.map((q) => q.id)).size).toBe(DEMO_QUESTIONS.length);
    expect(new Set(DEMO_QUESTIONS.map((q) => q.text.toLowerCase())).size).toBe(DEMO_QUESTIONS.length);
    expect(new Set(DEMO_QUESTIONS.map((q) => q.category))).toEqual(new Set(QUESTION_CATEGORIES));
    expect(new Set(DEMO_QUESTIONS.map((q) => q.complexity))).toEqual(new Set(COMPLEXITIES));
  });

  it('has reference SQL that passes validation and returns rows on the sample database, whatever the seed', () => {
    for (const sample of samples) {
      for (const question of DEMO_QUESTIONS) {
        const processed = processSql(question.referenceSql, parser);
        expect(processed.fields.validationErrors, question.id).toBeUndefined();
        const result = executeQuery(sample.db, processed.processedSql!);
        expect(result.errorMessage, question.id).toBeUndefined();
        expect(result.fields.returnedRows, `${question.id} (seed ${sample.summary.seed})`).toBeGreaterThan(0);
        // A NULL in the answer would mean a join or period that found nothing.
        expect(result.rows!.flat(), question.id).not.toContain(null);
      }
    }
  });

  it('finds a question by its text, ignoring case and punctuation', () => {
    expect(findQuestion('scrap RATE per shift?')?.id).toBe('scrap-rate-per-shift');
    expect(findQuestion('what is the meaning of life')).toBeUndefined();
  });
});
