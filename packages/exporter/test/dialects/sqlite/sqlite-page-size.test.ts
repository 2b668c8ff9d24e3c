/**
 * A database file the exporter creates has 8 KiB pages (a model interaction's row fits a page, no
 * overflow pages); a file that already exists keeps the page size it was made with.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { toSpanRecord } from '@aitdr/conventions';
import { createTableExporter } from '@aitdr/exporter';
import { AI_MODEL_INTERACTIONS } from '@aitdr/schema';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';
import { recordPipeline } from '../../support/traces.js';

describe('SQLite page size', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function writeOneQuery(filename: string, state: string): Promise<string> {
    const exporter = createTableExporter({
      store: { dialect: 'sqlite', filename },
      stateDirectory: state,
    });
    const { spans, traceId } = recordPipeline();
    await exporter.writeTraces(spans.map(toSpanRecord), { require: 'committed' });
    await exporter.shutdown();
    return traceId;
  }

  function inspect(filename: string, traceId: string): { pageSize: unknown; interactions: unknown } {
    const db = new Database(filename, { readonly: true });
    try {
      return {
        pageSize: db.pragma('page_size', { simple: true }),
        interactions: db
          .prepare(`SELECT COUNT(*) FROM ${AI_MODEL_INTERACTIONS.name} WHERE QUERY_ID = ?`)
          .pluck()
          .get(traceId),
      };
    } finally {
      db.close();
    }
  }

  it('creates a new file with 8 KiB pages', async () => {
    const dir = createTemporaryDirectory('aitdr-exporter-sqlite-page-');
    cleanups.push(() => dir.remove());
    const filename = join(dir.path, 'training.db');
    const traceId = await writeOneQuery(filename, join(dir.path, 'state'));
    expect(inspect(filename, traceId)).toEqual({ pageSize: 8192, interactions: 2 });
  });

  it('keeps the page size of a file that already exists', async () => {
    const dir = createTemporaryDirectory('aitdr-exporter-sqlite-page-');
    cleanups.push(() => dir.remove());
    const filename = join(dir.path, 'training.db');
    const existing = new Database(filename);
    existing.pragma('page_size = 4096');
    existing.pragma('journal_mode = WAL');
    existing.exec('CREATE TABLE APP_OWN (ID INTEGER PRIMARY KEY)');
    existing.close();
    const traceId = await writeOneQuery(filename, join(dir.path, 'state'));
    expect(inspect(filename, traceId)).toEqual({ pageSize: 4096, interactions: 2 });
  });
});
