import type { Stage } from '@aitdr/conventions';

/** Portable column types; each dialect renders them (see `src/ddl/`). */
export type ColumnType =
  /** Lower-case hex identifier of fixed length: 32 for trace IDs, 16 for span IDs. */
  | { readonly kind: 'id'; readonly length: 16 | 32 }
  /** Bounded text; the length counts characters in every dialect. */
  | { readonly kind: 'varchar'; readonly length: number }
  /** Unbounded text (CLOB on Oracle). */
  | { readonly kind: 'text' }
  /** JSON document, checked to be valid JSON by the database. */
  | { readonly kind: 'json' }
  | { readonly kind: 'integer' }
  | { readonly kind: 'bigint' }
  | { readonly kind: 'double' }
  | { readonly kind: 'decimal'; readonly precision: number; readonly scale: number }
  /** Stored as 0/1 where the dialect has no boolean type. */
  | { readonly kind: 'boolean' }
  /** Instant with microsecond precision (TEXT in ISO-8601 UTC on SQLite). */
  | { readonly kind: 'timestamp' };

/** Span fields a column can take its value from. */
export type SpanField =
  | 'traceId'
  | 'spanId'
  | 'parentSpanId'
  | 'name'
  | 'startTime'
  | 'endTime'
  | 'durationMs'
  | 'statusCode'
  | 'statusMessage'
  /** true unless the span status is ERROR. */
  | 'statusNotError';

/**
 * Where a column's value comes from. A column lists one or more sources; the first one that
 * yields a value wins. This is the whole attribute → column mapping, as data.
 */
export type ColumnSource =
  | { readonly kind: 'attribute'; readonly key: string }
  | { readonly kind: 'resource'; readonly key: string }
  | { readonly kind: 'span'; readonly field: SpanField }
  /** A field of the span's first link (feedback links to the query's root span). */
  | { readonly kind: 'link'; readonly field: 'traceId' | 'spanId' }
  /** Every span attribute that no column of the row takes, as a JSON object. */
  | { readonly kind: 'unmapped-attributes' }
  /** Resource attributes other than those with a column of their own, as a JSON object. */
  | { readonly kind: 'unmapped-resource-attributes' }
  /** The span's events (name, time, attributes) as a JSON array. */
  | { readonly kind: 'events' }
  /** The span's links (trace ID, span ID, attributes) as a JSON array. */
  | { readonly kind: 'links' }
  /** Spans of the trace that name no known stage, as a JSON array (query row only). */
  | { readonly kind: 'other-spans' }
  /** COMPLETE once the root span is stored, INCOMPLETE while the row stands in for a missing root. */
  | { readonly kind: 'trace-status' }
  /** Filled by the database when the row is inserted. */
  | { readonly kind: 'insert-time' }
  /** What the exporter found recognising instrumentation-library spans (see docs/conventions.md). */
  | { readonly kind: 'recognition'; readonly field: RecognitionField };

/** Values the exporter records about recognised library spans and what it derived from them. */
export type RecognitionField =
  /** Span ID of the library span recognised into the row. */
  | 'sourceSpanId'
  /** How GENERATED_SQL was found in the response text. */
  | 'generatedSqlFrom'
  /** Whether the execution's link to its model interaction was inferred. */
  | 'interactionInferred';

export interface ColumnDef {
  readonly name: string;
  readonly type: ColumnType;
  readonly nullable: boolean;
  readonly description: string;
  readonly sources: readonly ColumnSource[];
  /** Allowed values, enforced by a CHECK constraint. */
  readonly allowed?: readonly (string | number)[];
  /** Inclusive numeric range, enforced by a CHECK constraint. */
  readonly range?: readonly [number, number];
}

export interface ForeignKeyDef {
  readonly columns: readonly string[];
  readonly references: { readonly table: string; readonly columns: readonly string[] };
  /** Deleting a query deletes its stage rows, so one user's data can be removed in one statement. */
  readonly onDelete: 'cascade';
}

export interface IndexDef {
  readonly name: string;
  readonly columns: readonly string[];
}

export interface TableDef {
  readonly name: string;
  /** Short code used to build constraint names. */
  readonly code: string;
  /** Stage whose spans fill the table; undefined for tables not fed by spans. */
  readonly stage?: Stage;
  readonly description: string;
  readonly columns: readonly ColumnDef[];
  readonly primaryKey: readonly string[];
  readonly foreignKeys: readonly ForeignKeyDef[];
  readonly indexes: readonly IndexDef[];
}
