import type { ReaderDialect } from '../read/reader-dialect.js';
import type { StoreOptions } from '../types.js';
import { OracleReader } from './oracle/oracle-reader.js';
import { PostgresReader } from './postgres/postgres-reader.js';
import { SqliteReader } from './sqlite/sqlite-reader.js';

/** The reading side of a store's dialect. Nothing connects here: `open()` loads the driver. */
export function createReaderDialect(store: StoreOptions): ReaderDialect {
  switch (store.dialect) {
    case 'sqlite':
      return new SqliteReader(store);
    case 'postgres':
      return new PostgresReader(store);
    case 'oracle':
      return new OracleReader(store);
  }
}
