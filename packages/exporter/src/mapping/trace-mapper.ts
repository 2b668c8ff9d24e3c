/**
 * Trace in, rows out: turns the spans of one trace into rows of the nine tables by following each
 * column's `sources` in `@aitdr/schema`. Pure: no database, no clock, no I/O.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Attributes, AttributeValue } from '@opentelemetry/api';
import { ATTR_STAGE, generatedOr, stageOf } from '@aitdr/conventions';
import type { Stage } from '@aitdr/conventions';
import {
  AI_EXECUTION_RESULTS,
  AI_MODEL_INTERACTIONS,
  AI_RESPONSE_SELECTIONS,
  AI_TRAINING_QUERIES,
  AI_USER_FEEDBACK,
  TABLES,
  tableForStage,
} from '@aitdr/schema';
import type { ColumnDef, ColumnSource, ColumnType, SpanField, TableDef } from '@aitdr/schema';
import { COMPLETE, INCOMPLETE, QUERY_COLUMNS, writableColumns } from './rows.js';
import type { Row, TableRows, TraceStatus } from './rows.js';
import type { SpanRecord } from './span-record.js';
import { closedSetOf, isOutsideClosedSet } from './closed-sets.js';
import {
  asRecognizedSpan,
  deriveGeneratedSql,
  evaluationFeedbackSpans,
  fillRow,
  inferInteractionLinks,
  planRecognition,
} from './trace-recognition.js';
import type { RecognizedSpan } from './trace-recognition.js';
import { fitValue, hrTimeToIso, hrTimeToMillis, hrTimeToTimestamp, isHexId } from './values.js';
import type { RowValue } from './values.js';

/** A span of no known stage, kept whole in the query's OTHER_SPANS. */
export interface OtherSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: string;
  readonly startTime: string;
  readonly endTime: string;
  readonly durationMs: number;
  readonly statusCode: string;
  readonly statusMessage?: string;
  readonly attributes: Attributes;
  readonly events?: readonly unknown[];
  readonly links?: readonly unknown[];
  readonly scope: { readonly name: string; readonly version?: string };
}

/** Spans to merge into one query row's OTHER_SPANS (without duplicates). */
export interface OtherSpansMerge {
  readonly queryId: string;
  readonly spans: readonly OtherSpan[];
  /**
   * True for a trace (or a late part of one) with no stage span at all: its spans are kept only
   * when its query row is stored, since a trace without any stage is not a recorder trace.
   */
  readonly onlyIfStored: boolean;
}

export interface MappedTrace {
  readonly kind: 'mapped';
  readonly traceId: string;
  /** The query row: complete from the query span, or an INCOMPLETE placeholder for the stage rows. */
  readonly query?: { readonly row: Row; readonly complete: boolean };
  /** Rows of the stage tables, in `TABLES` order (parents first). */
  readonly stageRows: readonly TableRows[];
  readonly otherSpans?: OtherSpansMerge;
  /** Queries this trace's feedback is about that the trace does not itself create. */
  readonly requiredQueryIds: readonly string[];
}

/** A trace no row can be made of (no valid trace ID, a required column without a value). */
export interface UnmappableTrace {
  readonly kind: 'unmappable';
  readonly traceId: string;
  readonly reason: string;
}

/**
 * What a row is built from. Every input is made by `rowInput`, in one shape: inputs of several
 * shapes (a spread placeholder, lists of two elements kinds) reached the fill after V8 had
 * optimised it for one, which threw the optimised code away and compiled it again.
 */
interface RowInput {
  readonly traceId: string;
  /** The span the row records; undefined for a placeholder query row. */
  readonly span: SpanRecord | undefined;
  readonly resource: Attributes;
  /** The spans kept in OTHER_SPANS; undefined when there are none. */
  readonly otherSpans: readonly OtherSpan[] | undefined;
  readonly traceStatus: TraceStatus;
}

const rowInput = (
  traceId: string,
  span: SpanRecord | undefined,
  resource: Attributes,
  otherSpans: readonly OtherSpan[] | undefined,
  traceStatus: TraceStatus,
): RowInput => ({ traceId, span, resource, otherSpans, traceStatus });

/**
 * What one row took from its span, so the rest can go to ATTRIBUTES / RESOURCE_ATTRIBUTES. Lists,
 * not Sets: a row takes a few keys, and two Sets made per row (grown, then hashed into) cost more
 * than scanning the few (see `jsonObject`).
 */
