/**
 * Library spans inside a query trace: which ones create a row, which fill a stage row, and the
 * values derived once the rows are built (SQL from the response, inferred links, evaluation
 * results as feedback). Pure: spans in, rows out.
 */
import { createHash } from 'node:crypto';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_FEEDBACK_QUERY_ID,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_MODEL_GENERATED_SQL,
  ATTR_RECOGNITION_FAMILIES,
  ATTR_RECOGNITION_SPAN_IDS,
  ATTR_SELECTION_INTERACTION_ID,
  ATTR_SQL_INTERACTION_ID,
  EVALUATION_FEEDBACK,
  stageOf,
} from '@aitdr/conventions';
import type { RecognizedStage } from '@aitdr/conventions';
import { AI_EXECUTION_RESULTS, AI_MODEL_INTERACTIONS, AI_RESPONSE_SELECTIONS } from '@aitdr/schema';
import type { ColumnDef, RecognitionField, TableDef } from '@aitdr/schema';
import { sqlFromResponse } from './generated-sql.js';
import { applyRename, recognizedAttributes, recognizedStage } from './recognition.js';
import { columnFedBy, writableColumns } from './rows.js';
import type { Row } from './rows.js';
import type { SpanRecord } from './span-record.js';
import type { RowValue } from './values.js';

type MutableRow = Record<string, RowValue>;

/** A library span read as a call of `stage`, with its attributes under the conventions' names. */
export interface RecognizedSpan {
  readonly span: SpanRecord;
  readonly stage: RecognizedStage;
  /** Its attributes under the conventions' names (see `recognizedAttributes`). */
  readonly attributes: Attributes;
  readonly families: readonly string[];
}

export interface RecognitionPlan {
  /** Library spans that are rows of their own (no stage span of their kind above them). */
  readonly ownRows: readonly RecognizedSpan[];
  /** Library spans filling the row of the span with this ID, the latest-ending first. */
  readonly fillers: ReadonlyMap<string, readonly RecognizedSpan[]>;
  /** Every library span that went into a row (not kept in OTHER_SPANS). */
  readonly taken: ReadonlySet<SpanRecord>;
}

/** The span as its row reads it: its attributes under the conventions' names. */
export function asRecognizedSpan(recognized: RecognizedSpan): SpanRecord {
  return { ...recognized.span, attributes: recognized.attributes };
}

function recognize(span: SpanRecord): RecognizedSpan | undefined {
  const stage = recognizedStage(span);
  return stage === undefined ? undefined : { span, stage, ...recognizedAttributes(span, stage) };
}

const NOTHING_RECOGNIZED: RecognitionPlan = { ownRows: [], fillers: new Map(), taken: new Set() };

type Host = { readonly kind: 'row'; readonly spanId: string } | { readonly kind: 'none' };

/**
 * Which row each library span goes into. Walking up from the span: a stage span of its own
 * kind is the row it fills; a library span of its kind on the way (the same call instrumented
 * twice) sends it where that one goes; the query span, or the trace's root, makes it a row of its
 * own. A stage span of another kind (a schema lookup under `schema_context`, an LLM classifier
 * under `classification`) or a parent not in the trace (the rest of a split trace, not here yet)
 * leaves it in OTHER_SPANS.
 */
export function planRecognition(
  spans: readonly SpanRecord[],
  candidates: readonly SpanRecord[],
): RecognitionPlan {
  const recognized = new Map<string, RecognizedSpan>();
  for (const span of candidates) {
    const found = recognize(span);
    if (found) recognized.set(span.spanId, found);
  }
  // Most query traces hold no library span: nothing more to build for them.
  if (recognized.size === 0) return NOTHING_RECOGNIZED;
  const byId = new Map(spans.map((span) => [span.spanId, span]));
  const hosts = new Map<string, Host>();
  const hostOf = (item: RecognizedSpan): Host => {
    const known = hosts.get(item.span.spanId);
    if (known) return known;
    let host: Host = { kind: 'row', spanId: item.span.spanId };
    let parentId = item.span.parentSpanId;
    // Bounded: a malformed trace can hold a parent cycle.
    for (let steps = 0; parentId !== undefined && steps < spans.length; steps += 1) {
      const parent = byId.get(parentId);
      if (parent === undefined) {
        host = { kind: 'none' };
        break;
      }
      const stage = stageOf(parent.attributes);
      if (stage !== undefined) {
        if (stage === item.stage) host = { kind: 'row', spanId: parent.spanId };
        else if (stage !== 'query') host = { kind: 'none' };
        break;
      }
      const above = recognized.get(parent.spanId);
      if (above !== undefined && above.stage === item.stage) {
        host = hostOf(above);
        break;
      }
      parentId = parent.parentSpanId;
    }
    hosts.set(item.span.spanId, host);
    return host;
  };

  const ownRows: RecognizedSpan[] = [];
  const fillers = new Map<string, RecognizedSpan[]>();
  const taken = new Set<SpanRecord>();
  for (const item of recognized.values()) {
    const host = hostOf(item);
    if (host.kind === 'none') continue;
    taken.add(item.span);
    if (host.spanId === item.span.spanId) ownRows.push(item);
    else fillers.set(host.spanId, [...(fillers.get(host.spanId) ?? []), item]);
  }
  const endOf = (s: RecognizedSpan) => s.span.endTime[0] * 1e9 + s.span.endTime[1];
  for (const list of fillers.values()) list.sort((a, b) => endOf(b) - endOf(a));
  return { ownRows, fillers, taken };
}

