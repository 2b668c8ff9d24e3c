/**
 * Writes mapped traces through a `StoreTransaction`, in the order the foreign keys need: query
 * rows, then the stage tables in `TABLES` order, then OTHER_SPANS merges. Knows no SQL.
 */
import { AI_TRAINING_QUERIES, TABLES } from '@aitdr/schema';
import type { TableDef } from '@aitdr/schema';
import { INCOMPLETE, QUERY_COLUMNS, QUERY_UPGRADE_COLUMNS } from '../mapping/rows.js';
import type { Row } from '../mapping/rows.js';
import type { MappedTrace, OtherSpan } from '../mapping/trace-mapper.js';
import type { ConflictAction, StoreTransaction } from './dialect.js';
import { IN_LIST_LIMIT, chunk } from './sql.js';

/** Where one trace ended up. */
export type TraceOutcome =
  | { readonly kind: 'committed' }
  /** No stage span and no stored query to attach its spans to: not a recorder trace. */
  | { readonly kind: 'ignored' }
  /** `awaiting`: the query its feedback waits for, when that is what it waits for. */
  | { readonly kind: 'parked'; readonly reason: string; readonly awaiting?: string }
  | { readonly kind: 'dead-lettered'; readonly reason: string; readonly error?: unknown };

export interface BatchResult {
  /** Outcomes of the traces this batch wrote or set aside; valid only if the batch commits. */
  readonly outcomes: Map<string, TraceOutcome>;
  /** Traces with a row the database refused (driver-reported, see `RowError`): roll back, then decide. */
  readonly rejected: Map<string, unknown>;
}

const IGNORE: ConflictAction = { kind: 'ignore' };
/** Stage rows written again (a trace re-sent with content that came late) fill what is still empty. */
const FILL: ConflictAction = { kind: 'fill' };
const UPGRADE_PLACEHOLDER: ConflictAction = {
  kind: 'update',
  columns: QUERY_UPGRADE_COLUMNS,
  where: { column: QUERY_COLUMNS.traceStatus, equals: INCOMPLETE },
};

async function inChunks<T>(
  ids: readonly string[],
  read: (ids: readonly string[]) => Promise<T>,
): Promise<T[]> {
  const results: T[] = [];
  for (const part of chunk(ids, IN_LIST_LIMIT)) results.push(await read(part));
  return results;
}

/** Merges incoming spans into the stored OTHER_SPANS array, each span (trace ID + span ID) once. */
export function mergeOtherSpans(
  stored: readonly unknown[] | null,
  incoming: readonly OtherSpan[],
): { merged: unknown[]; changed: boolean } {
  const keyOf = (span: unknown) => {
    const { traceId, spanId } = (span ?? {}) as { traceId?: unknown; spanId?: unknown };
    return `${String(traceId)}/${String(spanId)}`;
  };
  const merged = [...(stored ?? [])];
  const seen = new Set(merged.map(keyOf));
  for (const span of incoming) {
    if (seen.has(keyOf(span))) continue;
    seen.add(keyOf(span));
    merged.push(span);
  }
  return { merged, changed: merged.length !== (stored ?? []).length };
}

/**
 * One entry per key, its values filled in arrival order (what `fill` does in the store), so a
 * statement never meets the same key twice: PostgreSQL refuses to update a row twice in one
 * INSERT, which would fail the batch where `DO NOTHING` kept the first row. Spans come once per
 * trace (`groupByTrace`); this covers rows that two spans map to one key.
 */
export function mergeSameKey<T extends { row: Row }>(table: TableDef, entries: readonly T[]): readonly T[] {
  // The usual batch has no two rows of one key: found on the key's last column alone (a span's
  // own ID), with no key text built per row; rows sharing it go the whole key's way.
  const last = table.primaryKey[table.primaryKey.length - 1];
  const seen = new Set<unknown>();
  for (const entry of entries) {
    const value = last === undefined ? null : (entry.row[last] ?? null);
    if (seen.has(value)) return mergeByWholeKey(table, entries);
    seen.add(value);
  }
  return entries;
}

function mergeByWholeKey<T extends { row: Row }>(table: TableDef, entries: readonly T[]): T[] {
  const keyColumns = table.primaryKey;
  const [single] = keyColumns;
  const byKey = new Map<unknown, T>();
  let merged = false;
  for (const entry of entries) {
    // A one-column key is its value (IDs are text); a longer one its values, typed, in one text.
    const key =
      keyColumns.length === 1 && single !== undefined
        ? (entry.row[single] ?? null)
        : keyColumns.map((c) => keyPart(entry.row[c])).join('');
    const first = byKey.get(key);
    if (first === undefined) {
      byKey.set(key, entry);
      continue;
    }
    merged = true;
    const filled: Record<string, Row[string]> = { ...first.row };
    for (const [column, value] of Object.entries(entry.row))
      if ((filled[column] ?? null) === null) filled[column] = value;
    byKey.set(key, { ...first, row: filled });
  }
  return merged ? [...byKey.values()] : [...entries];
}