interface Taken {
  readonly attributes: string[];
  readonly resource: string[];
}

const isDeferred = (column: ColumnDef) =>
  column.sources.some((s) => s.kind === 'unmapped-attributes' || s.kind === 'unmapped-resource-attributes');

interface FillPlan {
  /** The columns that must get a value. */
  readonly required: readonly ColumnDef[];
  /**
   * A new row with every column null, in fill order: an object literal made once per table, so a
   * row's properties exist, in one shape, before they are set (adding them one by one by computed
   * name was a fifth of the mapping's time).
   */
  readonly newRow: () => Record<string, RowValue>;
  /**
   * Sets each column that has a value, the first of its sources' values, in fill order: the
   * writable columns, those holding "everything else" last (once the others have taken theirs).
   */
  readonly fill: RowFill;
}

type RowFill = (row: Record<string, RowValue>, input: RowInput, taken: Taken) => void;

const fillPlans = new WeakMap<TableDef, FillPlan>();

/** Makes rows with these columns, all null, in this order. */
function rowFactory(columns: readonly ColumnDef[]): () => Record<string, RowValue> {
  const names = columns.map((c) => c.name);
  const literal = names.map((name) => `${JSON.stringify(name)}: null`).join(', ');
  return generatedOr(() => {
    const row: Record<string, RowValue> = {};
    for (const name of names) row[name] = null;
    return row;
  }, `return () => ({ ${literal} });`);
}

/** One source's value as generated code: an attribute is read by its own name there. */
function sourceCode(column: number, source: number, { sources }: ColumnDef): string {
  const found = sources[source]!;
  const at = `columns[${column}]`;
  if (found.kind === 'attribute' || found.kind === 'resource') {
    const key = JSON.stringify(found.key);
    // Whether the key has a closed set is known here: most have none, and skip the lookup.
    const takeOf = closedSetOf(found.key) === undefined ? 'takeOpen' : 'take';
    return found.kind === 'attribute'
      ? `${takeOf}(${at}.type, input.span?.attributes?.[${key}], ${key}, taken.attributes)`
      : `${takeOf}(${at}.type, input.resource[${key}], ${key}, taken.resource)`;
  }
  return `sourceValue(${at}, ${at}.sources[${source}], input, taken)`;
}

/**
 * The fill of a table's rows, generated: each column set by name and each attribute read by name,
 * where the loop below reads and sets every one by a computed key (rows of nine shapes, spans'
 * attributes of many).
 */
function rowFill(columns: readonly ColumnDef[]): RowFill {
  const body = columns.map((column, c) => {
    const [first, ...rest] = column.sources.map((_, s) => sourceCode(c, s, column));
    const more = rest.map((code) => `if (value === undefined) value = ${code};\n`).join('');
    return `value = ${first ?? 'undefined'};\n${more}if (value !== undefined) row[${JSON.stringify(column.name)}] = value;`;
  });
  return generatedOr<RowFill>(
    (row, input, taken) => {
      for (const column of columns) {
        const value = firstValue(column, input, taken);
        if (value !== undefined) row[column.name] = value;
      }
    },
    `const { columns, take, takeOpen, sourceValue } = parts;
return (row, input, taken) => {\nlet value;\n${body.join('\n')}\n};`,
    'parts',
    { columns, take, takeOpen, sourceValue },
  );
}

/** How a table's rows are filled, worked out once per table (it is read for every row). */
function fillPlan(table: TableDef): FillPlan {
  let plan = fillPlans.get(table);
  if (plan === undefined) {
    const columns = writableColumns(table);
    const ordered = [...columns.filter((c) => !isDeferred(c)), ...columns.filter(isDeferred)];
    plan = {
      required: ordered.filter((c) => !c.nullable),
      newRow: rowFactory(ordered),
      fill: rowFill(ordered),
    };
    fillPlans.set(table, plan);
  }
  return plan;
}

/**
 * The keys the row being built took, emptied for each row: a row's two lists (grown by their
 * first push) were a tenth of the mapping's allocation. Only `buildRow` uses it, and a row is
 * built whole before the next one starts.
 */
const rowTaken: Taken = { attributes: [ATTR_STAGE], resource: [] };

const NONE_MISSING: string[] = [];

