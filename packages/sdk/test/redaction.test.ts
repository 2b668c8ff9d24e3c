import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import {
  ATTR_DB_QUERY_TEXT,
  ATTR_EXECUTION_RESULT_SAMPLE,
  ATTR_FEEDBACK_CORRECTED_SQL,
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_MODEL_GENERATED_SQL,
  ATTR_QUERY_TEXT,
  ATTR_SESSION_ID,
  ATTR_STAGE,
  ATTR_USER_NAME,
} from '@aitdr/conventions';
import { RedactingSpanExporter, SpanRedactor } from '@aitdr/sdk';
import { bufferedProvider, RecordingExporter } from './helpers.js';

const redactQuery = (redactor: SpanRedactor, text: string) =>
  redactor.redactAttributes({ [ATTR_QUERY_TEXT]: text })[ATTR_QUERY_TEXT];

afterEach(() => diag.disable());

describe('SpanRedactor', () => {
  describe('built-in rules', () => {
    const redactor = new SpanRedactor({});

    it.each([
      ['mail ann.lee+ops@plant-3.example.co.uk today', 'mail [REDACTED:email] today'],
      ['call +44 20 7946 0958 now', 'call [REDACTED:phone] now'],
      ['call (555) 123-4567 now', 'call [REDACTED:phone] now'],
      ['call 555-123-4567 or 030 1234 5678', 'call [REDACTED:phone] or [REDACTED:phone]'],
      ['card 4111 1111 1111 1111 was charged', 'card [REDACTED:digits] was charged'],
      ['account 1234567890123456', 'account [REDACTED:digits]'],
    ])('redacts %j', (text, expected) => {
      expect(redactQuery(redactor, text)).toBe(expected);
    });

    it.each([
      'show downtime for line 3 between 2026-01-01 and 2026-03-31',
      'top 10 machines by output in 2025, order 123456',
      'efficiency above 0.95 for shift 2 at 10:30',
    ])('leaves %j alone', (text) => {
      expect(redactQuery(redactor, text)).toBe(text);
    });

    it('applies only the rules asked for', () => {
      const emailOnly = new SpanRedactor({ rules: ['email'] });
      expect(redactQuery(emailOnly, 'ann@example.com 555-123-4567')).toBe('[REDACTED:email] 555-123-4567');
    });
  });

  it('redacts inside JSON attributes value by value, so the JSON stays valid', () => {
    const redactor = new SpanRedactor({});
    const input = JSON.stringify([
      { role: 'user', parts: [{ type: 'text', content: 'orders of bo@example.com' }] },
    ]);
    const sample = JSON.stringify([['bo@example.com', 4111111111111111, 42]]);
    const redacted = redactor.redactAttributes({
      [ATTR_GEN_AI_INPUT_MESSAGES]: input,
      [ATTR_GEN_AI_OUTPUT_MESSAGES]: 'not json, bo@example.com',
      [ATTR_EXECUTION_RESULT_SAMPLE]: sample,
    });
    expect(JSON.parse(redacted[ATTR_GEN_AI_INPUT_MESSAGES] as string)).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'orders of [REDACTED:email]' }] },
    ]);
    expect(redacted[ATTR_GEN_AI_OUTPUT_MESSAGES]).toBe('not json, [REDACTED:email]');
    expect(JSON.parse(redacted[ATTR_EXECUTION_RESULT_SAMPLE] as string)).toEqual([
      ['[REDACTED:email]', '[REDACTED:digits]', 42],
    ]);
  });

  it('redacts SQL only when configured', () => {
    const attributes = {
      [ATTR_MODEL_GENERATED_SQL]: "SELECT * FROM USERS WHERE EMAIL = 'ann@example.com'",
      [ATTR_DB_QUERY_TEXT]: "SELECT * FROM USERS WHERE EMAIL = 'ann@example.com'",
      [ATTR_FEEDBACK_CORRECTED_SQL]: "SELECT 1 FROM USERS WHERE EMAIL = 'ann@example.com'",
    };
    expect(new SpanRedactor({}).redactAttributes(attributes)).toBe(attributes);
    expect(Object.values(new SpanRedactor({ sql: true }).redactAttributes(attributes))).toEqual([
      "SELECT * FROM USERS WHERE EMAIL = '[REDACTED:email]'",
      "SELECT * FROM USERS WHERE EMAIL = '[REDACTED:email]'",
      "SELECT 1 FROM USERS WHERE EMAIL = '[REDACTED:email]'",
    ]);
  });

  it('keeps, hashes (sha256 of salt and name) or drops usernames', () => {
    const attributes = { [ATTR_USER_NAME]: 'jsmith', [ATTR_SESSION_ID]: 'sess-7f3a' };
    expect(new SpanRedactor({}).redactAttributes(attributes)).toBe(attributes);
    expect(
      new SpanRedactor({ usernames: 'hash', usernameSalt: 'pepper' }).redactAttributes(attributes),
    ).toEqual({
      [ATTR_USER_NAME]: createHash('sha256').update('pepperjsmith').digest('hex'),
      [ATTR_SESSION_ID]: 'sess-7f3a',
    });
    expect(new SpanRedactor({ usernames: 'drop' }).redactAttributes(attributes)).toEqual({
      [ATTR_SESSION_ID]: 'sess-7f3a',
    });
  });

  it('applies configured patterns, then the custom function with the attribute and stage', () => {
    const custom = vi.fn((text: string) => text.replace('Plant 7', '[SITE]'));
    const redactor = new SpanRedactor({
      rules: [],
      patterns: [/EMP-\d+/, { pattern: /badge \w+/gi, replacement: 'badge [ID]' }],
      custom,
    });
    const redacted = redactor.redactAttributes({
      [ATTR_STAGE]: 'query',
      [ATTR_QUERY_TEXT]: 'hours of EMP-1042 and EMP-77 with Badge X9 at Plant 7',
    });
    expect(redacted[ATTR_QUERY_TEXT]).toBe('hours of [REDACTED] and [REDACTED] with badge [ID] at [SITE]');
    expect(custom).toHaveBeenCalledWith('hours of [REDACTED] and [REDACTED] with badge [ID] at Plant 7', {
      key: ATTR_QUERY_TEXT,
      stage: 'query',
    });
  });

  it('replaces a value by a marker when the custom function throws, and reports it once', () => {
    const logger = { error: vi.fn(), warn: vi.fn(), info: vi.fn(), debug: vi.fn(), verbose: vi.fn() };
    diag.setLogger(logger, DiagLogLevel.ERROR);
    const redactor = new SpanRedactor({
      custom: () => {
        throw new Error('bug');
      },
    });
    expect(redactQuery(redactor, 'secret one')).toBe('[REDACTION FAILED]');
    expect(redactQuery(redactor, 'secret two')).toBe('[REDACTION FAILED]');
    expect(logger.error).toHaveBeenCalledTimes(1);
  });
});

describe('RedactingSpanExporter', () => {
  it('hands redacted copies to the exporter it wraps', async () => {
    const inner = new RecordingExporter();
    const { processor, provider } = bufferedProvider({
      exporter: new RedactingSpanExporter(inner, new SpanRedactor({})),
    });
    provider
      .getTracer('test')
      .startSpan('q', { attributes: { [ATTR_QUERY_TEXT]: 'ann@example.com' } })
      .end();
    await processor.forceFlush();
    expect(inner.calls.flat().map((span) => span.attributes[ATTR_QUERY_TEXT])).toEqual(['[REDACTED:email]']);
  });
});
