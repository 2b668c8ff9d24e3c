import { describe, expect, it } from 'vitest';
import { hrTimeToIso, normalizeIsoTimestamp } from '../../src/mapping/values.js';

describe('hrTimeToIso', () => {
  it('keeps microseconds, truncating nanoseconds', () => {
    expect(hrTimeToIso([1764057600, 123456789])).toBe('2025-11-25T08:00:00.123456Z');
    expect(hrTimeToIso([1764057600, 999])).toBe('2025-11-25T08:00:00.000000Z');
  });

  it('carries a nanosecond overflow and drops fractions', () => {
    expect(hrTimeToIso([1764057600, 1_000_000_500])).toBe('2025-11-25T08:00:01.000000Z');
    expect(hrTimeToIso([1764057600.7, 5000.9])).toBe('2025-11-25T08:00:00.000005Z');
  });

  it('formats consecutive seconds each with its own second', () => {
    expect(hrTimeToIso([1764057600, 0])).toBe('2025-11-25T08:00:00.000000Z');
    expect(hrTimeToIso([1764057601, 0])).toBe('2025-11-25T08:00:01.000000Z');
    expect(hrTimeToIso([1764057600, 0])).toBe('2025-11-25T08:00:00.000000Z');
  });
});

describe('normalizeIsoTimestamp', () => {
  it('keeps the portable form, and refuses impossible dates in it', () => {
    expect(normalizeIsoTimestamp('2025-11-25T08:00:00.123456Z')).toBe('2025-11-25T08:00:00.123456Z');
    expect(normalizeIsoTimestamp('2025-02-31T08:00:00.123456Z')).toBeUndefined();
    expect(normalizeIsoTimestamp('2025-11-25T24:00:00.000000Z')).toBeUndefined();
  });

  it('turns other ISO-8601 forms with a zone into the portable form', () => {
    expect(normalizeIsoTimestamp('2025-11-25T09:30:00.5+01:00')).toBe('2025-11-25T08:30:00.500000Z');
    expect(normalizeIsoTimestamp('2025-11-25 08:00:00Z')).toBe('2025-11-25T08:00:00.000000Z');
    expect(normalizeIsoTimestamp('2025-11-25T08:00:00')).toBeUndefined();
  });
});