function columnOf(table: TableDef, key: string): ColumnDef {
  const column = table.columns.find((c) => c.sources.some((s) => s.kind === 'attribute' && s.key === key));
  if (column === undefined) throw new Error(`${table.name} has no column for ${key}`);
  return column;
}

function recognitionColumn(table: TableDef, field: RecognitionField): string {
  const column = table.columns.find((c) =>
    c.sources.some((s) => s.kind === 'recognition' && s.field === field),
  );
  if (column === undefined) throw new Error(`${table.name} has no column for ${field}`);
  return column.name;
}

const attributesColumn = (table: TableDef) => columnFedBy(table, 'unmapped-attributes').name;
const eventsColumn = (table: TableDef) => columnFedBy(table, 'events').name;
/** The attribute a column is fed from, if any. */
function attributeKeyOf(column: ColumnDef): string | undefined {
  for (const source of column.sources) if (source.kind === 'attribute') return source.key;
  return undefined;
}

function jsonOf<T>(value: RowValue, fallback: T): T {
  return typeof value === 'string' ? (JSON.parse(value) as T) : fallback;
}

/** Adds `extra` to the row's ATTRIBUTES object (keys already there win). */
function addAttributes(table: TableDef, row: MutableRow, extra: Attributes): void {
  const name = attributesColumn(table);
  const merged = { ...extra, ...jsonOf<Attributes>(row[name] ?? null, {}) };
  row[name] = Object.keys(merged).length > 0 ? JSON.stringify(merged) : null;
}

/**
 * Fills the row's empty attribute-fed columns from rows built of library spans (what the
 * application set wins; the first filler wins over later ones), keeps their other attributes
 * and events, and names the spans (SOURCE_SPAN_ID; all of them in ATTRIBUTES) so the merge can be traced.
 */
export function fillRow(
  table: TableDef,
  row: MutableRow,
  own: RecognizedSpan | undefined,
  fillers: readonly { readonly item: RecognizedSpan; readonly row: Row }[],
): void {
  // Most rows are of a stage span with no library span in or under it: nothing to fill.
  if (own === undefined && fillers.length === 0) return;
  const events = eventsColumn(table);
  for (const { row: filler } of fillers) {
    // A library value its column could not take (the application's won) is kept under its key.
    const overruled: Attributes = {};
    for (const column of writableColumns(table)) {
      const key = attributeKeyOf(column);
      const value = filler[column.name] ?? null;
      if (key === undefined || value === null) continue;
      if (row[column.name] === null) row[column.name] = value;
      else if (row[column.name] !== value) overruled[key] = value;
    }
    addAttributes(table, row, {
      ...jsonOf<Attributes>(filler[attributesColumn(table)] ?? null, {}),
      ...overruled,
    });
    const more = jsonOf<unknown[]>(filler[events] ?? null, []);
    if (more.length > 0)
      row[events] = JSON.stringify([...jsonOf<unknown[]>(row[events] ?? null, []), ...more]);
  }
  const items = [...(own ? [own] : []), ...fillers.map((f) => f.item)];
  if (items.length === 0) return;
  row[recognitionColumn(table, 'sourceSpanId')] = (items[0] as RecognizedSpan).span.spanId;
  addAttributes(table, row, {
    [ATTR_RECOGNITION_SPAN_IDS]: items.map((i) => i.span.spanId),
    [ATTR_RECOGNITION_FAMILIES]: [...new Set(items.flatMap((i) => i.families))],
  });
}

