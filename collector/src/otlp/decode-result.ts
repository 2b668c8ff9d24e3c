import type { SpanRecord } from '@aitdr/conventions';
import { InvalidSpanError } from './span-builder.js';

/** The body could not be read as an OTLP trace request at all (answered with 400). */
export class MalformedRequestError extends Error {}

/** What one request decoded to: the valid spans, and how many were rejected and why. */
export interface DecodedRequest {
  readonly spans: SpanRecord[];
  readonly rejected: number;
  /** Distinct reasons, at most `MAX_REASONS` of them, for the partial-success message. */
  readonly reasons: readonly string[];
}

const MAX_REASONS = 5;

/** Collects spans and rejections while a request is decoded. */
export class DecodeCollector {
  readonly spans: SpanRecord[] = [];
  private rejectedCount = 0;
  private readonly reasonCounts = new Map<string, number>();

  /** Keeps the span `build` makes, or rejects it with the reason when it is invalid. */
  keep(build: () => SpanRecord): void {
    try {
      this.spans.push(build());
    } catch (error) {
      if (!(error instanceof InvalidSpanError)) throw error;
      this.reject(error.message);
    }
  }

  reject(reason: string, spans = 1): void {
    if (spans <= 0) return;
    this.rejectedCount += spans;
    if (this.reasonCounts.has(reason) || this.reasonCounts.size < MAX_REASONS) {
      this.reasonCounts.set(reason, (this.reasonCounts.get(reason) ?? 0) + spans);
    }
  }

  result(): DecodedRequest {
    const reasons = [...this.reasonCounts].map(([reason, count]) =>
      count > 1 ? `${reason} (${count} spans)` : reason,
    );
    return { spans: this.spans, rejected: this.rejectedCount, reasons };
  }
}

/** The partial-success error message for a request with rejected spans. */
export function rejectionMessage(request: Pick<DecodedRequest, 'rejected' | 'reasons'>): string {
  return `${request.rejected} span(s) rejected: ${request.reasons.join('; ')}`;
}
