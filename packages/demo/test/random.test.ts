import { describe, expect, it } from 'vitest';
import { createRng } from '@aitdr/demo';

const draws = (seed: string | number, n = 20) => {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => rng.next());
};

describe('createRng', () => {
  it('repeats its sequence for the same seed and not for another', () => {
    expect(draws(42)).toEqual(draws(42));
    expect(draws('42')).toEqual(draws(42));
    expect(draws(43)).not.toEqual(draws(42));
  });

  it('stays within the requested ranges', () => {
    const rng = createRng(1);
    const ints = Array.from({ length: 2000 }, () => rng.int(3, 7));
    expect(Math.min(...ints)).toBe(3);
    expect(Math.max(...ints)).toBe(7);
    const floats = Array.from({ length: 2000 }, () => rng.float(-1, 1));
    expect(floats.every((f) => f >= -1 && f < 1)).toBe(true);
    expect(rng.hex(24)).toMatch(/^[0-9a-f]{24}$/);
  });

  it('draws weighted choices in proportion and never a zero weight', () => {
    const rng = createRng(7);
    const counts = { a: 0, b: 0, never: 0 };
    for (let i = 0; i < 10_000; i++) counts[rng.weighted({ a: 3, b: 1, never: 0 })]++;
    expect(counts.never).toBe(0);
    expect(counts.a / counts.b).toBeGreaterThan(2.6);
    expect(counts.a / counts.b).toBeLessThan(3.4);
  });

  it('forks by label, independently of how far the parent has advanced', () => {
    const parent = createRng(42);
    const early = parent.fork('api').next();
    for (let i = 0; i < 100; i++) parent.next();
    expect(parent.fork('api').next()).toBe(early);
    expect(parent.fork('local').next()).not.toBe(early);
    expect(parent.fork(3).key).toBe('42/3');
  });

  it('shuffles to a permutation', () => {
    const items = Array.from({ length: 30 }, (_, i) => i);
    const shuffled = createRng(5).shuffle(items);
    expect(shuffled).not.toEqual(items);
    expect([...shuffled].sort((a, b) => a - b)).toEqual(items);
  });
});
