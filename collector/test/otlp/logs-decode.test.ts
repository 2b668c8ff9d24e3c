/** The contract with the mapper: what a log record naming a span becomes as that span's event. */
import { describe, expect, it } from 'vitest';
import { MalformedRequestError } from '../../src/otlp/decode-result.js';
import { decodeLogsRequest } from '../../src/otlp/logs-decode.js';
import { logsJsonBody, logsProtobufBody } from '../support/log-records.js';
import type { TestLogRecord } from '../support/log-records.js';

const TRACE_ID = '5b8efff798038103d269b633813fc60c';
const SPAN_ID = 'eee19b7ec3c1b174';
const BODIES = { protobuf: logsProtobufBody, json: logsJsonBody } as const;

describe.each(['protobuf', 'json'] as const)('OTLP logs decoding (%s)', (encoding) => {
  const decode = (records: TestLogRecord[]) => decodeLogsRequest(encoding, BODIES[encoding](records));

  it('names the event by event_name, else by the event.name attribute; keeps the attributes', () => {
    const { events } = decode([
      {
        traceId: TRACE_ID,
        spanId: SPAN_ID,
        eventName: 'gen_ai.user.message',
        attributes: { 'gen_ai.system': 'openai' },
      },
      { traceId: TRACE_ID, spanId: SPAN_ID, attributes: { 'event.name': 'gen_ai.choice' } },
    ]);
    expect(events.map((e) => [e.traceId, e.spanId, e.event.name])).toEqual([
      [TRACE_ID, SPAN_ID, 'gen_ai.user.message'],
      [TRACE_ID, SPAN_ID, 'gen_ai.choice'],
    ]);
    expect(events[0]!.event.attributes).toEqual({ 'gen_ai.system': 'openai' });
  });

  it('keeps the body as aitdr.log.body: a string as is, maps and arrays as JSON text', () => {
    const bodies = decode([
      { traceId: TRACE_ID, spanId: SPAN_ID, body: 'plain text' },
      {
        traceId: TRACE_ID,
        spanId: SPAN_ID,
        body: { message: { role: 'assistant', content: 'SELECT 1' }, index: 0 },
      },
      { traceId: TRACE_ID, spanId: SPAN_ID, body: [{ role: 'user', content: 'hi' }] },
      { traceId: TRACE_ID, spanId: SPAN_ID, body: 42 },
    ]).events.map((e) => e.event.attributes?.['aitdr.log.body']);
    expect(bodies[0]).toBe('plain text');
    expect(JSON.parse(bodies[1] as string)).toEqual({
      message: { role: 'assistant', content: 'SELECT 1' },
      index: 0,
    });
    expect(JSON.parse(bodies[2] as string)).toEqual([{ role: 'user', content: 'hi' }]);
    expect(bodies[3]).toBe('42');
  });

  it('takes the time, else the observed time', () => {
    const { events } = decode([
      { traceId: TRACE_ID, spanId: SPAN_ID, time: [1_700_000_000, 5], observedTime: [1_700_000_009, 0] },
      { traceId: TRACE_ID, spanId: SPAN_ID, time: [0, 0], observedTime: [1_700_000_009, 7] },
    ]);
    expect(events.map((e) => e.event.time)).toEqual([
      [1_700_000_000, 5],
      [1_700_000_009, 7],
    ]);
  });

  it('counts records naming no span apart from the events', () => {
    const decoded = decode([{ body: 'startup' }, { traceId: TRACE_ID, spanId: SPAN_ID, body: 'x' }]);
    expect(decoded.events).toHaveLength(1);
    expect(decoded.withoutSpan).toBe(1);
    expect(decoded.rejected).toBe(0);
  });
});

it('refuses a body that is no logs request', () => {
  expect(() => decodeLogsRequest('json', Buffer.from('not json'))).toThrow(MalformedRequestError);
  expect(() => decodeLogsRequest('protobuf', Buffer.from([0x0a, 0xff]))).toThrow(MalformedRequestError);
});