/** One key column's value in a composite key's text: its type and length first, so no two keys share a text. */
function keyPart(value: Row[string] | undefined): string {
  if (value === undefined || value === null) return 'n';
  const text = String(value);
  return `${(typeof value)[0]}${text.length}:${text}`;
}

/** The stage rows of the traces, per table, each with its trace ID, in trace order. */
function stageRowsByTable(traces: readonly MappedTrace[]): Map<TableDef, { traceId: string; row: Row }[]> {
  const byTable = new Map<TableDef, { traceId: string; row: Row }[]>();
  for (const trace of traces) {
    for (const { table, rows } of trace.stageRows) {
      let entries = byTable.get(table);
      if (entries === undefined) byTable.set(table, (entries = []));
      for (const row of rows) entries.push({ traceId: trace.traceId, row });
    }
  }
  return byTable;
}

export async function writeBatch(tx: StoreTransaction, traces: readonly MappedTrace[]): Promise<BatchResult> {
  const outcomes = new Map<string, TraceOutcome>();
  const rejected = new Map<string, unknown>();

  // Feedback about a query that is neither stored nor in this batch waits (parked) for it.
  const created = new Set(traces.filter((t) => t.query).map((t) => t.traceId));
  const needed = [...new Set(traces.flatMap((t) => t.requiredQueryIds))].filter((id) => !created.has(id));
  const stored = new Set((await inChunks(needed, (ids) => tx.existingQueryIds(ids))).flatMap((s) => [...s]));
  const writable = traces.filter((trace) => {
    const missing = trace.requiredQueryIds.find((id) => !created.has(id) && !stored.has(id));
    if (missing !== undefined)
      outcomes.set(trace.traceId, {
        kind: 'parked',
        reason: `query ${missing} is not stored yet`,
        awaiting: missing,
      });
    return missing === undefined;
  });

  const insert = async (
    table: TableDef,
    entries: readonly { traceId: string; row: Row }[],
    onConflict: ConflictAction,
  ) => {
    if (entries.length === 0) return;
    const errors = await tx.insert(
      table,
      entries.map((e) => e.row),
      onConflict,
    );
    for (const { index, error } of errors) {
      const traceId = entries[index]?.traceId;
      // The first refusal is the cause; later ones (children of a refused row) follow from it.
      if (traceId !== undefined && !rejected.has(traceId)) rejected.set(traceId, error);
    }
  };

  const queryRows = (complete: boolean) =>
    writable.flatMap((t) =>
      t.query && t.query.complete === complete ? [{ traceId: t.traceId, row: t.query.row }] : [],
    );
  await insert(AI_TRAINING_QUERIES, queryRows(true), UPGRADE_PLACEHOLDER);
  await insert(AI_TRAINING_QUERIES, queryRows(false), IGNORE);
  const stageRows = stageRowsByTable(writable);
  for (const table of TABLES) {
    const entries = table === AI_TRAINING_QUERIES ? undefined : stageRows.get(table);
    if (entries !== undefined) await insert(table, mergeSameKey(table, entries), FILL);
  }
  if (rejected.size > 0) return { outcomes, rejected };

  await mergeAllOtherSpans(tx, writable, outcomes);
  for (const trace of writable)
    if (!outcomes.has(trace.traceId)) outcomes.set(trace.traceId, { kind: 'committed' });
  return { outcomes, rejected };
}

async function mergeAllOtherSpans(
  tx: StoreTransaction,
  traces: readonly MappedTrace[],
  outcomes: Map<string, TraceOutcome>,
): Promise<void> {
  const byQuery = new Map<string, MappedTrace[]>();
  for (const trace of traces) {
    if (trace.otherSpans === undefined) continue;
    byQuery.set(trace.otherSpans.queryId, [...(byQuery.get(trace.otherSpans.queryId) ?? []), trace]);
  }
  if (byQuery.size === 0) return;
  const storedSpans = new Map(
    (await inChunks([...byQuery.keys()], (ids) => tx.lockOtherSpans(ids))).flatMap((m) => [...m]),
  );
  for (const [queryId, group] of byQuery) {
    if (!storedSpans.has(queryId)) {
      for (const trace of group)
        if (trace.otherSpans?.onlyIfStored) outcomes.set(trace.traceId, { kind: 'ignored' });
      continue;
    }
    const incoming = group.flatMap((t) => t.otherSpans?.spans ?? []);
    const { merged, changed } = mergeOtherSpans(storedSpans.get(queryId) ?? null, incoming);
    if (changed) await tx.updateOtherSpans(queryId, JSON.stringify(merged));
  }
}
