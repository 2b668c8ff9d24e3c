/**
 * OTLP logs request bodies made by the real OpenTelemetry serializers, from log records shaped as
 * the SDK's `ReadableLogRecord` (the shape the official logs exporters serialize).
 */
import type { Attributes, HrTime } from '@opentelemetry/api';
import { JsonLogsSerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { decodeLogsRequest } from '../../src/otlp/logs-decode.js';

export interface TestLogRecord {
  readonly traceId?: string;
  readonly spanId?: string;
  readonly eventName?: string;
  readonly body?: unknown;
  readonly attributes?: Attributes;
  readonly time?: HrTime;
  readonly observedTime?: HrTime;
}

const resource = resourceFromAttributes({ 'service.name': 'assistant' });
const scope = { name: '@opentelemetry/instrumentation-openai', version: '0.21.0' };

function readable(record: TestLogRecord) {
  return {
    hrTime: record.time ?? [1_700_000_000, 0],
    hrTimeObserved: record.observedTime ?? [1_700_000_001, 0],
    ...(record.traceId && record.spanId
      ? { spanContext: { traceId: record.traceId, spanId: record.spanId, traceFlags: 1 } }
      : {}),
    severityNumber: 9,
    severityText: 'INFO',
    body: record.body,
    ...(record.eventName ? { eventName: record.eventName } : {}),
    attributes: record.attributes ?? {},
    droppedAttributesCount: 0,
    resource,
    instrumentationScope: scope,
  };
}

type Serialize = (records: ReturnType<typeof readable>[]) => Uint8Array | undefined;

export const logsProtobufBody = (records: TestLogRecord[]) =>
  Buffer.from((ProtobufLogsSerializer.serializeRequest as Serialize)(records.map(readable))!);
export const logsJsonBody = (records: TestLogRecord[]) =>
  Buffer.from((JsonLogsSerializer.serializeRequest as Serialize)(records.map(readable))!);

/** A protobuf logs request of one event per name on the span, as a receiver hands it to the assembler. */
export function logEventsRequest(traceId: string, spanId: string, names: string[]) {
  const body = logsProtobufBody(names.map((eventName) => ({ traceId, spanId, eventName, body: eventName })));
  return { encoding: 'protobuf' as const, body, events: decodeLogsRequest('protobuf', body).events };
}
