import { diag } from '@opentelemetry/api';
import type { ReadableSpan } from '@aitdr/conventions';
import { stageOf, validateStageAttributes } from '@aitdr/conventions';

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
