import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  ATTR_CLASSIFICATION_CATEGORY,
  ATTR_CLASSIFICATION_CONFIDENCE,
  STAGE_NAMES,
  STAGES,
  assignStageFields,
} from '@aitdr/conventions';
import type { AttributeSpec } from '@aitdr/conventions';
import { writeStageFields } from '../src/stage-fields.js';
import { evalTsModule } from '../../../test/support/child-process.js';

/** A value of the spec's type, distinct per field so a value written under another key shows. */
function valueFor(spec: AttributeSpec, index: number): string | number | boolean | string[] {
  switch (spec.type) {
    case 'int':
      return index;
    case 'double':
      return index + 0.5;
    case 'boolean':
      return index % 2 === 0;
    case 'string[]':
      return [`item ${index}`];
    default:
      return `value "${index}"`;
  }
}

describe('writeStageFields', () => {
  for (const stage of STAGE_NAMES) {
    const specs = Object.entries(STAGES[stage].fields as Readonly<Record<string, AttributeSpec>>);

    it(`writes ${stage}'s fields as the conventions do, in the same order`, () => {
      // Every field given, in reverse order, plus an unknown one and a prior attribute.
      const all = Object.fromEntries(
        specs.map(([field, spec], index) => [field, valueFor(spec, index)] as const).reverse(),
      );
      const fields: Record<string, unknown> = { ...all, notAField: 'ignored' };
      const expected = Object.entries(assignStageFields(stage, fields, { prior: 1 }));
      expect(Object.entries(writeStageFields(stage, fields, { prior: 1 }))).toEqual(expected);
      expect(expected).toHaveLength(specs.length + 1);
    });

    it(`leaves out ${stage}'s undefined and null fields`, () => {
      const fields = Object.fromEntries(
        specs.map(([field, spec], index) => [field, [undefined, null, valueFor(spec, index)][index % 3]]),
      );
      const target = {};
      expect(writeStageFields(stage, fields, target)).toBe(target);
      expect(Object.entries(target)).toEqual(Object.entries(assignStageFields(stage, fields, {})));
    });
  }

  it('reads fields through getters and the prototype chain, as property reads do', () => {
    const fields = Object.create({ category: 'from the prototype' }) as { confidence?: number };
    Object.defineProperty(fields, 'confidence', { get: () => 0.75, enumerable: false });
    expect(writeStageFields('classification', fields, {})).toEqual({
      [ATTR_CLASSIFICATION_CATEGORY]: 'from the prototype',
      [ATTR_CLASSIFICATION_CONFIDENCE]: 0.75,
    });
  });

  it("reads a plain object's enumerable fields, getters and a null prototype included", () => {
    const base = { category: 'c' };
    // A spread with a member added: V8 gives each such object a map of its own.
    const spread = {
      ...base,
      get confidence() {
        return 0.25;
      },
    };
    const bare = Object.assign(Object.create(null) as object, { category: 'n', classifier: undefined });
    expect(writeStageFields('classification', spread, {})).toEqual({
      [ATTR_CLASSIFICATION_CATEGORY]: 'c',
      [ATTR_CLASSIFICATION_CONFIDENCE]: 0.25,
    });
    expect(writeStageFields('classification', bare, {})).toEqual({ [ATTR_CLASSIFICATION_CATEGORY]: 'n' });
  });

  it('falls back to the generic loop where code generation is disallowed', () => {
    const module = fileURLToPath(new URL('../src/stage-fields.ts', import.meta.url));
    const script = `const { writeStageFields } = await import(${JSON.stringify(module)});
      console.log(JSON.stringify(writeStageFields('classification', { category: 'c', confidence: 0.5 }, {})));`;
    const output = evalTsModule(script, ['--disallow-code-generation-from-strings']);
    expect(JSON.parse(output)).toEqual({
      [ATTR_CLASSIFICATION_CATEGORY]: 'c',
      [ATTR_CLASSIFICATION_CONFIDENCE]: 0.5,
    });
  });
});
