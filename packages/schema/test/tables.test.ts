import { describe, expect, it } from 'vitest';
import { STAGE_NAMES, STAGES } from '@aitdr/conventions';
import type { AttributeSpec } from '@aitdr/conventions';
import {
  AI_SCHEMA_VERSION,
  AI_TRAINING_QUERIES,
  DDL_RULES,
  ORACLE_MAX_VARCHAR_CHARS,
  TABLES,
  tableForStage,
} from '@aitdr/schema';
import { RESERVED_WORDS } from './reserved-words.js';

const NINE_TABLES = [
  'AI_TRAINING_QUERIES',
  'AI_QUERY_CLASSIFICATIONS',
  'AI_SCHEMA_CONTEXTS',
  'AI_MODEL_INTERACTIONS',
  'AI_RESPONSE_SELECTIONS',
  'AI_SQL_PROCESSING',
  'AI_EXECUTION_RESULTS',
  'AI_FALLBACK_EVENTS',
  'AI_USER_FEEDBACK',
];

describe('the nine tables', () => {
  it('are exactly the nine, parents first, one per stage', () => {
    expect(TABLES.map((table) => table.name)).toEqual(NINE_TABLES);
    expect(STAGE_NAMES.map((stage) => tableForStage(stage).name).sort()).toEqual([...NINE_TABLES].sort());
  });

  it('key the query table by the trace ID', () => {
    expect(AI_TRAINING_QUERIES.primaryKey).toEqual(['QUERY_ID']);
    const queryId = AI_TRAINING_QUERIES.columns.find((column) => column.name === 'QUERY_ID');
    expect(queryId?.type).toEqual({ kind: 'id', length: 32 });
    expect(queryId?.sources).toEqual([{ kind: 'span', field: 'traceId' }]);
    expect(AI_TRAINING_QUERIES.columns.map((column) => column.name)).toContain('USERNAME');
  });

  it('give every other table its own ID and an indexed QUERY_ID foreign key', () => {
    for (const table of TABLES.slice(1)) {
      const names = table.columns.map((column) => column.name);
      expect(names, table.name).toEqual(
        expect.arrayContaining([
          'QUERY_ID',
          'SPAN_ID',
          'PARENT_SPAN_ID',
          'START_TIME',
          'END_TIME',
          'DURATION_MS',
        ]),
      );
      expect(names, table.name).toEqual(
        expect.arrayContaining(['STATUS_CODE', 'ERROR_MESSAGE', 'ATTRIBUTES']),
      );
      expect(table.foreignKeys).toEqual([
        {
          columns: ['QUERY_ID'],
          references: { table: 'AI_TRAINING_QUERIES', columns: ['QUERY_ID'] },
          onDelete: 'cascade',
        },
      ]);
      const leadingColumns = [table.primaryKey[0], ...table.indexes.map((index) => index.columns[0])];
      expect(leadingColumns, `${table.name}: QUERY_ID leads an index`).toContain('QUERY_ID');
      const id = table.columns[0]!;
      expect(id.name).toMatch(/_ID$/);
      expect(table.primaryKey).toContain(id.name);
    }
  });

  it('map every attribute of a stage to a column of its table', () => {
    for (const stage of STAGE_NAMES) {
      const table = tableForStage(stage);
      const mapped = new Set(
        table.columns.flatMap((column) =>
          column.sources.flatMap((source) => (source.kind === 'attribute' ? [source.key] : [])),
        ),
      );
      const specs = Object.values(STAGES[stage].fields) as AttributeSpec[];
      for (const spec of specs) expect(mapped.has(spec.key), `${stage} ${spec.key}`).toBe(true);
      // and no column reads an attribute its stage does not define
      const defined = new Set(specs.map((spec) => spec.key));
      for (const key of mapped) expect(defined.has(key), `${table.name} reads ${key}`).toBe(true);
    }
  });

  it('use identifiers that are short, upper-case and reserved in no dialect', () => {
    const identifiers: string[] = [];
    for (const table of [...TABLES, AI_SCHEMA_VERSION]) {
      identifiers.push(table.name, ...table.columns.map((c) => c.name), ...table.indexes.map((i) => i.name));
      identifiers.push(`AI_${table.code}_PK`, ...table.columns.map((c) => `AI_${table.code}_${c.name}_CK`));
    }
    for (const identifier of identifiers) {
      expect(identifier).toMatch(/^[A-Z][A-Z0-9_]*$/);
      expect(Buffer.byteLength(identifier), identifier).toBeLessThanOrEqual(128);
      expect(RESERVED_WORDS.has(identifier), `${identifier} is reserved`).toBe(false);
    }
    const codes = [...TABLES, AI_SCHEMA_VERSION].map((table) => table.code);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('keep Oracle VARCHAR2 columns within 4000 bytes', () => {
    for (const table of TABLES) {
      for (const column of table.columns) {
        if (column.type.kind === 'varchar') {
          expect(column.type.length, `${table.name}.${column.name}`).toBeLessThanOrEqual(
            ORACLE_MAX_VARCHAR_CHARS,
          );
        }
        expect(DDL_RULES.oracle.columnType(column.type)).toMatch(
          /^(VARCHAR2\(\d+ CHAR\)|CLOB|NUMBER\(\d+(,\d+)?\)|BINARY_DOUBLE|TIMESTAMP\(6\) WITH TIME ZONE)$/,
        );
      }
    }
  });
});
