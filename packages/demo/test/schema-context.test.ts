import { afterAll, describe, expect, it } from 'vitest';
import { stageProblems } from './support/stage-fields.js';
import {
  DEMO_QUESTIONS,
  SAMPLE_TABLES,
  buildSchemaContext,
  estimateTokens,
  readDatabaseSchema,
} from '@aitdr/demo';
import { createTemporarySampleDatabase } from './support/sample-database.js';

/** Tables a reference query reads, found in its text (CTE names are not tables of the schema). */
function tablesRead(sql: string): string[] {
  return [...new Set([...sql.matchAll(/\b(?:FROM|JOIN)\s+([a-z_]+)/g)].map((m) => m[1]!))].filter((t) =>
    (SAMPLE_TABLES as readonly string[]).includes(t),
  );
}

describe('schema context', () => {
  const sample = createTemporarySampleDatabase();
  afterAll(() => sample.remove());
  const schema = readDatabaseSchema(sample.db);

  describe('readDatabaseSchema', () => {
    it('reads the tables, columns and keys from the database itself', () => {
      expect(schema.namespace).toBe('main');
      expect(schema.tables.map((t) => t.name)).toEqual([...SAMPLE_TABLES]);
      const runs = schema.tables.find((t) => t.name === 'production_runs')!;
      expect(runs.rowCount).toBe(sample.summary.rowCounts.production_runs);
      expect(runs.columns.find((c) => c.name === 'run_id')).toMatchObject({
        type: 'INTEGER',
        primaryKey: true,
      });
      expect(runs.columns.find((c) => c.name === 'line_id')).toMatchObject({
        notNull: true,
        references: { table: 'production_lines', column: 'line_id' },
      });
    });

    it('reads the values of small lookup tables only', () => {
      const shifts = schema.tables.find((t) => t.name === 'shifts')!;
      expect(shifts.columns.find((c) => c.name === 'name')!.values).toEqual(['Day', 'Evening', 'Night']);
      const runs = schema.tables.find((t) => t.name === 'production_runs')!;
      expect(runs.columns.every((c) => c.values === undefined)).toBe(true);
    });
  });

  describe('buildSchemaContext', () => {
    it('gives every demo question the tables its reference SQL reads', () => {
      for (const question of DEMO_QUESTIONS) {
        const { fields } = buildSchemaContext(question.text, schema);
        expect(fields.retrievalMethod, question.id).toBe('keyword');
        expect(fields.tables, question.id).toEqual(expect.arrayContaining(tablesRead(question.referenceSql)));
      }
    });

    it('chooses a few tables, not the whole schema, for a focused question', () => {
      const { fields } = buildSchemaContext('Total downtime minutes by line', schema);
      expect(fields.tables).toEqual(['production_lines', 'downtime_events']);
    });

    it('adds the tables that join the chosen ones', () => {
      // quality_checks reaches shifts only through production_runs
      const { fields } = buildSchemaContext('scrap rate per shift', schema);
      expect(fields.tables).toEqual(['shifts', 'production_runs', 'quality_checks']);
    });

    it('finds tables by their values: a city names the plants table', () => {
      const { fields } = buildSchemaContext('downtime in Detroit', schema);
      expect(fields.tables).toContain('plants');
    });

    it('gives the whole schema when nothing matches', () => {
      const { fields } = buildSchemaContext('hello there', schema);
      expect(fields.retrievalMethod).toBe('full_schema');
      expect(fields.tables).toEqual([...SAMPLE_TABLES]);
    });

    it('renders the chosen tables as DDL with lookup values, and counts its tokens', () => {
      const { fields } = buildSchemaContext(
        'Compare efficiency between the day, evening and night shifts',
        schema,
      );
      expect(fields.contextText).toContain('CREATE TABLE shifts (\n  shift_id INTEGER PRIMARY KEY,');
      expect(fields.contextText).toContain('  shift_id INTEGER NOT NULL REFERENCES shifts(shift_id),');
      expect(fields.contextText).toContain("-- shifts.name: 'Day', 'Evening', 'Night'");
      expect(fields.contextText).not.toContain('CREATE TABLE quality_checks');
      expect(fields.tokenCount).toBe(estimateTokens(fields.contextText));
      expect(fields.tokenCount).toBeGreaterThan(50);
      expect(stageProblems('schema_context', fields)).toEqual([]);
    });
  });
});