/** Builds one row; `missing` names required columns no source filled. */
export function buildRow(
  table: TableDef,
  input: RowInput,
): { row: Record<string, RowValue>; missing: readonly string[] } {
  // Emptied down to the stage attribute, implied by the table the row lands in. Popped, not cut by
  // setting the length: that gives up the list's storage, and the next push makes it again.
  const { attributes, resource } = rowTaken;
  while (attributes.length > 1) attributes.pop();
  while (resource.length > 0) resource.pop();
  const { required, newRow, fill } = fillPlan(table);
  const row = newRow();
  fill(row, input, rowTaken);
  let missing: string[] | undefined;
  for (const column of required) if (row[column.name] === null) (missing ??= []).push(column.name);
  return { row, missing: missing ?? NONE_MISSING };
}

function firstValue(column: ColumnDef, input: RowInput, taken: Taken): RowValue | undefined {
  for (const source of column.sources) {
    const value = sourceValue(column, source, input, taken);
    if (value !== undefined) return value;
  }
  return undefined;
}

function sourceValue(
  column: ColumnDef,
  source: ColumnSource,
  input: RowInput,
  taken: Taken,
): RowValue | undefined {
  const { span } = input;
  switch (source.kind) {
    case 'attribute':
      return take(column.type, span?.attributes?.[source.key], source.key, taken.attributes);
    case 'resource':
      return take(column.type, input.resource[source.key], source.key, taken.resource);
    case 'span':
      // Span times are formatted here in the timestamp columns' own form: no need to parse them back.
      if (column.type.kind === 'timestamp' && span !== undefined) {
        if (source.field === 'startTime') return hrTimeToTimestamp(span.startTime);
        if (source.field === 'endTime') return hrTimeToTimestamp(span.endTime);
      }
      return fitValue(column.type, spanField(input, source.field));
    case 'link':
      return fitValue(column.type, span?.links[0]?.[source.field]);
    case 'unmapped-attributes':
      return span ? jsonObject(span.attributes, taken.attributes) : undefined;
    case 'unmapped-resource-attributes':
      return jsonObject(input.resource, taken.resource);
    case 'events':
      return span && span.events.length > 0
        ? JSON.stringify(span.events.map((e) => ({ ...e, time: hrTimeToIso(e.time) })))
        : undefined;
    case 'links':
      return span && span.links.length > 0 ? JSON.stringify(span.links) : undefined;
    case 'other-spans':
      return input.otherSpans === undefined ? undefined : JSON.stringify(input.otherSpans);
    case 'trace-status':
      return input.traceStatus;
    // The database fills the one, the mapper the other once the trace's rows are built (trace-recognition.ts).
    case 'insert-time':
    case 'recognition':
      return undefined;
  }
}

/**
 * An attribute's value when it fits the column's type (and its closed set, if it has one); only
 * then is the attribute taken from ATTRIBUTES. The type, not the column, is passed: columns have
 * several shapes (with or without allowed values, a range) and reading their type here saw more of
 * them after V8 had optimised the function, which threw it away; each caller reads its own column's.
 */
function take(
  type: ColumnType,
  attribute: AttributeValue | undefined,
  key: string,
  taken: string[],
): RowValue | undefined {
  if (isOutsideClosedSet(key, attribute)) return undefined;
  return takeOpen(type, attribute, key, taken);
}

/** `take` for a key with no closed set. */
function takeOpen(
  type: ColumnType,
  attribute: AttributeValue | undefined,
  key: string,
  taken: string[],
): RowValue | undefined {
  if (attribute === undefined || attribute === null) return undefined;
  const value = fitValue(type, attribute);
  // A key two columns take is listed twice: no harm, the list is only searched.
  if (value !== undefined) taken.push(key);
  return value;
}

function spanField(input: RowInput, field: SpanField): AttributeValue | undefined {
  const { span } = input;
  if (span === undefined) {
    // A placeholder knows only its trace; its status is UNSET until the query span arrives.
    if (field === 'traceId') return input.traceId;
    return field === 'statusCode' ? SpanStatusCode[SpanStatusCode.UNSET] : undefined;
  }
  switch (field) {
    case 'traceId':
      return span.traceId;
    case 'spanId':
      return span.spanId;
    case 'parentSpanId':
      return span.parentSpanId;
    case 'name':
      return span.name;
    case 'startTime':
      return hrTimeToIso(span.startTime);
    case 'endTime':
      return hrTimeToIso(span.endTime);
    case 'durationMs':
      return hrTimeToMillis(span.duration);
    case 'statusCode':
      return SpanStatusCode[span.status.code];
    case 'statusMessage':
      return span.status.message || undefined;
    case 'statusNotError':
      return span.status.code !== SpanStatusCode.ERROR;
  }
}

