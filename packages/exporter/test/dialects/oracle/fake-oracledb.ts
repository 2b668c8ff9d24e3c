/**
 * A stand-in for the `oracledb` module (no Oracle server exists here). It implements the surface
 * the Oracle dialect uses, records every call, and runs the statements the dialect generates on
 * in-memory tables by reading them the way Oracle would: each `executeMany` row is one execution
 * of the MERGE (ON keys, WHEN MATCHED … WHERE as an update or a fill of NULL columns, WHEN NOT
 * MATCHED INSERT), with the schema's
 * constraints (lengths, NOT NULL, CHECK ranges and value sets, foreign keys) reported per row as
 * `batchErrors` with real ORA- numbers; columns filled by the database (insert time) get the
 * time of the insert. Transactions are per connection until commit. It is not a database: it runs
 * only the statements the dialect sends, no other SQL.
 */
import { Readable } from 'node:stream';
import { TABLES, TRAINING_EXAMPLES_VIEW } from '@aitdr/schema';
import type { ColumnDef, TableDef } from '@aitdr/schema';
import type {
  OracleBatchError,
  OracleConnection,
  OracleDriver,
  OracleExecuteManyOptions,
  OracleExecuteOptions,
  OracleDbType,
  OraclePool,
  OracleQueryStreamOptions,
  OraclePoolAttributes,
} from '@aitdr/exporter';

type FakeRow = Record<string, unknown>;
type FailingMethod = 'createPool' | 'getConnection' | 'execute' | 'executeMany' | 'queryStream';
type Tables = Map<string, Map<string, FakeRow>>;

export interface RecordedCall {
  readonly method: 'execute' | 'executeMany' | 'queryStream' | 'commit' | 'rollback';
  readonly sql?: string;
  readonly binds?: readonly unknown[];
  readonly options?: OracleExecuteOptions | OracleExecuteManyOptions | OracleQueryStreamOptions;
}

/** What a `queryStream` whose SQL matches `sql` returns: columns with their database types, and rows. */
export interface FakeQueryResult {
  readonly sql: RegExp;
  readonly columns: readonly { readonly name: string; readonly dbType: OracleDbType }[];
  readonly rows: readonly (readonly unknown[])[];
}

const DB_TYPE_VARCHAR = { name: 'DB_TYPE_VARCHAR' };
const DB_TYPE_CLOB = { name: 'DB_TYPE_CLOB' };
const DB_TYPE_NUMBER = { name: 'DB_TYPE_NUMBER' };
const OUT_FORMAT_ARRAY = 4001;
const OUT_FORMAT_OBJECT = 4002;
const CATALOG_QUERY =
  /^SELECT TABLE_NAME AS NAME FROM USER_TABLES UNION ALL SELECT VIEW_NAME FROM USER_VIEWS/;
const tablesByName = new Map(TABLES.map((t) => [t.name, t]));
const TIMESTAMP_TEXT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

function oracleError(errorNum: number, message: string, offset = 0): OracleBatchError {
  const code = `ORA-${String(errorNum).padStart(5, '0')}`;
  return Object.assign(new Error(`${code}: ${message}`), { errorNum, code, offset });
}

interface ParsedMerge {
  readonly table: TableDef;
  /** Source columns with their bind position and whether the bind goes through FROM_TZ(TO_TIMESTAMP(…)). */
  readonly source: readonly { column: string; position: number; timestamp: boolean }[];
  readonly keys: readonly string[];
  readonly update?: {
    readonly columns: readonly string[];
    readonly whereColumn: string;
    readonly wherePosition: number;
  };
  /** Columns `WHEN MATCHED` fills where the stored row has NULL (`t.C = NVL(t.C, s.C)`). */
  readonly fill?: readonly string[];
  readonly insert: readonly string[];
}

