/**
 * Redaction before export. It works on copies handed to an exporter, never on the live spans,
 * so other span processors (and the application) still see what was recorded.
 */
import { createHash } from 'node:crypto';
import { diag } from '@opentelemetry/api';
import type { Attributes, AttributeValue } from '@opentelemetry/api';
import type { ExportResult, ReadableSpan, SpanExporter } from '@aitdr/conventions';
import {
  ATTR_DB_QUERY_TEXT,
  ATTR_EXECUTION_RESULT_SAMPLE,
  ATTR_FEEDBACK_COMMENT,
  ATTR_FEEDBACK_CORRECTED_SQL,
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_MODEL_GENERATED_SQL,
  ATTR_QUERY_TEXT,
  ATTR_SQL_ORIGINAL,
  ATTR_SQL_PROCESSED,
  ATTR_USER_NAME,
  stageOf,
} from '@aitdr/conventions';
import type { RedactedAttribute, RedactionOptions, RedactionRule, UsernameHandling } from './types.js';

interface Replacement {
  readonly pattern: RegExp;
  readonly replacement: string;
}

/**
 * The built-in rules. Deliberately conservative heuristics: `digits` takes runs of 12 to 19
 * digits (card, account and long ID numbers, spaces or dashes allowed between groups) and runs
 * before `phone`, which takes international numbers (`+` and 7 or more digits) and grouped
 * national ones such as `(555) 123-4567`, `555-123-4567` or `030 1234 5678`, but not dates.
 */
const BUILT_IN_RULES: Readonly<Record<RedactionRule, Replacement>> = {
  email: {
    pattern: /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g,
    replacement: '[REDACTED:email]',
  },
  digits: { pattern: /(?<![\d.+])\d(?:[ -]?\d){11,18}(?![\d.])/g, replacement: '[REDACTED:digits]' },
  phone: {
    pattern:
      /\+\d{1,3}[\s.-]?(?:\(\d{1,4}\)[\s.-]?)?\d{1,4}(?:[\s.-]?\d{2,4}){1,4}|(?:\(\d{2,5}\)\s?|(?<![\w.-])\d{2,5}[\s.-])\d{3,4}[\s.-]\d{3,5}(?![\w-])/g,
    replacement: '[REDACTED:phone]',
  },
};

const RULE_ORDER: readonly RedactionRule[] = ['email', 'digits', 'phone'];

/** Free text: the question and feedback comments. */
const TEXT_KEYS: ReadonlySet<string> = new Set([ATTR_QUERY_TEXT, ATTR_FEEDBACK_COMMENT]);
/** JSON text whose string values are redacted one by one, so the JSON stays valid. */
const JSON_KEYS: ReadonlySet<string> = new Set([
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_EXECUTION_RESULT_SAMPLE,
]);
/** SQL, redacted only when asked: it is what the model learns from. */
const SQL_KEYS: ReadonlySet<string> = new Set([
  ATTR_MODEL_GENERATED_SQL,
  ATTR_SQL_ORIGINAL,
  ATTR_SQL_PROCESSED,
  ATTR_DB_QUERY_TEXT,
  ATTR_FEEDBACK_CORRECTED_SQL,
]);

const FAILED = '[REDACTION FAILED]';

export class SpanRedactor {
  private readonly replacements: readonly Replacement[];
  private readonly redactSql: boolean;
  private readonly usernames: UsernameHandling;
  private readonly usernameSalt: string;
  private readonly custom: ((text: string, attribute: RedactedAttribute) => string) | undefined;
  private failureReported = false;

  constructor(options: RedactionOptions) {
    const rules = new Set(options.rules ?? RULE_ORDER);
    this.replacements = [
      ...RULE_ORDER.filter((rule) => rules.has(rule)).map((rule) => BUILT_IN_RULES[rule]),
      ...(options.patterns ?? []).map(toReplacement),
    ];
    this.redactSql = options.sql ?? false;
    this.usernames = options.usernames ?? 'keep';
    this.usernameSalt = options.usernameSalt ?? '';
    this.custom = options.custom;
  }

  /** The span itself when nothing in it is redacted, else a copy with redacted attributes. */
  redactSpan(span: ReadableSpan): ReadableSpan {
    const attributes = this.redactAttributes(span.attributes);
    return attributes === span.attributes ? span : withAttributes(span, attributes);
  }

