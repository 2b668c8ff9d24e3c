import type { Dialect } from '../store/dialect.js';
import type { StoreOptions } from '../types.js';
import { OracleDialect } from './oracle/oracle-dialect.js';
import { PostgresDialect } from './postgres/postgres-dialect.js';
import { SqliteDialect } from './sqlite/sqlite-dialect.js';

/**
 * The dialect of a store, for writing and reading. Nothing connects here: each side loads its
 * driver on first use. `installSchema` lets the writing side install or upgrade the schema.
 */
export function createDialect(store: StoreOptions, installSchema = false): Dialect {
  switch (store.dialect) {
    case 'sqlite':
      return new SqliteDialect(store, installSchema);
    case 'postgres':
      return new PostgresDialect(store, installSchema);
    case 'oracle':
      return new OracleDialect(store, installSchema);
  }
}
