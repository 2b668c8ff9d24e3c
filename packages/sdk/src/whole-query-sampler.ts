/**
 * Sampling for training data: a query is recorded or not as a whole, and feedback follows the
 * decision of the query it is about. A half-sampled trace would be stored INCOMPLETE, and feedback
 * without its query can never be stored at all.
 */
import { isSpanContextValid, trace, TraceFlags } from '@opentelemetry/api';
import type { Attributes, Context, Link, SpanKind } from '@opentelemetry/api';
import { ATTR_FEEDBACK_QUERY_ID } from '@aitdr/conventions';

/** The SDK's `SamplingDecision`, the same numbers on both OpenTelemetry JS lines. */
const SamplingDecision = { NOT_RECORD: 0, RECORD: 1, RECORD_AND_SAMPLED: 2 } as const;

export interface SamplingResult {
  readonly decision: number;
  readonly attributes?: Readonly<Attributes>;
}

/** The SDK's `Sampler`, declared structurally so either line's samplers fit. */
export interface Sampler {
  shouldSample(
    context: Context,
    traceId: string,
    spanName: string,
    spanKind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): SamplingResult;
  toString(): string;
}

// Shared results (the SDK only reads them): no object per span.
const SAMPLED: SamplingResult = Object.freeze({ decision: SamplingDecision.RECORD_AND_SAMPLED });
const NOT_SAMPLED: SamplingResult = Object.freeze({ decision: SamplingDecision.NOT_RECORD });

/**
 * Wraps the configured sampler (OTEL_TRACES_SAMPLER or the app's): a span with a local parent
 * takes its parent's decision, whatever the sampler would say (a bare `traceidratio` samples each
 * span apart); feedback is asked about its query's trace ID, so a sampler that decides by trace ID
 * (every standard one) gives the feedback its query's answer.
 */
export class WholeQuerySampler implements Sampler {
  constructor(private readonly sampler: Sampler) {}

  // Plain parameters, not a rest array: it runs for every span started.
  shouldSample(
    context: Context,
    traceId: string,
    spanName: string,
    spanKind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): SamplingResult {
    const parent = trace.getSpanContext(context);
    if (parent !== undefined && isSpanContextValid(parent) && parent.isRemote !== true) {
      return (parent.traceFlags & TraceFlags.SAMPLED) !== 0 ? SAMPLED : NOT_SAMPLED;
    }
    const queryId = attributes[ATTR_FEEDBACK_QUERY_ID];
    if (typeof queryId === 'string' && /^[0-9a-f]{32}$/.test(queryId)) {
      // Asked as the query's root was: no parent, the query's trace ID.
      return this.sampler.shouldSample(
        trace.deleteSpan(context),
        queryId,
        spanName,
        spanKind,
        attributes,
        links,
      );
    }
    return this.sampler.shouldSample(context, traceId, spanName, spanKind, attributes, links);
  }

  toString(): string {
    return `WholeQuerySampler{${this.sampler.toString()}}`;
  }
}
