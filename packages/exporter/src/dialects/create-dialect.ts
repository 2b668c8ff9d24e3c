import type { Dialect } from '../store/dialect.js';
import type { StoreOptions } from '../types.js';
import { OracleDialect } from './oracle/oracle-dialect.js';
import { PostgresDialect } from './postgres/postgres-dialect.js';
import { SqliteDialect } from './sqlite/sqlite-dialect.js';

/** The dialect of a store. Nothing connects here: each dialect loads its driver on first use. */
export function createDialect(store: StoreOptions, installSchema: boolean): Dialect {
  switch (store.dialect) {
    case 'sqlite':
      return new SqliteDialect(store, installSchema);
    case 'postgres':
      return new PostgresDialect(store, installSchema);
    case 'oracle':
      return new OracleDialect(store, installSchema);
  }
}
