import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { createSampleDatabase, openSampleDatabase } from '@aitdr/demo';
import type { SampleDatabaseOptions, SampleDatabaseSummary } from '@aitdr/demo';

export interface TemporarySampleDatabase {
  readonly summary: SampleDatabaseSummary;
  /** Read-only connection, as the pipeline uses it. */
  readonly db: Database.Database;
  readonly path: string;
  remove(): void;
}

/** A sample database in a fresh directory under the system temp dir. */
export function createTemporarySampleDatabase(options: SampleDatabaseOptions = {}): TemporarySampleDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'aitdr-demo-'));
  const path = join(dir, 'manufacturing.db');
  const summary = createSampleDatabase(path, options);
  const db = openSampleDatabase(path);
  return {
    summary,
    db,
    path,
    remove: () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
