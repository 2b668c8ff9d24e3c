/**
 * SQL-injection look-alikes, control characters and emoji in every text attribute of every stage
 * (and in span names, status messages, events, attribute keys and resource attributes) are
 * stored exactly as sent, within column limits, and never executed; on SQLite and PostgreSQL,
 * through the collector (OTLP protobuf and JSON) and in-process. Text a store cannot keep as
 * sent follows explicit rules: a body with invalid UTF-8 is refused (400); unpaired surrogates
 * become U+FFFD; U+0000 is kept by SQLite and dead-lettered, with its reason, on PostgreSQL.
 */
import { join } from 'node:path';
import { ROOT_CONTEXT, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes, AttributeValue } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startCollector } from '@aitdr/collector';
import type { RunningCollector } from '@aitdr/collector';
import { ATTR_STAGE, STAGES, STAGE_NAMES } from '@aitdr/conventions';
import type { AttributeSpec, Stage } from '@aitdr/conventions';
import { createTableExporter, readDeadLetters } from '@aitdr/exporter';
import type { TableExporter } from '@aitdr/exporter';
import { TABLES, tableForStage } from '@aitdr/schema';
import type { ColumnDef, TableDef } from '@aitdr/schema';
import { RpcStatusType } from '../../collector/src/otlp/trace-proto.js';
import { jsonBody, protobufBody } from '@aitdr/collector/test/support/spans.js';
import { hostileText } from '../support/hostile-strings.js';
import { postgresStore, sqliteStore } from '../support/stores.js';
import type { StoreUnderTest } from '../support/stores.js';
import { createTemporaryDirectory } from '../support/temp-dir.js';
import { toSpanRecord } from '@aitdr/conventions';

type Path = 'OTLP/protobuf' | 'OTLP/JSON' | 'in-process';
const PATHS: readonly Path[] = ['OTLP/protobuf', 'OTLP/JSON', 'in-process'];

/** Where an attribute lands: its column in the stage's table. */
function columnOf(table: TableDef, key: string): ColumnDef | undefined {
  return table.columns.find((c) => c.sources.some((s) => s.kind === 'attribute' && s.key === key));
}

const maxCharsOf = (column: ColumnDef | undefined) =>
  column?.type.kind === 'varchar' ? column.type.length : Number.POSITIVE_INFINITY;

interface Expectation {
  readonly table: TableDef;
  readonly spanId: string;
  /** Column → value expected (JSON columns: the parsed value). */
  readonly columns: Record<string, unknown>;
  /** Expected inside the ATTRIBUTES / EVENTS / RESOURCE_ATTRIBUTES JSON. */
  readonly attributes: Attributes;
  readonly eventName: string;
}

/**
 * One span per stage (feedback in a trace of its own, about the query), every free-text attribute
 * hostile; values a column constrains (closed sets, IDs, times, numbers) are their examples.
 */
function hostileTraces(queryIdOf?: string) {
  const memory = new InMemorySpanExporter();
  let n = 0;
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': hostileText(n++, 256),
      'service.version': hostileText(n++, 128),
      [hostileText(n++, 64)]: hostileText(n++),
    }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('hostile');
  const expectations: Expectation[] = [];
  let root: ReturnType<typeof tracer.startSpan> | undefined;
  const spanFor = (stage: Stage, queryId?: string) => {
    const table = tableForStage(stage);
    const fields = STAGES[stage].fields as Readonly<Record<string, AttributeSpec>>;
    const attributes: Attributes = { [ATTR_STAGE]: stage };
    const columns: Record<string, unknown> = {};
    for (const spec of Object.values(fields)) {
      const column = columnOf(table, spec.key);
      const constrained =
        spec.key === 'text_to_sql.feedback.query_id' ||
        spec.closed === true ||
        column?.allowed !== undefined ||
        column?.type.kind === 'id' ||
        column?.type.kind === 'timestamp' ||
        !['string', 'json', 'string[]'].includes(spec.type);
      let value: AttributeValue;
      if (spec.key === 'text_to_sql.feedback.query_id') value = queryId!;
      else if (constrained) value = (spec.values?.[0] ?? spec.example) as AttributeValue;
      else if (spec.type === 'json')
        value = JSON.stringify({ text: hostileText(n++), list: [hostileText(n++)] });
      else if (spec.type === 'string[]') value = [hostileText(n++), hostileText(n++)];
      else value = hostileText(n++, maxCharsOf(column));
      attributes[spec.key] = value;
      // What a hostile value must look like in its column: the text itself, JSON parsed.
      if (column && !constrained)
        columns[column.name] =
          spec.type === 'json' && column.type.kind === 'json' ? JSON.parse(value as string) : value;
    }
    const extra = { [hostileText(n++, 40)]: hostileText(n++), 'hostile.list': [hostileText(n++), ''] };
    const name = hostileText(n++, 256);
    const message = hostileText(n++);
    const eventName = hostileText(n++);
    const parent =
      stage === 'query' || stage === 'user_feedback' ? ROOT_CONTEXT : trace.setSpan(ROOT_CONTEXT, root!);
    const span = tracer.startSpan(name, { attributes: { ...attributes, ...extra } }, parent);
    span.addEvent(eventName, { [hostileText(n++, 30)]: hostileText(n++) });
    span.setStatus({ code: SpanStatusCode.ERROR, message });
    columns.SPAN_NAME = name;
    columns.ERROR_MESSAGE = message;
    if (stage === 'query') {
      root = span;
      columns.SERVICE_NAME = hostileText(0, 256);
      columns.SERVICE_VERSION = hostileText(1, 128);
    }
    expectations.push({ table, spanId: span.spanContext().spanId, columns, attributes: extra, eventName });
    return span;
  };
  for (const stage of STAGE_NAMES.filter((s) => s !== 'query' && s !== 'user_feedback')) {
    if (stage === 'classification') spanFor('query');
    spanFor(stage).end();
  }
  root!.end();
  const query = memory.getFinishedSpans();
  memory.reset();
  spanFor('user_feedback', queryIdOf ?? query[0]!.spanContext().traceId).end();
  return { query, feedback: memory.getFinishedSpans(), expectations };
}