// Looked up once: the mapper runs these for every row of every trace.
const MODEL = {
  sql: columnOf(AI_MODEL_INTERACTIONS, ATTR_MODEL_GENERATED_SQL).name,
  response: columnOf(AI_MODEL_INTERACTIONS, ATTR_GEN_AI_OUTPUT_MESSAGES).name,
  sqlFrom: recognitionColumn(AI_MODEL_INTERACTIONS, 'generatedSqlFrom'),
  id: AI_MODEL_INTERACTIONS.primaryKey[1] as string,
};
const EXECUTION = {
  link: columnOf(AI_EXECUTION_RESULTS, ATTR_SQL_INTERACTION_ID).name,
  inferred: recognitionColumn(AI_EXECUTION_RESULTS, 'interactionInferred'),
};
const SELECTED = columnOf(AI_RESPONSE_SELECTIONS, ATTR_SELECTION_INTERACTION_ID).name;

/** GENERATED_SQL from the response text when no attribute gave it, and how it was found. */
export function deriveGeneratedSql(row: MutableRow): void {
  const response = row[MODEL.response];
  if (row[MODEL.sql] !== null || typeof response !== 'string') return;
  const found = sqlFromResponse(response);
  if (found === undefined) return;
  row[MODEL.sql] = found.sql;
  row[MODEL.sqlFrom] = found.origin;
}

/**
 * Links executions that name no model interaction to the trace's selected one, else to its only
 * one, and marks the link as inferred.
 */
export function inferInteractionLinks(
  executions: readonly MutableRow[],
  interactions: readonly Row[],
  selections: readonly Row[],
): void {
  if (!executions.some((row) => row[EXECUTION.link] === null)) return;
  const latestSelected = [...selections]
    .filter((s) => s[SELECTED] !== null)
    .sort((a, b) => String(b.START_TIME).localeCompare(String(a.START_TIME)))[0]?.[SELECTED];
  const only = interactions.length === 1 ? interactions[0]?.[MODEL.id] : undefined;
  const inferred = latestSelected ?? only;
  if (inferred === undefined || inferred === null) return;
  for (const row of executions) {
    if (row[EXECUTION.link] !== null) continue;
    row[EXECUTION.link] = inferred;
    row[EXECUTION.inferred] = true;
  }
}

/** A stable row ID for the `index`th event of a span: the same event maps to the same row on a replay. */
function eventRowId(span: SpanRecord, index: number): string {
  return createHash('sha256').update(`${span.traceId}/${span.spanId}/${index}`).digest('hex').slice(0, 16);
}

/**
 * `gen_ai.evaluation.result` events on the trace's spans as feedback spans about the query: one
 * per event, a child of the span that carried it, at the event's time.
 */
export function evaluationFeedbackSpans(spans: readonly SpanRecord[], queryId: string): SpanRecord[] {
  const result: SpanRecord[] = [];
  for (const span of spans) {
    // An indexed loop, not forEach: a closure per span (most have no event) was made for nothing.
    for (let index = 0; index < span.events.length; index++) {
      const event = span.events[index]!;
      if (event.name !== EVALUATION_FEEDBACK.event) continue;
      const source = event.attributes ?? {};
      const found: Attributes = {};
      const read = new Set<string>();
      for (const rename of EVALUATION_FEEDBACK.renames) {
        const renamed = applyRename(rename, source, [], found);
        if (renamed === undefined || found[rename.target] !== undefined) continue;
        found[rename.target] = renamed.value;
        for (const key of renamed.keys) read.add(key);
      }
      const attributes: Attributes = {};
      for (const key in source) if (!read.has(key)) attributes[key] = source[key];
      result.push({
        traceId: span.traceId,
        spanId: eventRowId(span, index),
        parentSpanId: span.spanId,
        name: event.name,
        kind: SpanKind.INTERNAL,
        startTime: event.time,
        endTime: event.time,
        duration: [0, 0],
        status: { code: SpanStatusCode.UNSET },
        attributes: { ...attributes, ...found, [ATTR_FEEDBACK_QUERY_ID]: queryId },
        events: [],
        links: [],
        resource: span.resource,
        scope: span.scope,
      });
    }
  }
  return result;
}
