import { describe, expect, it } from 'vitest';
import { fitValue, hrTimeToIso, normalizeIsoTimestamp } from '../../src/mapping/values.js';

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

describe('fitValue for an ID column', () => {
  const spanId = { kind: 'id', length: 16 } as const;

  it('keeps a lower-case ID, lower-cases an upper-case one, refuses anything else', () => {
    expect(fitValue(spanId, '00f067aa0ba902b7')).toBe('00f067aa0ba902b7');
    expect(fitValue(spanId, '00F067AA0BA902B7')).toBe('00f067aa0ba902b7');
    expect(fitValue(spanId, '00f067aa0ba902b')).toBeUndefined();
    expect(fitValue(spanId, '00f067aa0ba902bg')).toBeUndefined();
    expect(fitValue(spanId, 42)).toBeUndefined();
  });
});
