import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { evalTsModule } from '../../../test/support/child-process.js';
import { generatedOr } from '../src/generated-code.js';

const module = fileURLToPath(new URL('../src/generated-code.ts', import.meta.url));

/** What `generatedOr` gives in a Node.js started with `flags`: the generated function's answer or the fallback's. */
function answerIn(flags: readonly string[]): string {
  const script = `const { generatedOr } = await import(${JSON.stringify(module)});
    const made = generatedOr(() => 'fallback', 'return () => "generated " + _;', '_', 'with its argument');
    console.log(made());`;
  return evalTsModule(script, flags);
}

describe('generatedOr', () => {
  it('makes the function from its source, given the argument', () => {
    const add = generatedOr<(n: number) => number>(() => NaN, 'return (n) => n + step;', 'step', 2);
    expect(add(40)).toBe(42);
  });

  it('falls back where code generation is disallowed', () => {
    expect(answerIn([])).toBe('generated with its argument');
    expect(answerIn(['--disallow-code-generation-from-strings'])).toBe('fallback');
  });
});
