import { describe, expect, it } from 'vitest';
import { TextKeyed } from '../../src/export/export-dataset.js';

describe('values found by a long text', () => {
  it('finds a value by an equal text only, absent text included', () => {
    const keyed = new TextKeyed<number>();
    const context = `CREATE TABLE line (id INT);\n${'-- column notes\n'.repeat(80)}`;
    // Same length and the same characters wherever the key samples them, one character apart.
    const near = `${context.slice(0, 5)}X${context.slice(6)}`;
    keyed.set(context, 1);
    expect(keyed.get(`${context}`.slice(0))).toBe(1);
    expect(keyed.get(near)).toBeUndefined();
    keyed.set(near, 2);
    keyed.set('', 3);
    expect([keyed.get(context), keyed.get(near), keyed.get(''), keyed.get(undefined)]).toEqual([
      1,
      2,
      3,
      undefined,
    ]);
    keyed.set(undefined, 4);
    keyed.set(context, 5);
    expect([keyed.get(undefined), keyed.get(context)]).toEqual([4, 5]);
  });
});
