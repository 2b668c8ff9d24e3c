import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { stageOf } from '@aitdr/conventions';
import { tableForStage } from '@aitdr/schema';

/**
 * Counts the stage spans that ended, by the table each becomes a row of: what the demo sent.
 * A span processor beside the recorder's, so the count is of spans, not of the demo's intentions.
 */
export class SentRowCounter implements SpanProcessor {
  private readonly counts = new Map<string, number>();

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    const stage = stageOf(span.attributes);
    if (stage === undefined) return;
    const table = tableForStage(stage).name;
    this.counts.set(table, (this.counts.get(table) ?? 0) + 1);
  }

  /** Rows sent per table name. */
  rows(): ReadonlyMap<string, number> {
    return this.counts;
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
