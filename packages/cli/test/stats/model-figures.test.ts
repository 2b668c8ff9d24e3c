/**
 * The stats' per-model percentiles and token sums and the schema contexts' figures equal what
 * sorting every value gives, for group sizes where (n - 1) · p is whole, fractional, or rounded in
 * doubles; with ties and missing values. (Ranks read in SQL with ROW_NUMBER were tried and gave
 * these figures too, but SQLite's sort of 400k interactions per percentile column cost more CPU
 * than streaming them: the report streams them.)
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schemaInstallScript } from '@aitdr/schema';
import { openTableReader } from '@aitdr/exporter';
import { collectStats, percentile } from '@aitdr/cli';
import type { StatsReport } from '@aitdr/cli';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';
import { insertRow } from '../support/store-rows.js';

const query = (q: number) => q.toString(16).padStart(32, '0');
/** Sizes 1 to 41 (ranks like 19 · 0.95, which doubles round below 18.05) and 101 with ties. */
const SIZES = [...Array.from({ length: 41 }, (_, i) => i + 1), 101];

interface Expected {
  latencies: number[];
  inputs: number[];
  calls: number;
  withTokens: number;
  inputTokens: number;
  outputTokens: number;
}

describe('model and schema-context figures', () => {
  const dir = createTemporaryDirectory('aitdr-stats-sql-');
  const expected = new Map<string, Expected>();
  const contextTokens: number[] = [];
  let contexts = 0;
  let report: StatsReport;

  beforeAll(async () => {
    const filename = join(dir.path, 'training.db');
    const db = new Database(filename);
    db.exec(schemaInstallScript('sqlite'));
    let q = 0;
    for (const [i, size] of SIZES.entries()) {
      const model = `model-${i}`;
      const source = i % 2 === 0 ? 'api' : 'local';
      const figures: Expected = {
        latencies: [],
        inputs: [],
        calls: 0,
        withTokens: 0,
        inputTokens: 0,
        outputTokens: 0,
      };
      for (let k = 0; k < size; k++) {
        const queryId = query(++q);
        insertRow(db, 'AI_TRAINING_QUERIES', { QUERY_ID: queryId });
        // Out of order, with ties; every seventh call without a latency, every fifth without tokens.
        const latency = k % 7 === 3 ? null : ((k * 37) % 23) * 1.25 + (size % 3) / 10;
        const input = k % 5 === 1 ? null : (k * 13) % 17;
        const output = k % 5 === 1 ? null : k % 4 === 0 ? null : k;
        insertRow(db, 'AI_MODEL_INTERACTIONS', {
          QUERY_ID: queryId,
          MODEL_SOURCE: source,
          REQUEST_MODEL: model,
          LATENCY_MS: latency,
          INPUT_TOKENS: input,
          OUTPUT_TOKENS: output,
        });
        figures.calls += 1;
        if (latency !== null) figures.latencies.push(latency);
        if (input !== null || output !== null) figures.withTokens += 1;
        if (input !== null) figures.inputs.push(input);
        figures.inputTokens += input ?? 0;
        figures.outputTokens += output ?? 0;
        if (k % 3 === 0) {
          const tokens = k % 9 === 0 ? null : (k * 29) % 31;
          insertRow(db, 'AI_SCHEMA_CONTEXTS', { QUERY_ID: queryId, TOKEN_COUNT: tokens });
          contexts += 1;
          if (tokens !== null) contextTokens.push(tokens);
        }
      }
      expected.set(`${source} ${model}`, figures);
    }
    db.close();
    const reader = await openTableReader(`sqlite:${filename}`);
    try {
      report = await collectStats(reader);
    } finally {
      await reader.close();
    }
  });
  afterAll(() => dir.remove());

  const sorted = (values: readonly number[]) => Float64Array.from(values).sort();

  it('gives each model the percentiles and token sums of all its calls', () => {
    expect(report.models).toHaveLength(SIZES.length);
    for (const model of report.models) {
      const figures = expected.get(`${model.source} ${model.model}`)!;
      const want = {
        model: model.model,
        source: model.source,
        calls: figures.calls,
        callsWithTokens: figures.withTokens,
        inputTokens: figures.inputTokens,
        outputTokens: figures.outputTokens,
        p50Ms: percentile(sorted(figures.latencies), 0.5),
        p95Ms: percentile(sorted(figures.latencies), 0.95),
        inputP50: percentile(sorted(figures.inputs), 0.5),
        inputP95: percentile(sorted(figures.inputs), 0.95),
      };
      expect(model, model.model).toEqual(
        Object.fromEntries(Object.entries(want).filter(([, value]) => value !== undefined)),
      );
    }
  });

  it('gives the schema contexts their count, mean and p95 tokens', () => {
    expect(report.schemaContextTokens).toEqual({
      contexts,
      withTokens: contextTokens.length,
      mean: Math.round((10 * contextTokens.reduce((a, b) => a + b, 0)) / contextTokens.length) / 10,
      p95: percentile(sorted(contextTokens), 0.95),
    });
  });
});