const MERGE =
  /^MERGE INTO (\w+) t\nUSING \(SELECT (.*) FROM DUAL\) s\nON \(([^\n]*)\)\n(?:WHEN MATCHED THEN UPDATE SET (.*) WHERE (?:t\.(\w+) = :(\d+)|(.*))\n)?WHEN NOT MATCHED THEN INSERT \((.*)\) VALUES \((.*)\)$/s;

export function parseMerge(sql: string): ParsedMerge {
  const match = MERGE.exec(sql);
  if (!match) throw new Error(`fake oracledb does not understand: ${sql.slice(0, 120)}`);
  const [, name, select, on, set, whereColumn, wherePosition, fillCondition, insertColumns, insertValues] =
    match;
  const table = tablesByName.get(name!);
  if (!table) throw oracleError(942, 'table or view does not exist');
  const source = [
    ...select!.matchAll(/(?:FROM_TZ\(TO_TIMESTAMP\(:(\d+), '[^']*'\), '\+00:00'\)|:(\d+)) AS (\w+)/g),
  ].map((m) => ({ column: m[3]!, position: Number(m[1] ?? m[2]), timestamp: m[1] !== undefined }));
  const insert = insertColumns!.split(', ');
  if (insertValues !== insert.map((c) => `s.${c}`).join(', '))
    throw new Error('INSERT values must be the source columns');
  return {
    table,
    source,
    keys: [...on!.matchAll(/t\.(\w+) = s\.(\w+)/g)].map((m) => m[1]!),
    ...(set === undefined ? {} : fillCondition === undefined ? {} : { fill: parseFill(set, fillCondition) }),
    ...(set === undefined || fillCondition !== undefined
      ? {}
      : {
          update: {
            columns: [...set.matchAll(/t\.(\w+) = s\.(\w+)/g)].map((m) => m[1]!),
            whereColumn: whereColumn!,
            wherePosition: Number(wherePosition),
          },
        }),
    insert,
  };
}

/** The columns of a fill: every SET item `t.C = NVL(t.C, s.C)` and the WHERE naming exactly those. */
function parseFill(set: string, condition: string): string[] {
  const columns = [...set.matchAll(/t\.(\w+) = NVL\(t\.(\w+), s\.(\w+)\)/g)].map((m) => {
    if (m[1] !== m[2] || m[1] !== m[3]) throw new Error(`fake oracledb does not understand: ${m[0]}`);
    return m[1]!;
  });
  if (set !== columns.map((c) => `t.${c} = NVL(t.${c}, s.${c})`).join(', '))
    throw new Error(`fake oracledb does not understand: SET ${set.slice(0, 120)}`);
  const expected = columns.map((c) => `(t.${c} IS NULL AND s.${c} IS NOT NULL)`).join(' OR ');
  if (condition !== expected) throw new Error(`fake oracledb does not understand: WHERE ${condition}`);
  return columns;
}

function bindValue(value: unknown): unknown {
  return typeof value === 'object' && value !== null && 'val' in value ? value.val : value;
}

/** The first constraint of `table` the row breaks, as Oracle would report it. */
function violation(table: TableDef, row: FakeRow, tables: Tables): OracleBatchError | undefined {
  for (const column of table.columns) {
    const value = row[column.name];
    if (value === null || value === undefined) {
      if (!column.nullable && !column.sources.some((s) => s.kind === 'insert-time')) {
        return oracleError(1400, `cannot insert NULL into ("AITDR"."${table.name}"."${column.name}")`);
      }
      continue;
    }
    const problem = columnProblem(table, column, value);
    if (problem) return problem;
  }
  for (const fk of table.foreignKeys) {
    const parent = tables.get(fk.references.table);
    const key = fk.columns.map((c) => String(row[c])).join('/');
    if (!parent?.has(key)) {
      return oracleError(
        2291,
        `integrity constraint (AITDR.AI_${table.code}_QUERY_ID_FK) violated - parent key not found`,
      );
    }
  }
  return undefined;
}

function columnProblem(table: TableDef, column: ColumnDef, value: unknown): OracleBatchError | undefined {
  const { type } = column;
  if ((type.kind === 'varchar' || type.kind === 'id') && String(value).length > type.length) {
    return oracleError(
      12899,
      `value too large for column "AITDR"."${table.name}"."${column.name}" (actual: ${String(value).length}, maximum: ${type.length})`,
    );
  }
  const check = (ok: boolean) =>
    ok
      ? undefined
      : oracleError(2290, `check constraint (AITDR.AI_${table.code}_${column.name}_CK) violated`);
  if (type.kind === 'id') return check(new RegExp(`^[0-9a-f]{${type.length}}$`).test(String(value)));
  if (type.kind === 'boolean') return check(value === 0 || value === 1);
  if (type.kind === 'json') return check(isJson(value));
  if (column.range) return check(Number(value) >= column.range[0] && Number(value) <= column.range[1]);
  if (column.allowed) return check(column.allowed.includes(value as string));
  return undefined;
}

function isJson(value: unknown): boolean {
  try {
    JSON.parse(String(value));
    return true;
  } catch {
    return false;
  }
}

export class FakeConnection implements OracleConnection {
  callTimeout?: number;
  currentSchema?: string;
  closedWith: { drop?: boolean } | undefined;
  private working: Tables | undefined;

  constructor(private readonly db: FakeOracleDb) {}

  private view(): Tables {
    return this.working ?? this.db.tables;
  }

  private writable(): Tables {
    this.working ??= new Map([...this.db.tables].map(([name, rows]) => [name, new Map(rows)]));
    return this.working;
  }

  execute(
    sql: string,
    binds: readonly unknown[] = [],
    options?: OracleExecuteOptions,
  ): Promise<{ rows?: unknown[][] }> {
    this.db.calls.push({ method: 'execute', sql, binds, ...(options ? { options } : {}) });
    const failure = this.db.takeFailure('execute');
    if (failure) return Promise.reject(failure);
    const select =
      /^SELECT QUERY_ID(, OTHER_SPANS)? FROM AI_TRAINING_QUERIES WHERE QUERY_ID IN \(([^)]*)\)( FOR UPDATE)?$/.exec(
        sql,
      );
    if (select) {
      if (options?.outFormat !== OUT_FORMAT_ARRAY) throw new Error('rows must be fetched as arrays');
      const queries = this.view().get('AI_TRAINING_QUERIES') ?? new Map();
      const rows = binds.flatMap((id) => {
        const row = queries.get(String(id));
        if (!row) return [];
        if (!select[1]) return [[row.QUERY_ID]];
        // A CLOB is fetched as a string only when fetchInfo asks for it; otherwise a Lob object.
        const asString = options.fetchInfo?.OTHER_SPANS?.type === DB_TYPE_VARCHAR;
        const spans = row.OTHER_SPANS ?? null;
        return [[row.QUERY_ID, spans === null || asString ? spans : { lob: true }]];
      });
      return Promise.resolve({ rows });
    }
    const update = /^UPDATE AI_TRAINING_QUERIES SET OTHER_SPANS = :1 WHERE QUERY_ID = :2$/.exec(sql);
    if (update) {
      const queries = this.writable().get('AI_TRAINING_QUERIES');
      const row = queries?.get(String(binds[1]));
      if (row) queries!.set(String(binds[1]), { ...row, OTHER_SPANS: bindValue(binds[0]) });
      return Promise.resolve({});
    }
    if (sql === 'SELECT MAX(VERSION) FROM AI_SCHEMA_VERSION') {
      const version = this.db.schemaVersion;
      return version === undefined
        ? Promise.reject(oracleError(942, 'table or view "AITDR"."AI_SCHEMA_VERSION" does not exist'))
        : Promise.resolve({ rows: [[version]] });
    }
    // The schema install: DDL blocks are only recorded; the version MERGE records the version.
    const version = /^MERGE INTO AI_SCHEMA_VERSION v\nUSING \(SELECT (\d+) AS VERSION/.exec(sql);
    if (version) this.db.schemaVersion = Math.max(this.db.schemaVersion ?? 0, Number(version[1]));
    if (/^(BEGIN|CREATE OR REPLACE VIEW|MERGE INTO AI_SCHEMA_VERSION)/.test(sql)) return Promise.resolve({});
    return Promise.reject(new Error(`fake oracledb does not understand: ${sql.slice(0, 120)}`));
  }

  executeMany(
    sql: string,
    binds: readonly (readonly unknown[])[],
    options: OracleExecuteManyOptions,
  ): Promise<{ rowsAffected?: number; batchErrors?: OracleBatchError[] }> {
    this.db.calls.push({ method: 'executeMany', sql, binds, options });
    const failure = this.db.takeFailure('executeMany');
    if (failure) return Promise.reject(failure);
    const merge = parseMerge(sql);
    const tables = this.writable();
    const rows = tables.get(merge.table.name) ?? new Map<string, FakeRow>();
    tables.set(merge.table.name, rows);
    const batchErrors: OracleBatchError[] = [];
    let rowsAffected = 0;
    binds.forEach((bind, offset) => {
      const source: FakeRow = {};
      for (const { column, position, timestamp } of merge.source) {
        const value = bind[position - 1];
        if (timestamp && value !== null && (typeof value !== 'string' || !TIMESTAMP_TEXT.test(value))) {
          batchErrors.push(oracleError(1861, 'literal does not match format string', offset));
          return;
        }
        source[column] = value;
      }
      const key = merge.keys.map((k) => String(source[k])).join('/');
      const existing = rows.get(key);
      if (existing) {
        const { update, fill } = merge;
        const isEmpty = (value: unknown) => value === null || value === undefined;
        const filled = (fill ?? []).filter((c) => isEmpty(existing[c]) && !isEmpty(source[c]));
        if (filled.length > 0) {
          const updated = { ...existing, ...Object.fromEntries(filled.map((c) => [c, source[c]])) };
          const problem = violation(merge.table, updated, tables);
          if (problem) batchErrors.push(Object.assign(problem, { offset }));
          else {
            rows.set(key, updated);
            rowsAffected += 1;
          }
        } else if (update && existing[update.whereColumn] === bind[update.wherePosition - 1]) {
          const updated = { ...existing, ...Object.fromEntries(update.columns.map((c) => [c, source[c]])) };
          const problem = violation(merge.table, updated, tables);
          if (problem) batchErrors.push(Object.assign(problem, { offset }));
          else {
            rows.set(key, updated);
            rowsAffected += 1;
          }
        }
        return;
      }
      const inserted = Object.fromEntries(merge.insert.map((c) => [c, source[c] ?? null]));
      // Columns the database fills (RECORDED_AT: DEFAULT SYSTIMESTAMP), read back as UTC text.
      for (const column of merge.table.columns)
        if (column.sources.some((s) => s.kind === 'insert-time'))
          inserted[column.name] = new Date().toISOString();
      const problem = violation(merge.table, inserted, tables);
      if (problem) {
        if (!options.batchErrors) throw problem;
        batchErrors.push(Object.assign(problem, { offset }));
        return;
      }
      rows.set(key, inserted);
      rowsAffected += 1;
    });
    return Promise.resolve({ rowsAffected, ...(batchErrors.length > 0 ? { batchErrors } : {}) });
  }

  /**
   * Answers the reader's catalog query from `db.catalog`, and other queries from `db.queryResults`
   * (first match). Rows come as objects only with OUT_FORMAT_OBJECT; a CLOB comes as a Lob object
   * unless the fetchTypeHandler asks for text, as node-oracledb does.
   */
  queryStream(sql: string, binds: readonly unknown[], options: OracleQueryStreamOptions): Readable {
    this.db.calls.push({ method: 'queryStream', sql, binds, options });
    const failure = this.db.takeFailure('queryStream');
    if (failure)
      return new Readable({
        objectMode: true,
        read() {
          this.destroy(failure);
        },
      });
    const result = CATALOG_QUERY.test(sql)
      ? {
          sql: CATALOG_QUERY,
          columns: [{ name: 'NAME', dbType: DB_TYPE_VARCHAR }],
          rows: [...this.db.catalog].map((name) => [name]),
        }
      : this.db.queryResults.find((r) => r.sql.test(sql));
    if (!result) throw new Error(`fake oracledb does not understand: ${sql.slice(0, 120)}`);
    const types = result.columns.map(
      (column) =>
        options.fetchTypeHandler({ name: column.name, dbType: column.dbType })?.type ?? column.dbType,
    );
    const rows = result.rows.map((row) => {
      const values = row.map((value, i) =>
        types[i] === DB_TYPE_CLOB && value !== null ? { lob: true, text: value } : value,
      );
      if (options.outFormat !== OUT_FORMAT_OBJECT) return values;
      return Object.fromEntries(result.columns.map((column, i) => [column.name, values[i]]));
    });
    this.db.streamedBatchSizes.push(options.fetchArraySize);
    return Readable.from(rows);
  }

  commit(): Promise<void> {
    this.db.calls.push({ method: 'commit' });
    if (this.working) this.db.tables = this.working;
    this.working = undefined;
    return Promise.resolve();
  }

  rollback(): Promise<void> {
    this.db.calls.push({ method: 'rollback' });
    this.working = undefined;
    return Promise.resolve();
  }

  close(options?: { drop?: boolean }): Promise<void> {
    this.closedWith = options ?? {};
    this.working = undefined;
    return Promise.resolve();
  }
}

export class FakeOracleDb implements OracleDriver {
  readonly DB_TYPE_VARCHAR = DB_TYPE_VARCHAR;
  readonly DB_TYPE_CLOB = DB_TYPE_CLOB;
  readonly DB_TYPE_NUMBER = DB_TYPE_NUMBER;
  readonly OUT_FORMAT_ARRAY = OUT_FORMAT_ARRAY;
  readonly OUT_FORMAT_OBJECT = OUT_FORMAT_OBJECT;
  tables: Tables = new Map();
  /** Tables and views the catalog lists: all of the schema, as after an install. */
  catalog = new Set([...TABLES.map((t) => t.name), TRAINING_EXAMPLES_VIEW]);
  queryResults: FakeQueryResult[] = [];
  readonly streamedBatchSizes: number[] = [];
  closedPools = 0;
  readonly calls: RecordedCall[] = [];
  /** What AI_SCHEMA_VERSION holds; undefined: no schema (ORA-00942). */
  schemaVersion: number | undefined;
  readonly pools: OraclePoolAttributes[] = [];
  readonly connections: FakeConnection[] = [];
  private readonly failures: { method: FailingMethod; error: Error }[] = [];

  createPool(attributes: OraclePoolAttributes): Promise<OraclePool> {
    const failure = this.takeFailure('createPool');
    if (failure) return Promise.reject(failure);
    this.pools.push(attributes);
    const pool: OraclePool = {
      getConnection: () => {
        const failure = this.takeFailure('getConnection');
        if (failure) return Promise.reject(failure);
        const connection = new FakeConnection(this);
        this.connections.push(connection);
        return Promise.resolve(connection);
      },
      close: () => {
        this.closedPools += 1;
        return Promise.resolve();
      },
    };
    return Promise.resolve(pool);
  }

  /** The next call of `method` fails with `error` (queued in order). */
  failNext(method: FailingMethod, error: Error): void {
    this.failures.push({ method, error });
  }

  takeFailure(method: FailingMethod): Error | undefined {
    const index = this.failures.findIndex((f) => f.method === method);
    return index < 0 ? undefined : this.failures.splice(index, 1)[0]!.error;
  }

  rows(table: string): FakeRow[] {
    return [...(this.tables.get(table)?.values() ?? [])];
  }

  statements(method: RecordedCall['method']): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }
}

export { oracleError };
