/**
 * The store the dataset-export benchmark reads: a SQLite file filled directly with the rows the
 * exporter's mapper makes of recorded traces (query i under IDs of its own and with a question of
 * its own, so no two are duplicates). Filling is set-up, not measured.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { RowValue } from '@aitdr/exporter/internals';
import { AI_TRAINING_QUERIES, schemaInstallStatements } from '@aitdr/schema';
import { emitFigure } from '../harness/figures.js';
import { insertColumns, mapStream, prepareSqliteInserts } from '../raw/mapped-rows.js';
import type { TraceRows } from '../raw/mapped-rows.js';
import { loadQueryShapes } from '../workload/realistic-queries.js';
import { newTraceId } from '../workload/retrace.js';
import { recordTraceStream } from '../workload/trace-stream.js';

/** A query trace's rows and its feedback trace's rows. */
export type QueryTemplate = readonly [TraceRows, TraceRows];

export interface RecordedTemplates {
  readonly templates: QueryTemplate[];
  /** The spans they were mapped from: each query's trace and its feedback trace. */
  readonly spans: readonly ReadableSpan[];
}

/** One template per realistic query shape, each with feedback. */
export async function queryTemplates(): Promise<RecordedTemplates> {
  const shapes = await loadQueryShapes();
  const stream = await recordTraceStream(shapes, shapes.length, { feedbackLag: 0, feedbackEvery: 1 });
  const traces = mapStream(stream.spans);
  const templates: QueryTemplate[] = [];
  for (let i = 0; i + 1 < traces.length; i += 2) templates.push([traces[i]!, traces[i + 1]!]);
  return { templates, spans: stream.spans };
}

/**
 * The bytes an application sends for these spans: the request bodies of the official OTLP/HTTP
 * protobuf exporter (uncompressed, batches of 512 spans as the BatchSpanProcessor sends them),
 * received by a local HTTP server that only counts them.
 */
export async function otlpPayloadBytes(spans: readonly ReadableSpan[]): Promise<number> {
  let bytes = 0;
  const server = createServer((request, response) => {
    request.on('data', (chunk: Buffer) => (bytes += chunk.length));
    request.on('end', () => response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const exporter = new OTLPTraceExporter({ url: `http://127.0.0.1:${port}/v1/traces` });
  try {
    for (let from = 0; from < spans.length; from += 512) {
      const result = await new Promise<ExportResult>((resolve) =>
        exporter.export(spans.slice(from, from + 512), resolve),
      );
      if (result.code !== ExportResultCode.SUCCESS) throw result.error ?? new Error('OTLP export failed');
    }
  } finally {
    await exporter.shutdown();
    await new Promise((resolve) => server.close(resolve));
  }
  return bytes;
}

/** Query i: the template's rows with the template's IDs and question replaced by its own. */
export function fillStore(filename: string, templates: readonly QueryTemplate[], queries: number): void {
  const database = new Database(filename);
  try {
    // Set-up, not measured: no journal and no fsync while filling; WAL (the exporter's mode) after.
    // The exporter's page size, so the store's size is the one it would make.
    database.pragma('page_size = 8192');
    database.pragma('journal_mode = OFF');
    database.pragma('synchronous = OFF');
    database.pragma('foreign_keys = ON');
    for (const statement of schemaInstallStatements('sqlite')) database.exec(statement);
    const statements = prepareSqliteInserts(database);
    const queryIdAt = insertColumns(AI_TRAINING_QUERIES).findIndex((c) => c.name === 'QUERY_ID');
    const textAt = insertColumns(AI_TRAINING_QUERIES).findIndex((c) => c.name === 'QUERY_TEXT');
    const insertBatch = database.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const [queryRows, feedbackRows] = templates[i % templates.length]!;
        const templateQueryRow = queryRows.get(AI_TRAINING_QUERIES)![0]!;
        const templateQueryId = templateQueryRow[queryIdAt] as string;
        const templateText = templateQueryRow[textAt] as string;
        const queryId = newTraceId();
        const feedbackTraceId = newTraceId();
        const templateFeedbackTraceId = [...feedbackRows.values()][0]![0]!.find(
          (value) => typeof value === 'string' && value.length === 32 && value !== templateQueryId,
        );
        const substitute = (value: RowValue): RowValue => {
          if (value === templateQueryId) return queryId;
          if (value === templateFeedbackTraceId) return feedbackTraceId;
          if (value === templateText) return `${templateText} (request ${i})`;
          return typeof value === 'boolean' ? (value ? 1 : 0) : value;
        };
        for (const rows of [queryRows, feedbackRows]) {
          for (const [table, tableRows] of rows) {
            for (const row of tableRows) statements.get(table)!.run(...row.map(substitute));
          }
        }
      }
    });
    for (let from = 0; from < queries; from += 5000) insertBatch(from, Math.min(queries, from + 5000));
    database.pragma('journal_mode = WAL');
  } finally {
    database.close();
  }
}

const MiB = 1024 * 1024;

/** Store and payload sizes of `queries` queries, as figures named `export.<prefix>…`. */
export function emitSizes(
  benchmark: string,
  prefix: string,
  queries: number,
  sizes: { payload: number; store: number } | undefined,
  notes: { unmeasured?: string; payload?: string; store?: string } = {},
): void {
  const at = queries.toLocaleString('en');
  const note = (perQuery: number | undefined, extra: string | undefined) =>
    sizes === undefined || perQuery === undefined
      ? { note: notes.unmeasured ?? 'not measured' }
      : { note: [`${Math.round(perQuery / queries)} bytes per query`, extra].filter(Boolean).join('; ') };
  emitFigure({
    benchmark,
    figure: `export.${prefix}payload_mib`,
    label: `OTLP payload of ${at} queries and their feedback (protobuf request bodies): what the store is compared to`,
    value: sizes === undefined ? null : sizes.payload / MiB,
    unit: 'MiB',
    ...note(sizes?.payload, notes.payload),
  });
  emitFigure({
    benchmark,
    figure: `export.${prefix}store_mib`,
    label: `SQLite store holding ${at} queries`,
    value: sizes === undefined ? null : sizes.store / MiB,
    unit: 'MiB',
    ...note(sizes?.store, notes.store),
  });
  emitFigure({
    benchmark,
    figure: `export.${prefix}store_per_payload`,
    label: `Store ÷ payload, ${at} queries (limit: 1×, the payload itself; above it: keys, indexes, JSON text, page slack)`,
    value: sizes === undefined ? null : sizes.store / sizes.payload,
    unit: '×',
    ...(sizes === undefined ? { note: notes.unmeasured ?? 'not measured' } : {}),
  });
}
