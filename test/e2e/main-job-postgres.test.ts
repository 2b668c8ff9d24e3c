/**
 * The main job on PostgreSQL (a database of its own on the local server): the demo in-process
 * (SDK → table exporter, no OTLP), the export and the stats read back from PostgreSQL.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTemporaryDatabase } from '../support/postgres.js';
import type { TemporaryDatabase } from '../support/postgres.js';
import { createTemporaryDirectory } from '../support/temp-dir.js';
import { expectExportRuns, expectStoreAsSent, runCli } from './support/main-job.js';
import type { CliRun } from './support/main-job.js';

describe('the main job on PostgreSQL', () => {
  const dir = createTemporaryDirectory('aitdr-e2e-postgres-');
  const sampleDatabase = join(dir.path, 'sample-manufacturing.db');
  let database: TemporaryDatabase;
  let demo: CliRun;

  beforeAll(async () => {
    database = await createTemporaryDatabase('aitdr_e2e');
    demo = await runCli('demo', [
      '--in-process',
      '--queries',
      '60',
      '--seed',
      '7',
      '--store',
      database.url,
      '--sample-db',
      sampleDatabase,
      '--state-dir',
      join(dir.path, 'state'),
    ]);
  });

  afterAll(async () => {
    await database?.drop();
    dir.remove();
  });

  it('records in-process, and the store holds what the demo says it sent', async () => {
    expect(demo.stderr).toBe('');
    expect(demo.code).toBe(0);
    expect(demo.stdout).toContain('Recorded 60 questions');
    expect(demo.stdout).toContain('sent to the table exporter, in-process');
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await expectStoreAsSent(
        async (sql) => Number((await client.query<{ n: string }>(sql)).rows[0]!.n),
        demo.stdout,
      );
    } finally {
      await client.end();
    }
  });

  it('exports from PostgreSQL JSON Lines whose SQL runs on the sample database', async () => {
    const out = join(dir.path, 'export');
    const run = await runCli('export', ['--store', database.url, '--out', out, '--format', 'chat']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(expectExportRuns(out, sampleDatabase)).toBeGreaterThan(10);
  });

  it('reports stats from PostgreSQL', async () => {
    const html = join(dir.path, 'stats.html');
    const run = await runCli('stats', ['--store', database.url, '--html', html]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/│ Queries\s+│ 60\s+│/);
    expect(run.stdout).toMatch(/│ local-model-stand-in │ local\s+│\s+\d+ │/);
    expect(existsSync(html)).toBe(true);
  });
});