  /** The same object when nothing changes. */
  redactAttributes(attributes: Attributes): Attributes {
    let redacted: Attributes | undefined;
    const stage = stageOf(attributes);
    for (const [key, value] of Object.entries(attributes)) {
      const next = this.redactValue(key, value, stage);
      if (next === value) continue;
      redacted ??= { ...attributes };
      if (next === undefined) delete redacted[key];
      else redacted[key] = next;
    }
    return redacted ?? attributes;
  }

  /** Applies the rules, the patterns and the custom function to one text. */
  redactText(text: string, attribute: RedactedAttribute): string {
    try {
      let result = text;
      for (const { pattern, replacement } of this.replacements) result = result.replace(pattern, replacement);
      return this.custom === undefined ? result : this.custom(result, attribute);
    } catch (error) {
      // Exporting the original would leak what the user asked to hide: keep a marker instead.
      if (!this.failureReported) {
        this.failureReported = true;
        diag.error(`@aitdr/sdk redaction failed for ${attribute.key}; value replaced by a marker`, error);
      }
      return FAILED;
    }
  }

  private redactValue(
    key: string,
    value: AttributeValue | undefined,
    stage: RedactedAttribute['stage'],
  ): AttributeValue | undefined {
    if (typeof value !== 'string') return value;
    if (key === ATTR_USER_NAME) return this.redactUsername(value);
    const attribute = { key, stage };
    if (TEXT_KEYS.has(key) || (this.redactSql && SQL_KEYS.has(key))) return this.redactText(value, attribute);
    if (JSON_KEYS.has(key)) return this.redactJson(value, attribute);
    return value;
  }

  private redactUsername(name: string): string | undefined {
    switch (this.usernames) {
      case 'keep':
        return name;
      case 'drop':
        return undefined;
      case 'hash':
        return createHash('sha256')
          .update(this.usernameSalt + name)
          .digest('hex');
    }
  }

  private redactJson(text: string, attribute: RedactedAttribute): string {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return this.redactText(text, attribute);
    }
    const redacted = this.redactJsonValue(parsed, attribute);
    return redacted === parsed ? text : JSON.stringify(redacted);
  }

  private redactJsonValue(value: unknown, attribute: RedactedAttribute): unknown {
    if (typeof value === 'string') return this.redactText(value, attribute);
    if (typeof value === 'number') {
      // A card number in a result sample is a JSON number: it becomes a redacted string.
      const text = String(value);
      const redacted = this.redactText(text, attribute);
      return redacted === text ? value : redacted;
    }
    if (Array.isArray(value)) {
      const items = value.map((item: unknown) => this.redactJsonValue(item, attribute));
      return items.every((item, index) => item === value[index]) ? value : items;
    }
    if (typeof value === 'object' && value !== null) {
      const entries = Object.entries(value).map(
        ([name, item]) => [name, this.redactJsonValue(item, attribute)] as const,
      );
      const changed = entries.some(([name, item]) => item !== (value as Record<string, unknown>)[name]);
      return changed ? Object.fromEntries(entries) : value;
    }
    return value;
  }
}

function toReplacement(pattern: RegExp | { pattern: RegExp; replacement?: string }): Replacement {
  const source = pattern instanceof RegExp ? pattern : pattern.pattern;
  const flags = source.flags.includes('g') ? source.flags : `${source.flags}g`;
  return {
    pattern: new RegExp(source.source, flags),
    replacement: pattern instanceof RegExp ? '[REDACTED]' : (pattern.replacement ?? '[REDACTED]'),
  };
}

/** A ReadableSpan equal to `span` except for its attributes. */
function withAttributes(span: ReadableSpan, attributes: Attributes): ReadableSpan {
  return {
    name: span.name,
    kind: span.kind,
    spanContext: () => span.spanContext(),
    parentSpanContext: span.parentSpanContext,
    startTime: span.startTime,
    endTime: span.endTime,
    status: span.status,
    attributes,
    links: span.links,
    events: span.events,
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationScope: span.instrumentationScope,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}

/** Redacts spans on their way to another exporter (the Jaeger viewer in the one-call set-up). */
export class RedactingSpanExporter implements SpanExporter {
  constructor(
    private readonly exporter: SpanExporter,
    private readonly redactor: SpanRedactor,
  ) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.exporter.export(
      spans.map((span) => this.redactor.redactSpan(span)),
      resultCallback,
    );
  }

  shutdown(): Promise<void> {
    return this.exporter.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.exporter.forceFlush?.() ?? Promise.resolve();
  }
}
