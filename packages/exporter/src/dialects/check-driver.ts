/**
 * The start-up check that the store's database driver is there and loads, so a missing or
 * mis-built driver stops `createTableExporter` (and so `createRecorder` and the collector's start)
 * with the package to install, instead of every trace failing later.
 */
import { createRequire } from 'node:module';
import { DriverUnavailableError, isDriverLoadFailure } from '../store/failures.js';
import type { StoreOptions } from '../types.js';
import { SQLITE_DRIVER } from './sqlite/sqlite-driver.js';

/** The driver package each store needs. */
export const DRIVER_PACKAGES = { sqlite: SQLITE_DRIVER, postgres: 'pg', oracle: 'oracledb' } as const;

/** Throws DriverUnavailableError when the store's driver cannot be loaded (resolved, for pure-JS drivers). */
export function checkDriver(store: StoreOptions): void {
  if (store.dialect !== 'sqlite' && store.driver !== undefined) return; // the app loaded it itself
  // SQLite's is handed by name (its writer's thread loads it): the one named is the one checked.
  const packageName =
    store.dialect === 'sqlite' ? (store.driver ?? SQLITE_DRIVER) : DRIVER_PACKAGES[store.dialect];
  const require = createRequire(import.meta.url);
  try {
    if (store.dialect !== 'sqlite') {
      require.resolve(packageName);
      return;
    }
    // better-sqlite3 loads its native part on the first open: an in-memory database proves it.
    const Database = require(packageName) as new (filename: string) => { close(): void };
    new Database(':memory:').close();
  } catch (error) {
    if (isDriverLoadFailure(error)) throw new DriverUnavailableError(packageName, error);
    throw error;
  }
}
