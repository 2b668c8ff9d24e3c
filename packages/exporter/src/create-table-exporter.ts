import { checkDriver } from './dialects/check-driver.js';
import { resolveStore } from './store-url.js';
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
  const store = resolveStore(options.store, process.env);
  checkDriver(store);
  return new TableExporter({ ...options, store });
}
