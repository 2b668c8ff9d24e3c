import type { SchemaContextFields } from '@aitdr/conventions';
import type Database from 'better-sqlite3';
import { normalizeQuestion } from './questions.js';
import { estimateTokens } from './tokens.js';

export interface ColumnInfo {
  readonly name: string;
  readonly type: string;
  readonly notNull: boolean;
  readonly primaryKey: boolean;
  readonly references?: { readonly table: string; readonly column: string };
  /** Distinct values, for text columns of small lookup tables only: hints and retrieval terms. */
  readonly values?: readonly string[];
}

export interface TableInfo {
  readonly name: string;
  readonly columns: readonly ColumnInfo[];
  readonly rowCount: number;
}

/** A database's schema as read from the database itself. */
export interface DatabaseSchema {
  /** Schema name the tables live in (`main` for SQLite). */
  readonly namespace: string;
  /** Tables in creation order. */
  readonly tables: readonly TableInfo[];
}

/** Tables up to this size are lookup tables whose text values are read and indexed. */
const LOOKUP_TABLE_MAX_ROWS = 60;
/** Value hints are shown for lookup columns with at most this many distinct values. */
const VALUE_HINT_MAX = 12;

/** Reads tables, columns, keys and lookup values from `sqlite_master` and the table pragmas. */
export function readDatabaseSchema(db: Database.Database, namespace = 'main'): DatabaseSchema {
  const tableNames = db
    .prepare<[], { name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid",
    )
    .all()
    .map((row) => row.name);
  const tables = tableNames.map((table): TableInfo => {
    const quoted = `"${table.replaceAll('"', '""')}"`;
    const rowCount = db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM ${quoted}`).get()!.n;
    const foreignKeys = db
      .prepare<[string], { table: string; from: string; to: string }>(
        'SELECT * FROM pragma_foreign_key_list(?)',
      )
      .all(table);
    const columns = db
      .prepare<[string], { name: string; type: string; notnull: number; pk: number }>(
        'SELECT * FROM pragma_table_info(?)',
      )
      .all(table)
      .map((column): ColumnInfo => {
        const reference = foreignKeys.find((fk) => fk.from === column.name);
        const isLookupText =
          rowCount <= LOOKUP_TABLE_MAX_ROWS && /TEXT|CHAR/i.test(column.type) && column.pk === 0;
        const quotedColumn = `"${column.name.replaceAll('"', '""')}"`;
        const values = isLookupText
          ? db
              .prepare<[], { v: string }>(
                `SELECT DISTINCT ${quotedColumn} AS v FROM ${quoted} WHERE ${quotedColumn} IS NOT NULL ORDER BY 1`,
              )
              .all()
              .map((row) => String(row.v))
          : undefined;
        return {
          name: column.name,
          type: column.type,
          notNull: column.notnull === 1,
          primaryKey: column.pk > 0,
          ...(reference ? { references: { table: reference.table, column: reference.to } } : {}),
          ...(values ? { values } : {}),
        };
      });
    return { name: table, columns, rowCount };
  });
  return { namespace, tables };
}

/**
 * Domain words that name no table or column but point at one: the small glossary a real
 * retrieval layer keeps next to the schema. Keys match as word prefixes.
 */
const GLOSSARY: Readonly<Record<string, readonly string[]>> = {
  efficien: ['production_runs'],
  output: ['production_runs'],
  produced: ['production_runs'],
  throughput: ['production_runs'],
  schedul: ['production_runs'],
  planned: ['production_runs'],
  scrap: ['quality_checks', 'production_runs'],
  yield: ['quality_checks', 'production_runs'],
  defect: ['quality_checks'],
  reject: ['quality_checks'],
  inspect: ['quality_checks', 'operators'],
  stoppage: ['downtime_events'],
  breakdown: ['downtime_events'],
  failure: ['downtime_events', 'downtime_reasons'],
  outage: ['downtime_events'],
  lost: ['downtime_events'],
  value: ['products'],
  cost: ['products'],
  staff: ['operators'],
  people: ['operators'],
  worker: ['operators'],
  supervisor: ['operators'],
  led: ['operators'],
};

const IGNORED_PARTS = new Set(['id', 'at', 'name', 'on', 'of', 'the', 'and', 'by', 'per']);

export interface SchemaContextOptions {
  /** Most tables chosen by keyword before joining tables are added. Default 6. */
  maxTables?: number;
}

export interface SchemaContext {
  readonly fields: SchemaContextFields & {
    readonly tables: readonly string[];
    readonly contextText: string;
    readonly tokenCount: number;
  };
}

/**
 * Chooses the tables relevant to a question by keyword retrieval over the real schema (table and
 * column names, lookup values, a small glossary), adds the tables needed to join them, and renders
 * the context text the models are given. When nothing matches, the whole schema is given.
 */
export function buildSchemaContext(
  question: string,
  schema: DatabaseSchema,
  options: SchemaContextOptions = {},
): SchemaContext {
  const maxTables = options.maxTables ?? 6;
  const scores = scoreTables(question, schema);
  const matched = schema.tables
    .filter((table) => (scores.get(table.name) ?? 0) >= 2)
    .sort((a, b) => scores.get(b.name)! - scores.get(a.name)!)
    .slice(0, maxTables)
    .map((table) => table.name);

  const retrievalMethod = matched.length === 0 ? 'full_schema' : 'keyword';
  const chosen = new Set(
    matched.length === 0 ? schema.tables.map((t) => t.name) : withJoinTables(matched, schema),
  );
  const tables = schema.tables.filter((table) => chosen.has(table.name));
  const contextText = renderSchemaContext(tables, schema.namespace);
  return {
    fields: {
      retrievalMethod,
      tables: tables.map((t) => t.name),
      contextText,
      tokenCount: estimateTokens(contextText),
      dbNamespace: schema.namespace,
    },
  };
}

