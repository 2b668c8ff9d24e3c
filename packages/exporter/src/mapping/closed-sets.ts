import type { AttributeValue } from '@opentelemetry/api';
import { STAGE_ATTRIBUTE_REGISTRY } from '@aitdr/conventions';
import type { SpanRecord } from './span-record.js';

/** The attributes restricted to a closed set of values by the conventions (`model.source`: api, local). */
const CLOSED_SETS = new Map<string, ReadonlySet<unknown>>(
  STAGE_ATTRIBUTE_REGISTRY.flatMap(({ spec }) =>
    spec.closed === true && spec.values !== undefined ? [[spec.key, new Set<unknown>(spec.values)]] : [],
  ),
);

/** The closed set of attribute `key`'s values; undefined for a key of any value. */
export function closedSetOf(key: string): ReadonlySet<unknown> | undefined {
  return CLOSED_SETS.get(key);
}

/**
 * Whether `value` of attribute `key` lies outside the key's closed set. Such a value is not put in
 * its column (the column stays NULL, as for a value of the wrong type); it stays in ATTRIBUTES,
 * and the exporter counts it.
 */
export function isOutsideClosedSet(key: string, value: AttributeValue | undefined): boolean {
  const allowed = CLOSED_SETS.get(key);
  return allowed !== undefined && value !== undefined && value !== null && !allowed.has(value);
}

/** How many attribute values of these spans lie outside their closed sets. */
export function countOutsideClosedSets(spans: readonly SpanRecord[]): number {
  let count = 0;
  for (const span of spans) {
    for (const key of CLOSED_SETS.keys()) if (isOutsideClosedSet(key, span.attributes[key])) count += 1;
  }
  return count;
}
