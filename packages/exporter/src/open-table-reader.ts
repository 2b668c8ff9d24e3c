/**
 * `openTableReader`: the table reader on a store named by URL or options, composed here so the
 * reader (`read/`) knows only the `Dialect` interface and the dialects know nothing of the reader.
 */
import { createDialect } from './dialects/create-dialect.js';
import { readStore } from './read/table-reader.js';
import type { TableReader, TableReaderOptions } from './read/table-reader.js';
import { redactStoreUrl, resolveStore, storeLabel } from './store-url.js';
import type { StoreOptions } from './types.js';

/**
 * Opens a store for reading: loads its driver, connects, and checks the tables are there. Rejects
 * with a TypeError for a store URL it cannot parse, StoreOpenError when the store cannot be
 * reached, MissingTablesError when it lacks the schema. Opens SQLite files read-only; creates
 * nothing anywhere.
 */
export async function openTableReader(
  store: string | StoreOptions,
  options: TableReaderOptions = {},
): Promise<TableReader> {
  const resolved = resolveStore(store, options.environment ?? process.env);
  const name = typeof store === 'string' ? redactStoreUrl(store) : storeLabel(resolved);
  return readStore(createDialect(resolved), name, options);
}