function singular(word: string): string {
  if (word.endsWith('ies') && word.length > 4) return `${word.slice(0, -3)}y`;
  if (word.endsWith('s') && !word.endsWith('ss') && word.length > 3) return word.slice(0, -1);
  return word;
}

function words(text: string): string[] {
  return normalizeQuestion(text.replaceAll('_', ' '))
    .split(' ')
    .filter((w) => w !== '')
    .map(singular);
}

/** Relevance of each table: table-name words weigh most (less when several tables share one). */
function scoreTables(question: string, schema: DatabaseSchema): Map<string, number> {
  const questionWords = new Set(words(question));
  const nameWordTables = new Map<string, number>();
  for (const table of schema.tables) {
    for (const word of new Set(words(table.name)))
      nameWordTables.set(word, (nameWordTables.get(word) ?? 0) + 1);
  }
  // A value word that is also a schema word ("Product changeover", "planned") or a number points
  // at the schema word's table, not at the lookup table holding the value.
  const schemaWords = new Set(
    schema.tables.flatMap((t) => [...words(t.name), ...t.columns.flatMap((c) => words(c.name))]),
  );
  const isValueTerm = (word: string) =>
    !schemaWords.has(word) && !IGNORED_PARTS.has(word) && !/^\d+$/.test(word);

  const scores = new Map<string, number>();
  for (const table of schema.tables) {
    let score = 0;
    for (const word of new Set(words(table.name))) {
      if (questionWords.has(word)) score += 3 / nameWordTables.get(word)!;
    }
    const columnWords = new Set(
      table.columns.flatMap((c) => words(c.name)).filter((w) => !IGNORED_PARTS.has(w)),
    );
    for (const word of columnWords) if (questionWords.has(word)) score += 1;
    const valueWords = new Set(
      table.columns.flatMap((c) => (c.values ?? []).flatMap(words)).filter(isValueTerm),
    );
    for (const word of valueWords) if (questionWords.has(word)) score += 2;
    scores.set(table.name, score);
  }
  for (const [prefix, tables] of Object.entries(GLOSSARY)) {
    if (![...questionWords].some((word) => word.startsWith(prefix))) continue;
    for (const table of tables) if (scores.has(table)) scores.set(table, scores.get(table)! + 2);
  }
  return scores;
}

/** Adds the tables on the shortest foreign-key path between each pair of chosen tables. */
function withJoinTables(tables: readonly string[], schema: DatabaseSchema): string[] {
  const neighbours = new Map<string, Set<string>>(schema.tables.map((t) => [t.name, new Set<string>()]));
  for (const table of schema.tables) {
    for (const column of table.columns) {
      if (!column.references || !neighbours.has(column.references.table)) continue;
      neighbours.get(table.name)!.add(column.references.table);
      neighbours.get(column.references.table)!.add(table.name);
    }
  }
  const result = new Set(tables);
  for (let i = 0; i < tables.length; i++) {
    for (let j = i + 1; j < tables.length; j++) {
      for (const table of shortestPath(tables[i]!, tables[j]!, neighbours)) result.add(table);
    }
  }
  return [...result];
}

function shortestPath(
  from: string,
  to: string,
  neighbours: ReadonlyMap<string, ReadonlySet<string>>,
): string[] {
  const previous = new Map<string, string | undefined>([[from, undefined]]);
  const queue = [from];
  while (queue.length > 0) {
    const current = queue.shift()!;
    if (current === to) break;
    for (const next of neighbours.get(current) ?? []) {
      if (previous.has(next)) continue;
      previous.set(next, current);
      queue.push(next);
    }
  }
  if (!previous.has(to)) return [];
  const path: string[] = [];
  for (let node: string | undefined = to; node !== undefined; node = previous.get(node)) path.unshift(node);
  return path;
}

/** The context text: one CREATE TABLE per table, then the values of small lookup columns. */
export function renderSchemaContext(tables: readonly TableInfo[], namespace: string): string {
  const lines = [`-- SQLite database "${namespace}". Dates are ISO-8601 text; use date() and strftime().`];
  for (const table of tables) {
    const columns = table.columns.map((column) => {
      const parts = [`  ${column.name}`, column.type];
      if (column.primaryKey) parts.push('PRIMARY KEY');
      else if (column.notNull) parts.push('NOT NULL');
      if (column.references) parts.push(`REFERENCES ${column.references.table}(${column.references.column})`);
      return parts.join(' ');
    });
    lines.push(`CREATE TABLE ${table.name} (\n${columns.join(',\n')}\n);`);
    for (const column of table.columns) {
      if (column.values && column.values.length <= VALUE_HINT_MAX) {
        lines.push(`-- ${table.name}.${column.name}: ${column.values.map((v) => `'${v}'`).join(', ')}`);
      }
    }
  }
  return lines.join('\n');
}
