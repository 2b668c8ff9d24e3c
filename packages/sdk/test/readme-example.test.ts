import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { SpanStatusCode } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_FEEDBACK_QUERY_ID,
  ATTR_SELECTION_INTERACTION_ID,
  ATTR_SQL_INTERACTION_ID,
  stageOf,
} from '@aitdr/conventions';
import { FakeTraceWriter } from './helpers.js';
import { uiCalls } from './readme-app.js';

const writer = vi.hoisted((): { current: unknown } => ({ current: undefined }));
vi.mock('@aitdr/exporter', () => ({ createTableExporter: () => writer.current }));

const MARKER = '// --- README example ---\n';

describe('the README example', () => {
  it('is the first code block of the README', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('./readme-example.ts', import.meta.url), 'utf8');
    const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example.slice(example.indexOf(MARKER) + MARKER.length)).toBe(block);
  });

  it('records one query through the fallback path, and one feedback', async () => {
    const fake = new FakeTraceWriter();
    writer.current = fake;
    await import('./readme-example.js');

    const [query, feedback] = fake.writes;
    expect([query?.require, feedback?.require]).toEqual(['accepted', 'committed']);
    const stages = query!.spans.map((span) => stageOf(span.attributes));
    expect([...stages].sort()).toEqual([
      'classification',
      'execution',
      'fallback',
      'model_interaction',
      'model_interaction',
      'query',
      'response_selection',
      'schema_context',
      'sql_processing',
    ]);
    const byName = new Map(query!.spans.map((span) => [span.name, span]));
    const local = byName.get('chat sqlcoder-7b')!;
    const api = byName.get('chat gpt-4o')!;
    expect(local.status.code).toBe(SpanStatusCode.ERROR);
    expect(local.attributes[ATTR_ERROR_TYPE]).toBe('ModelTimeoutError');
    expect(api.parentSpanContext?.spanId).toBe(byName.get('text_to_sql.fallback')!.spanContext().spanId);
    const apiId = api.spanContext().spanId;
    expect(byName.get('text_to_sql.response_selection')!.attributes[ATTR_SELECTION_INTERACTION_ID]).toBe(
      apiId,
    );
    expect(byName.get('text_to_sql.execution')!.attributes[ATTR_SQL_INTERACTION_ID]).toBe(apiId);

    const root = byName.get('text_to_sql.query')!;
    const [rows, queryId, rootSpanId] = uiCalls[0]!;
    expect(rows).toHaveLength(2);
    expect([queryId, rootSpanId]).toEqual([root.spanContext().traceId, root.spanContext().spanId]);
    expect(feedback!.spans[0]!.attributes[ATTR_FEEDBACK_QUERY_ID]).toBe(queryId);
  });
});
