import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  ATTR_CLASSIFICATION_CATEGORY,
  ATTR_CLASSIFICATION_CONFIDENCE,
  ATTR_MODEL_SOURCE,
  ATTR_STAGE,
  ATTR_VALIDATION_ERRORS,
  STAGE_ATTRIBUTE_REGISTRY,
  STAGE_NAMES,
  STAGES,
  stageOf,
  stageSpanName,
  toStageAttributes,
  validateStageAttributes,
} from '@aitdr/conventions';
import type {
  ClassificationAttributes,
  ClassificationFields,
  ModelInteractionFields,
  SqlProcessingFields,
} from '@aitdr/conventions';

describe('stage definitions', () => {
  it('define all nine stages, each with a distinct span name', () => {
    expect(STAGE_NAMES).toHaveLength(9);
    const names = STAGE_NAMES.map((stage) => STAGES[stage].spanName);
    expect(new Set(names).size).toBe(9);
  });

  it('keep project attributes in the one text_to_sql namespace and reuse semantic conventions', () => {
    const foreign = STAGE_ATTRIBUTE_REGISTRY.map((entry) => entry.spec.key).filter(
      (key) => !/^(text_to_sql|gen_ai|db|error|session|user)\./.test(key),
    );
    expect(foreign).toEqual([]);
    const keys = new Set(STAGE_ATTRIBUTE_REGISTRY.map((entry) => entry.spec.key));
    for (const semconv of [
      'gen_ai.operation.name',
      'gen_ai.provider.name',
      'gen_ai.request.model',
      'gen_ai.request.temperature',
      'gen_ai.request.max_tokens',
      'gen_ai.response.model',
      'gen_ai.response.finish_reasons',
      'gen_ai.usage.input_tokens',
      'gen_ai.usage.output_tokens',
      'gen_ai.input.messages',
      'gen_ai.output.messages',
      'error.type',
      'db.system.name',
      'db.namespace',
      'db.query.text',
      'db.operation.name',
      'db.response.status_code',
      'db.response.returned_rows',
      'session.id',
      'user.id',
    ]) {
      expect(keys.has(semconv), semconv).toBe(true);
    }
  });

  it('give every attribute an example that matches its own type', () => {
    for (const { stage, spec } of STAGE_ATTRIBUTE_REGISTRY) {
      const problems = validateStageAttributes(stage, { [spec.key]: spec.example as never }).filter(
        (problem) => problem.key === spec.key,
      );
      expect(problems, `${stage} ${spec.key}`).toEqual([]);
    }
  });
});

describe('toStageAttributes', () => {
  it('maps camelCase fields to attribute keys and names the stage', () => {
    const attributes = toStageAttributes('classification', {
      category: 'downtime',
      confidence: 0.8,
      complexity: undefined,
    });
    expect(attributes).toEqual({
      [ATTR_STAGE]: 'classification',
      [ATTR_CLASSIFICATION_CATEGORY]: 'downtime',
      [ATTR_CLASSIFICATION_CONFIDENCE]: 0.8,
    });
    expect(stageOf(attributes)).toBe('classification');
  });

  it('keeps arrays as arrays', () => {
    const attributes = toStageAttributes('sql_processing', {
      originalSql: 'DELETE FROM LINES',
      isValid: false,
      validationErrors: ['statement is not read-only: DELETE'],
    });
    expect(attributes[ATTR_VALIDATION_ERRORS]).toEqual(['statement is not read-only: DELETE']);
  });
});

describe('stage types', () => {
  it('require required fields and narrow closed value sets', () => {
    expectTypeOf<ClassificationFields>().toHaveProperty('category').toEqualTypeOf<string>();
    expectTypeOf<ClassificationFields['confidence']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<ModelInteractionFields['source']>().toEqualTypeOf<'api' | 'local'>();
    expectTypeOf<SqlProcessingFields['validationErrors']>().toEqualTypeOf<readonly string[] | undefined>();
    expectTypeOf<ClassificationAttributes>()
      .toHaveProperty(ATTR_CLASSIFICATION_CATEGORY)
      .toEqualTypeOf<string>();
    expectTypeOf<ClassificationAttributes[typeof ATTR_STAGE]>().toEqualTypeOf<'classification'>();
    // @ts-expect-error category is required
    const missing: ClassificationFields = { confidence: 1 };
    // @ts-expect-error source is api or local
    const wrongSource: Pick<ModelInteractionFields, 'source'> = { source: 'cloud' };
    void missing;
    void wrongSource;
  });
});

describe('stageOf', () => {
  it('is undefined for spans that name no known stage', () => {
    expect(stageOf({})).toBeUndefined();
    expect(stageOf({ [ATTR_STAGE]: 'http' })).toBeUndefined();
    expect(stageOf({ [ATTR_STAGE]: 7 })).toBeUndefined();
  });
});

describe('stageSpanName', () => {
  it('names model interactions as the GenAI conventions ask', () => {
    expect(
      stageSpanName('model_interaction', {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o',
      }),
    ).toBe('chat gpt-4o');
    expect(stageSpanName('model_interaction')).toBe('text_to_sql.model_interaction');
    expect(stageSpanName('execution')).toBe('text_to_sql.execution');
  });
});

describe('validateStageAttributes', () => {
  it('reports missing required attributes, wrong types and values outside a closed set', () => {
    const problems = validateStageAttributes('model_interaction', {
      [ATTR_MODEL_SOURCE]: 'cloud',
      'gen_ai.request.model': 7,
      'gen_ai.usage.input_tokens': 1.5,
    });
    expect(problems.map((p) => [p.key, p.problem])).toEqual([
      [ATTR_MODEL_SOURCE, 'unknown_value'],
      ['gen_ai.operation.name', 'missing'],
      ['gen_ai.provider.name', 'missing'],
      ['gen_ai.request.model', 'wrong_type'],
      ['gen_ai.usage.input_tokens', 'wrong_type'],
    ]);
    expect(problems[0]?.message).toContain('must be one of api, local');
  });

  it('accepts attributes the stage does not know', () => {
    expect(
      validateStageAttributes('classification', { [ATTR_CLASSIFICATION_CATEGORY]: 'x', 'app.custom': 1 }),
    ).toEqual([]);
  });
});
