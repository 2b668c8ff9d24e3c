/**
 * The stats count the export's rules without reading each schema context's text (SQLite gives a
 * stand-in for a context that cannot be blank): blank contexts, by JavaScript's `trim()`, are still
 * found missing, and contexts starting with white space but holding text still found present.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTableReader } from '@aitdr/exporter';
import { collectDataset, DEFAULT_GOLD_RULES } from '@aitdr/cli';
import type { DatasetOptions } from '@aitdr/cli';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';
import { writeFixedStore } from '../support/fixed-store.js';

const CONTEXTS = [
  '',
  ' ',
  '\u3000\t\n',
  '\ufeff',
  ' \tCREATE TABLE t (a INT)',
  '\u00a0x',
  'CREATE TABLE u (b INT)',
];

describe('the stats’ reading of schema contexts', () => {
  const dir = createTemporaryDirectory('aitdr-stats-contexts-');
  const file = join(dir.path, 'training.db');
  beforeAll(() => {
    writeFixedStore(file, 60);
    const db = new Database(file);
    const ids = db
      .prepare('SELECT QUERY_ID FROM AI_SCHEMA_CONTEXTS ORDER BY QUERY_ID')
      .pluck()
      .all() as string[];
    const update = db.prepare('UPDATE AI_SCHEMA_CONTEXTS SET CONTEXT_TEXT = ? WHERE QUERY_ID = ?');
    ids.forEach((id, i) => update.run(CONTEXTS[i % CONTEXTS.length], id));
    db.close();
  });
  afterAll(() => dir.remove());

  it('skips the same queries for want of a schema context as a reader of the whole text', async () => {
    const options: DatasetOptions = {
      rules: DEFAULT_GOLD_RULES,
      filters: {},
      dedupe: true,
      validationRatio: 0.1,
      seed: '42',
    };
    const read = async (sink: Parameters<typeof collectDataset>[2]) => {
      const reader = await openTableReader(`sqlite:${file}`);
      try {
        return await collectDataset(reader, options, sink);
      } finally {
        await reader.close();
      }
    };
    const counted = await read({ row: () => undefined });
    const written = await read({ example: () => undefined, pair: () => undefined });
    expect(counted.skipped.noSchemaContext).toBeGreaterThan(0);
    expect(counted.skipped).toEqual(written.skipped);
    expect(counted.examples).toEqual(written.examples);
    expect(counted.pairSkips).toEqual(written.pairSkips);
  });
});
