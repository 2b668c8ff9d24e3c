/**
 * Every store's driver can be handed in, as the Oracle one always could: the writer and the
 * reader then use that module, not the package they would load.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toSpanRecord } from '@aitdr/conventions';
import {
  DriverUnavailableError,
  StoreOpenError,
  createTableExporter,
  openTableReader,
} from '@aitdr/exporter';
import type { PostgresDriver, PostgresStoreOptions, SqliteStoreOptions } from '@aitdr/exporter';
import { createTemporaryDatabase } from '@aitdr/tests/support/postgres.js';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';
import { recordPipeline } from '../support/traces.js';

const queryRows = (store: PostgresStoreOptions | SqliteStoreOptions) =>
  openTableReader(store, { requiredTables: ['AI_TRAINING_QUERIES'] }).then(async (reader) => {
    try {
      return await reader.query('SELECT QUERY_ID FROM AI_TRAINING_QUERIES');
    } finally {
      await reader.close();
    }
  });

describe('a pg module handed in', () => {
  let database: { url: string; drop(): Promise<void> };
  let dir: { path: string; remove(): void };
  beforeAll(async () => {
    database = await createTemporaryDatabase('aitdr_injected');
    dir = createTemporaryDirectory('aitdr-injected-pg-');
  });
  afterAll(async () => {
    await database?.drop();
    dir?.remove();
  });

  it('is the one the writer and the reader open their pools with', async () => {
    const pools: string[] = [];
    const driver: PostgresDriver = {
      Pool: class extends pg.Pool {
        constructor(config: pg.PoolConfig) {
          super(config);
          pools.push(String(config.application_name));
        }
      },
      types: pg.types,
    };
    const store: PostgresStoreOptions = { dialect: 'postgres', connectionString: database.url, driver };
    const exporter = createTableExporter({ store, installSchema: true, stateDirectory: dir.path });
    const trace = recordPipeline();
    try {
      await exporter.writeTraces(trace.spans.map(toSpanRecord), { require: 'committed' });
    } finally {
      await exporter.shutdown();
    }
    expect(await queryRows(store)).toEqual([{ QUERY_ID: trace.traceId }]);
    expect(pools).toEqual(['aitdr-exporter', 'aitdr-reader']);
  });
});

describe('a better-sqlite3 module named by path', () => {
  let dir: { path: string; remove(): void };
  beforeAll(() => {
    dir = createTemporaryDirectory('aitdr-injected-sqlite-');
  });
  afterAll(() => dir?.remove());

  it('is loaded by the writer’s thread and the reader', async () => {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const store: SqliteStoreOptions = { dialect: 'sqlite', filename: join(dir.path, 'a.db'), driver };
    const exporter = createTableExporter({ store, stateDirectory: join(dir.path, 'state') });
    const trace = recordPipeline();
    try {
      await exporter.writeTraces(trace.spans.map(toSpanRecord), { require: 'committed' });
    } finally {
      await exporter.shutdown();
    }
    expect(await queryRows(store)).toEqual([{ QUERY_ID: trace.traceId }]);
  });

  it('stops the start, and the reader, naming the module when it cannot be loaded', async () => {
    const driver = join(dir.path, 'no-such-driver.js');
    const store: SqliteStoreOptions = { dialect: 'sqlite', filename: join(dir.path, 'a.db'), driver };
    expect(() => createTableExporter({ store, stateDirectory: join(dir.path, 'state2') })).toThrow(
      DriverUnavailableError,
    );
    const opening = openTableReader(store);
    await expect(opening).rejects.toBeInstanceOf(StoreOpenError);
    await expect(opening).rejects.toThrow(`the database driver ${driver} cannot be loaded`);
  });
});