describe.each([
  ['SQLite', sqliteStore],
  ['PostgreSQL', postgresStore],
] as const)('hostile text on %s', (_name, openStore) => {
  const dir = createTemporaryDirectory('aitdr-hostile-');
  let store: StoreUnderTest;
  let collector: RunningCollector;
  let exporter: TableExporter;

  const canary = async (sql: string) => {
    if (store.dialect === 'sqlite') {
      const db = new Database(store.url.slice('sqlite:'.length));
      try {
        db.exec(sql);
      } finally {
        db.close();
      }
    } else {
      const client = new pg.Client({ connectionString: store.url });
      await client.connect();
      await client.query(sql).finally(() => client.end());
    }
  };

  beforeAll(async () => {
    store = await openStore();
    // A table the hostile SQL names: it must keep its one row.
    await canary('CREATE TABLE CANARY (ID INTEGER NOT NULL); INSERT INTO CANARY VALUES (42);');
    collector = await startCollector({
      store: store.url,
      port: 0,
      stateDirectory: join(dir.path, 'spool'),
      waitMs: 50,
    });
    exporter = createTableExporter({ store: store.url, stateDirectory: join(dir.path, 'in-process') });
  });

  afterAll(async () => {
    await exporter?.shutdown();
    await collector?.close();
    await store?.close();
    dir.remove();
  });

  const send = async (path: Path, spans: ReadableSpan[]) => {
    if (path === 'in-process') {
      await exporter.writeTraces(spans.map(toSpanRecord), { require: 'committed' });
      return;
    }
    const protobuf = path === 'OTLP/protobuf';
    const response = await fetch(`${collector.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': protobuf ? 'application/x-protobuf' : 'application/json' },
      body: protobuf ? protobufBody(spans) : jsonBody(spans),
    });
    expect(response.status).toBe(200);
  };

  const rowOf = async (table: TableDef, spanId: string) =>
    (await store.rows(table)).find((row) => row.SPAN_ID === spanId);

  it.each(PATHS)(
    'stores every text attribute exactly as sent, and executes none of it (%s)',
    async (path) => {
      const { query, feedback, expectations } = hostileTraces();
      await send(path, query);
      const queryTable = tableForStage('query');
      await vi.waitFor(
        async () =>
          expect(
            await rowOf(queryTable, query.find((s) => !s.parentSpanContext)!.spanContext().spanId),
          ).toBeDefined(),
        { timeout: 20_000 },
      );
      await send(path, feedback);

      for (const expected of expectations) {
        let row: Record<string, unknown> | undefined;
        await vi.waitFor(
          async () => expect((row = await rowOf(expected.table, expected.spanId))).toBeDefined(),
          {
            timeout: 20_000,
          },
        );
        expect(row, `${expected.table.name} row`).toMatchObject(expected.columns);
        expect(row!.ATTRIBUTES, `${expected.table.name}.ATTRIBUTES`).toMatchObject(expected.attributes);
        expect(row!.EVENTS, `${expected.table.name}.EVENTS`).toEqual([
          expect.objectContaining({ name: expected.eventName }),
        ]);
      }
      const [queryRow] = (await store.rows(queryTable)).filter(
        (r) => r.QUERY_ID === query[0]!.spanContext().traceId,
      );
      expect(Object.keys(queryRow!.RESOURCE_ATTRIBUTES as object)).toContain(hostileText(2, 64));

      // Every free-text attribute of every stage was checked, not a few.
      expect(expectations.reduce((sum, e) => sum + Object.keys(e.columns).length, 0)).toBeGreaterThanOrEqual(
        60,
      );
      // Nothing ran: the canary keeps its row, every table is there.
      expect(await store.column('SELECT ID FROM CANARY')).toEqual([42]);
      for (const table of TABLES) expect(await store.count(table)).toBeGreaterThanOrEqual(0);
    },
  );
  const queryText = async (traceId: string) =>
    store.scalar('SELECT QUERY_TEXT FROM AI_TRAINING_QUERIES WHERE QUERY_ID = ?', [traceId]);
  const simpleTrace = (text: string, extra: Attributes = {}) => {
    const memory = new InMemorySpanExporter();
    const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] }).getTracer(
      't',
    );
    const root = tracer.startSpan('text_to_sql.query', {
      attributes: { [ATTR_STAGE]: 'query', 'text_to_sql.query.text': text, ...extra },
    });
    tracer
      .startSpan(
        'c',
        { attributes: { [ATTR_STAGE]: 'classification', 'text_to_sql.classification.category': 'x' } },
        trace.setSpan(ROOT_CONTEXT, root),
      )
      .end();
    root.end();
    return memory.getFinishedSpans();
  };

  it('refuses a body with invalid UTF-8 in its text (400 naming it), protobuf or JSON, and stores none of it', async () => {
    // Overlong, truncated, surrogate-encoding and stray continuation bytes, in the place of a marker
    // of the same length, so every length prefix of the protobuf message stays right.
    const marker = 'MARKER-MARKER';
    const invalid = Buffer.from([
      0x61, 0xff, 0x62, 0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xf0, 0x9f, 0x98, 0x63, 0x80,
    ]);
    expect(invalid.length).toBe(Buffer.byteLength(marker));
    const refused: string[] = [];
    for (const encoding of ['protobuf', 'json'] as const) {
      const spans = simpleTrace(marker, { 'hostile.bytes': marker });
      const body = encoding === 'protobuf' ? protobufBody(spans) : jsonBody(spans);
      for (let at = body.indexOf(marker); at >= 0; at = body.indexOf(marker)) invalid.copy(body, at);
      const response = await fetch(`${collector.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': `application/${encoding === 'protobuf' ? 'x-protobuf' : 'json'}` },
        body,
      });
      expect(response.status, encoding).toBe(400);
      const answer = Buffer.from(await response.arrayBuffer());
      const { message } =
        encoding === 'protobuf'
          ? (RpcStatusType.toObject(RpcStatusType.decode(answer)) as { message: string })
          : (JSON.parse(answer.toString()) as { message: string });
      expect(message, encoding).toMatch(/utf-8/i);
      refused.push(spans[0]!.spanContext().traceId);
    }
    // A valid trace sent after them is stored; they are not.
    const after = simpleTrace('valid');
    await send('OTLP/protobuf', after);
    await vi.waitFor(async () => expect(await queryText(after[0]!.spanContext().traceId)).toBe('valid'), {
      timeout: 20_000,
    });
    for (const traceId of refused) expect(await queryText(traceId)).toBeUndefined();
  });

  it('stores an unpaired surrogate (a JSON \\ud800 escape, a JS string) as U+FFFD, in columns and in JSON', async () => {
    const viaJson = simpleTrace('MARK', { 'hostile.surrogate': 'MARK' });
    const body = Buffer.from(jsonBody(viaJson).toString().replaceAll('"MARK"', '"a\\ud800b\\udc00c"'));
    const response = await fetch(`${collector.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(response.status).toBe(200);
    const inProcess = simpleTrace('a\ud800b\udc00c', { 'hostile.surrogate': 'a\ud800b\udc00c' });
    await exporter.writeTraces(inProcess.map(toSpanRecord), { require: 'committed' });
    for (const spans of [viaJson, inProcess]) {
      const traceId = spans[0]!.spanContext().traceId;
      await vi.waitFor(async () => expect(await queryText(traceId)).toBe('a\ufffdb\ufffdc'), {
        timeout: 20_000,
      });
      const [row] = (await store.rows(tableForStage('query'))).filter((r) => r.QUERY_ID === traceId);
      expect(row!.ATTRIBUTES).toEqual({ 'hostile.surrogate': 'a\ufffdb\ufffdc' });
    }
  });

  it('keeps U+0000 on SQLite; on PostgreSQL, whose text cannot hold it, dead-letters the trace with the reason', async () => {
    const withNul = simpleTrace('before\u0000after', { 'hostile.nul': 'x\u0000y' });
    const clean = simpleTrace('no nul here');
    const traceId = withNul[0]!.spanContext().traceId;
    if (store.dialect === 'sqlite') {
      await expect(
        exporter.writeTraces([...withNul, ...clean].map(toSpanRecord), { require: 'committed' }),
      ).resolves.toMatchObject({
        committed: 2,
      });
      expect(await queryText(traceId)).toBe('before\u0000after');
      return;
    }
    await expect(
      exporter.writeTraces([...withNul, ...clean].map(toSpanRecord), { require: 'committed' }),
    ).rejects.toMatchObject({
      code: 'DEAD_LETTERED',
    });
    // The trace beside it in the same write is stored; the refused one is kept with why.
    expect(await queryText(clean[0]!.spanContext().traceId)).toBe('no nul here');
    expect(await queryText(traceId)).toBeUndefined();
    const letters = await readDeadLetters(join(dir.path, 'in-process', 'dead-letter'));
    expect(letters.find((letter) => letter.traceId === traceId)?.reason).toMatch(
      /PostgreSQL text cannot hold U\+0000 \(NUL\): AI_TRAINING_QUERIES\.(QUERY_TEXT|ATTRIBUTES)/,
    );
  });
});
