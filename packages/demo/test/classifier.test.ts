import { describe, expect, it } from 'vitest';
import { stageProblems } from './support/stage-fields.js';
import { CLASSIFIER_NAME, DEMO_QUESTIONS, classifyQuestion } from '@aitdr/demo';

describe('classifyQuestion', () => {
  it('puts the demo questions in their categories', () => {
    const right = DEMO_QUESTIONS.filter((q) => classifyQuestion(q.text).category === q.category);
    expect(right.length / DEMO_QUESTIONS.length).toBeGreaterThanOrEqual(0.9);
  });

  it('estimates complexity close to the reference labels', () => {
    const right = DEMO_QUESTIONS.filter((q) => classifyQuestion(q.text).complexity === q.complexity);
    expect(right.length / DEMO_QUESTIONS.length).toBeGreaterThanOrEqual(0.6);
  });

  it.each([
    ['how many breakdowns did MTY-L2 have in August', 'downtime'],
    ['reject rate by product family', 'quality'],
    ['which supervisors have the most experienced crews', 'workforce'],
    ['OEE of the paint lines', 'production_efficiency'],
    ['total output of brake calipers', 'production_volume'],
  ])('classifies an unseen phrasing: %s', (question, category) => {
    expect(classifyQuestion(question).category).toBe(category);
  });

  it('is unsure of questions that match no rule', () => {
    expect(classifyQuestion('what is the weather in Detroit')).toMatchObject({
      category: 'other',
      confidence: 0,
    });
  });

  it('is more confident when the evidence is one-sided', () => {
    const clear = classifyQuestion('scrap rate and defect rate and yield per line');
    const mixed = classifyQuestion('downtime and scrap per line');
    expect(clear.confidence).toBeGreaterThan(mixed.confidence);
    expect(clear.confidence).toBeLessThanOrEqual(1);
    expect(mixed.confidence).toBeGreaterThan(0);
  });

  it('grades complexity from simple to complex', () => {
    expect(classifyQuestion('How many units were produced in the last 7 days?').complexity).toBe('simple');
    expect(classifyQuestion('Total downtime minutes by line').complexity).toBe('simple');
    expect(classifyQuestion('Rank the lines by efficiency within each plant').complexity).toBe('complex');
  });

  it('returns valid classification stage fields', () => {
    const fields = classifyQuestion('scrap rate per shift');
    expect(fields.classifier).toBe(CLASSIFIER_NAME);
    expect(stageProblems('classification', fields)).toEqual([]);
  });
});