function jsonObject(attributes: Attributes, except: readonly string[]): string | undefined {
  let rest: Attributes | undefined;
  for (const key in attributes) {
    const value = attributes[key];
    if (value === undefined || except.includes(key)) continue;
    (rest ??= {})[key] = value;
  }
  return rest === undefined ? undefined : JSON.stringify(rest);
}

export function toOtherSpan(span: SpanRecord): OtherSpan {
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
    name: span.name,
    kind: SpanKind[span.kind] ?? String(span.kind),
    startTime: hrTimeToIso(span.startTime),
    endTime: hrTimeToIso(span.endTime),
    durationMs: hrTimeToMillis(span.duration),
    statusCode: SpanStatusCode[span.status.code] ?? String(span.status.code),
    ...(span.status.message ? { statusMessage: span.status.message } : {}),
    attributes: span.attributes,
    ...(span.events.length > 0
      ? { events: span.events.map((e) => ({ ...e, time: hrTimeToIso(e.time) })) }
      : {}),
    ...(span.links.length > 0 ? { links: span.links } : {}),
    scope: span.scope,
  };
}

/** The span of the question: a query-stage span with no parent in the trace, else the earliest. */
function pickQuerySpan(
  candidates: readonly SpanRecord[],
  spanIds: ReadonlySet<string>,
): SpanRecord | undefined {
  const roots = candidates.filter((s) => s.parentSpanId === undefined || !spanIds.has(s.parentSpanId));
  const pool = roots.length > 0 ? roots : candidates;
  return [...pool].sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1])[0];
}

const NO_FILLERS: readonly { readonly item: RecognizedSpan; readonly row: Row }[] = [];

const unmappable = (traceId: string, reason: string): UnmappableTrace => ({
  kind: 'unmappable',
  traceId,
  reason,
});

/** A span whose ID is not 16 hex cannot key a row; it is kept whole with the other spans. */
function keyed(span: SpanRecord): boolean {
  return isHexId(span.spanId, 16);
}

/**
 * Maps the spans of one trace (all with the same trace ID, each span once). The trace may be
 * whole or a part: a part without its query span gets an INCOMPLETE placeholder query row.
 */
