import { fileURLToPath } from 'node:url';
import { ORACLE_FAILURES } from '../dialects/oracle/oracle-failures.js';
import { POSTGRES_FAILURES } from '../dialects/postgres/postgres-failures.js';
import { SQLITE_FAILURES } from '../dialects/sqlite/sqlite-failures.js';
import { renderFailureDoc } from './failure-table.js';

/** Where the classification tables are published, from the repository root. */
export const FAILURE_DOC_PATH = fileURLToPath(new URL('../../../../docs/store-errors.md', import.meta.url));

/** docs/store-errors.md as the tables say it should be. */
export function failureDoc(): string {
  return renderFailureDoc([SQLITE_FAILURES, POSTGRES_FAILURES, ORACLE_FAILURES]);
}
