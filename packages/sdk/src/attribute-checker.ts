import { diag } from '@opentelemetry/api';
import type { ReadableSpan } from '@aitdr/conventions';
import { stageOf, validateStageAttributes } from '@aitdr/conventions';

/** The value-length limit an SDK span was created under, when finite. */
function valueLengthLimitOf(span: ReadableSpan): number | undefined {
  const limit = (span as { _spanLimits?: { attributeValueLengthLimit?: unknown } })._spanLimits
    ?.attributeValueLengthLimit;
  return typeof limit === 'number' && Number.isFinite(limit) && limit > 0 ? limit : undefined;
}

/** Every stage span is checked up to this many; after that one in `SAMPLE_EVERY`. */
const CHECK_ALL_FIRST = 2048;
const SAMPLE_EVERY = 64;

/**
 * Reports stage spans whose attributes break the stage's definition (a required attribute
 * missing, a wrong type, a value outside a closed set), once per stage, attribute and kind of
 * problem. The processor runs it on the spans it exports, in the background: checking is not the
 * request path's work, and spans written with plain `startActiveSpan` are checked the same way.
 * A mistake shows in an application's first spans; past those, spans are sampled, since a report
 * is a diagnostic (the exporter keeps a value that does not fit its column in ATTRIBUTES anyway).
 */
export class StageAttributeChecker {
  private readonly reported = new Set<string>();
  private spans = 0;
  private truncationReported = false;

  /**
   * Counts the stage spans whose string attributes reach the provider's value-length limit: on an
   * app's provider with `attributeValueLengthLimit` (or OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT) the SDK
   * cut them before any processor sees them. Both OpenTelemetry JS lines keep the limits on the
   * span (`_spanLimits`); where they do not, nothing can be told and nothing is counted.
   */
  countTruncated(spans: readonly ReadableSpan[]): number {
    let truncated = 0;
    for (const span of spans) {
      const limit = valueLengthLimitOf(span);
      if (limit === undefined || stageOf(span.attributes) === undefined) continue;
      const cut = Object.keys(span.attributes).filter((key) => {
        const value = span.attributes[key];
        return typeof value === 'string' && value.length >= limit;
      });
      if (cut.length === 0) continue;
      truncated += 1;
      if (!this.truncationReported) {
        this.truncationReported = true;
        diag.warn(
          `@aitdr/sdk: the tracer provider cuts attribute values at ${limit} characters; recorded ${cut.join(', ')} ` +
            `may be cut short (raise attributeValueLengthLimit / OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT, or use createRecorder's provider)`,
        );
      }
    }
    return truncated;
  }

  check(spans: readonly ReadableSpan[]): void {
    for (const span of spans) {
      this.spans += 1;
      if (this.spans > CHECK_ALL_FIRST && this.spans % SAMPLE_EVERY !== 0) continue;
      const stage = stageOf(span.attributes);
      if (stage === undefined) continue;
      for (const problem of validateStageAttributes(stage, span.attributes)) {
        const key = `${stage}|${problem.key}|${problem.problem}`;
        if (this.reported.has(key)) continue;
        this.reported.add(key);
        diag.warn(`@aitdr/sdk: ${problem.message}`);
      }
    }
  }
}
