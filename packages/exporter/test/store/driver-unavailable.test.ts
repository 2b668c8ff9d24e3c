/**
 * A database driver that is missing or cannot load is a configuration problem: at start-up
 * `createTableExporter` refuses with the package to install; later (a driver that fails when the
 * store is first reached) the store counts as unavailable — traces spooled, status unhealthy —
 * and nothing is dead-lettered as refused data.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DriverUnavailableError, TableExporter, readDeadLetters } from '@aitdr/exporter';
import { checkDriver } from '@aitdr/exporter/internals';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';
import { isDriverLoadFailure, loadDriver } from '../../src/store/failures.js';
import { FakeOracleDb } from '../dialects/oracle/fake-oracledb.js';
import { recordPipeline } from '../support/traces.js';
import { toSpanRecord } from '@aitdr/conventions';

/** A real load failure: importing a package that is not installed. */
async function missingPackageError(): Promise<unknown> {
  const name = 'aitdr-driver-that-is-not-installed';
  return loadDriver(name, () => import(name)).catch((error: unknown) => error);
}

describe('a driver that cannot be loaded', () => {
  let dir: { path: string; remove(): void };
  beforeEach(() => {
    dir = createTemporaryDirectory('aitdr-driver-');
  });
  afterEach(() => dir.remove());

  it('is a DriverUnavailableError naming the package to install', async () => {
    const error = await missingPackageError();
    expect(error).toBeInstanceOf(DriverUnavailableError);
    expect((error as DriverUnavailableError).packageName).toBe('aitdr-driver-that-is-not-installed');
    expect((error as Error).message).toContain('npm install aitdr-driver-that-is-not-installed');
  });

  it('recognises a native part built for another Node.js by the loader’s own words', () => {
    const abi = Object.assign(
      new Error(
        "The module '/app/node_modules/better-sqlite3/build/Release/better_sqlite3.node' was compiled against a different Node.js version using NODE_MODULE_VERSION 137. This version of Node.js requires NODE_MODULE_VERSION 115.",
      ),
      { code: 'ERR_DLOPEN_FAILED' },
    );
    expect(isDriverLoadFailure(abi)).toBe(true);
    expect(
      isDriverLoadFailure(
        Object.assign(new Error('UNIQUE constraint failed'), { code: 'SQLITE_CONSTRAINT' }),
      ),
    ).toBe(false);
  });

  it('passes the start-up check when the driver is installed and loads (better-sqlite3, pg, oracledb)', () => {
    expect(() => checkDriver({ dialect: 'sqlite', filename: ':memory:' })).not.toThrow();
    expect(() =>
      checkDriver({ dialect: 'postgres', connectionString: 'postgres://localhost/x' }),
    ).not.toThrow();
    expect(() =>
      checkDriver({ dialect: 'oracle', user: 'u', password: 'p', connectString: 'db:1521/X' }),
    ).not.toThrow();
  });

  it('later, leaves the traces on the spool and the status unhealthy, never dead-lettered', async () => {
    const oracledb = new FakeOracleDb();
    oracledb.failNext('createPool', (await missingPackageError()) as Error);
    const exporter = new TableExporter({
      store: { dialect: 'oracle', user: 'u', password: 'p', connectString: 'db:1521/X', driver: oracledb },
      stateDirectory: dir.path,
      retry: { retries: 2, minDelayMs: 1, maxDelayMs: 2 },
      replayIntervalMs: 600_000,
    });
    try {
      await expect(exporter.writeTraces(recordPipeline().spans.map(toSpanRecord))).resolves.toMatchObject({
        committed: 0,
        spooled: 1,
        deadLettered: 0,
      });
      const status = exporter.status();
      expect(status).toMatchObject({ healthy: false, spool: { traces: 1 } });
      expect(status.lastError?.message).toContain('cannot be loaded');
      // Not retried: a missing package does not come back by itself within a batch's retries.
      expect(status.counters.retried).toBe(0);
      expect(await readDeadLetters(dir.path)).toEqual([]);
    } finally {
      await exporter.shutdown();
    }
  });
});
