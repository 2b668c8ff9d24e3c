import { DiagLogLevel, diag } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ATTR_CLASSIFICATION_CATEGORY, ATTR_STAGE } from '@aitdr/conventions';
import { StageAttributeChecker } from '../src/attribute-checker.js';

const span = (attributes: ReadableSpan['attributes']) => ({ attributes }) as ReadableSpan;

describe('StageAttributeChecker', () => {
  afterEach(() => diag.disable());

  function checkerWithLog() {
    const logger = { error: vi.fn(), warn: vi.fn(), info: vi.fn(), debug: vi.fn(), verbose: vi.fn() };
    diag.setLogger(logger, DiagLogLevel.WARN);
    return { checker: new StageAttributeChecker(), warn: logger.warn };
  }

  it('reports each problem once, for spans of any origin that name a stage', () => {
    const { checker, warn } = checkerWithLog();
    checker.check([
      span({ [ATTR_STAGE]: 'classification' }),
      span({ [ATTR_STAGE]: 'classification', [ATTR_CLASSIFICATION_CATEGORY]: 7 }),
      span({ [ATTR_STAGE]: 'classification' }),
      span({ 'http.method': 'GET' }),
    ]);
    expect(warn.mock.calls.map(([message]) => String(message))).toEqual([
      '@aitdr/sdk: classification: required text_to_sql.classification.category is missing',
      '@aitdr/sdk: classification: text_to_sql.classification.category must be string, got 7',
    ]);
  });

  it('checks every early span, then samples, so a steady stream costs little', () => {
    const { checker, warn } = checkerWithLog();
    const good = span({ [ATTR_STAGE]: 'classification', [ATTR_CLASSIFICATION_CATEGORY]: 'downtime' });
    checker.check(Array.from({ length: 2048 }, () => good));
    // Past the first 2048 spans one in 64 is checked: 63 bad spans can pass unreported…
    checker.check(Array.from({ length: 63 }, () => span({ [ATTR_STAGE]: 'classification' })));
    expect(warn).not.toHaveBeenCalled();
    // …and the 64th is checked.
    checker.check([span({ [ATTR_STAGE]: 'classification' })]);
    expect(warn).toHaveBeenCalledTimes(1);
  });
});
