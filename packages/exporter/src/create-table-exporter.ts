import { checkDriver } from './dialects/check-driver.js';
import { resolveStore } from './store-url.js';
import type { Environment } from './store-url.js';
import { TableExporter } from './table-exporter.js';
import type { TableExporterOptions } from './types.js';

/**
 * Creates the exporter. Synchronous and connection-free: the store is reached on the first write
 * (or at once when a previous run left traces in the spool), so an unreachable database never
 * makes this throw. A store URL without a password takes `AITDR_STORE_PASSWORD`; this is the
 * only place the environment is read. Throws a TypeError for a store it cannot understand, and a
 * DriverUnavailableError naming the package to install when the store's driver cannot be loaded.
 */
export function createTableExporter(options: TableExporterOptions): TableExporter {
  const installSchema = options.installSchema ?? installSchemaFromEnvironment(process.env);
  const store = resolveStore(options.store, process.env);
  checkDriver(store);
  return new TableExporter({
    ...options,
    store,
    ...(installSchema === undefined ? {} : { installSchema }),
  });
}

/** Lets the store's owner install or upgrade the schema on connecting. */
export const INSTALL_SCHEMA_VARIABLE = 'AITDR_INSTALL_SCHEMA';

/** `AITDR_INSTALL_SCHEMA`: 1/true/yes or 0/false/no; unset or empty leaves the default. */
export function installSchemaFromEnvironment(environment: Environment): boolean | undefined {
  const value = environment[INSTALL_SCHEMA_VARIABLE]?.trim().toLowerCase();
  if (value === undefined || value === '') return undefined;
  if (['1', 'true', 'yes'].includes(value)) return true;
  if (['0', 'false', 'no'].includes(value)) return false;
  throw new TypeError(`${INSTALL_SCHEMA_VARIABLE}=${value} is not one of 1, true, yes, 0, false, no`);
}