export function mapTrace(spans: readonly SpanRecord[]): MappedTrace | UnmappableTrace {
  const traceId = spans[0]?.traceId ?? '';
  if (!isHexId(traceId, 32))
    return unmappable(traceId, `trace ID ${JSON.stringify(traceId)} is not 32 lower-case hex`);

  // Each span's stage and whether its ID can key a row, read once.
  const stages: (Stage | undefined)[] = [];
  const keyable: boolean[] = [];
  const queryCandidates: SpanRecord[] = [];
  for (const span of spans) {
    const stage = stageOf(span.attributes);
    const isKeyed = keyed(span);
    stages.push(stage);
    keyable.push(isKeyed);
    if (isKeyed && stage === 'query') queryCandidates.push(span);
  }
  // One candidate (the usual trace) is the query span whatever its parent: no set of IDs to build.
  const querySpan =
    queryCandidates.length <= 1
      ? queryCandidates[0]
      : pickQuerySpan(queryCandidates, new Set(spans.map((s) => s.spanId)));
  const staged: { span: SpanRecord; stage: Stage }[] = [];
  /** Per span: kept whole in OTHER_SPANS (unless recognised as a call of a stage). */
  const keptWhole: boolean[] = [];
  /** Keyed spans of no stage: library spans, perhaps recognised as calls of a stage. */
  const unstaged: SpanRecord[] = [];
  for (let i = 0; i < spans.length; i++) {
    const span = spans[i]!;
    const stage = stages[i];
    const kept = span !== querySpan && (stage === undefined || stage === 'query' || !keyable[i]);
    keptWhole.push(kept);
    if (kept) {
      if (stage === undefined && keyable[i]) unstaged.push(span);
    } else if (span !== querySpan) staged.push({ span, stage: stage! });
  }
  const hasQueryRow = querySpan !== undefined || staged.some((s) => s.stage !== 'user_feedback');
  // Library spans (model and database calls) are read only inside a query trace.
  const recognition = hasQueryRow ? planRecognition(spans, unstaged) : undefined;
  // Undefined when there are none, and built over `spans` (never empty): an empty list and a full
  // one have different maps, and reading the length of both deoptimised this function in a fresh process.
  let otherSpans: OtherSpan[] | undefined;
  for (let i = 0; i < spans.length; i++) {
    const span = spans[i]!;
    if (keptWhole[i] && !recognition?.taken.has(span)) (otherSpans ??= []).push(toOtherSpan(span));
  }

  const rowsByTable = new Map<TableDef, Record<string, RowValue>[]>();
  const addRow = (
    table: TableDef,
    span: SpanRecord,
    label: string,
    own?: RecognizedSpan,
  ): UnmappableTrace | undefined => {
    const input = rowInput(traceId, span, span.resource, undefined, COMPLETE);
    const { row, missing } = buildRow(table, input);
    if (missing.length > 0) {
      return unmappable(traceId, `${label} span ${span.spanId} has no value for ${missing.join(', ')}`);
    }
    // Most rows have no filler: no lists made for them.
    const fillers =
      recognition?.fillers.get(span.spanId)?.map((item) => ({
        item,
        row: buildRow(table, rowInput(traceId, asRecognizedSpan(item), span.resource, undefined, COMPLETE))
          .row,
      })) ?? NO_FILLERS;
    fillRow(table, row, own, fillers);
    const rows = rowsByTable.get(table);
    if (rows === undefined) rowsByTable.set(table, [row]);
    else rows.push(row);
    return undefined;
  };
  for (const { span, stage } of staged) {
    const failed = addRow(tableForStage(stage), span, stage);
    if (failed) return failed;
  }
  for (const item of recognition?.ownRows ?? []) {
    const failed = addRow(tableForStage(item.stage), asRecognizedSpan(item), item.stage, item);
    if (failed) return failed;
  }
  if (hasQueryRow) {
    for (const span of evaluationFeedbackSpans(spans, traceId)) {
      const failed = addRow(AI_USER_FEEDBACK, span, 'evaluation');
      if (failed) return failed;
    }
  }
  const interactions = rowsByTable.get(AI_MODEL_INTERACTIONS) ?? [];
  for (const row of interactions) deriveGeneratedSql(row);
  inferInteractionLinks(
    rowsByTable.get(AI_EXECUTION_RESULTS) ?? [],
    interactions,
    rowsByTable.get(AI_RESPONSE_SELECTIONS) ?? [],
  );
  const stageRows: TableRows[] = [];
  for (const table of TABLES) {
    const rows = rowsByTable.get(table);
    if (rows !== undefined) stageRows.push({ table, rows });
  }
  const feedbackRows = rowsByTable.get(AI_USER_FEEDBACK);
  const feedbackQueryIds =
    feedbackRows === undefined
      ? []
      : [...new Set(feedbackRows.map((row) => row[QUERY_COLUMNS.key] as string))];

  if (!hasQueryRow) {
    // Feedback only (or no stage at all): spans of no stage are kept with the query the feedback is about.
    const target = feedbackQueryIds[0];
    return {
      kind: 'mapped',
      traceId,
      stageRows,
      requiredQueryIds: feedbackQueryIds,
      ...(otherSpans
        ? {
            otherSpans: { queryId: target ?? traceId, spans: otherSpans, onlyIfStored: target === undefined },
          }
        : {}),
    };
  }

  const { row, missing } = buildRow(
    AI_TRAINING_QUERIES,
    rowInput(
      traceId,
      querySpan,
      (querySpan ?? spans[0])?.resource ?? {},
      otherSpans,
      querySpan ? COMPLETE : INCOMPLETE,
    ),
  );
  if (missing.length > 0) return unmappable(traceId, `query row has no value for ${missing.join(', ')}`);
  return {
    kind: 'mapped',
    traceId,
    query: { row, complete: querySpan !== undefined },
    stageRows,
    requiredQueryIds: feedbackQueryIds.filter((id) => id !== traceId),
    ...(otherSpans ? { otherSpans: { queryId: traceId, spans: otherSpans, onlyIfStored: false } } : {}),
  };
}
