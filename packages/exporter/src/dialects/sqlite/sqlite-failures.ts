import type { FailureKind } from '../../store/dialect.js';
import { errorCode, errorMessage } from '../../store/failures.js';

/** Result codes (and their extended forms) that say the file cannot be used right now. */
const UNAVAILABLE = [
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_IOERR',
  'SQLITE_CANTOPEN',
  'SQLITE_FULL',
  'SQLITE_READONLY',
  'SQLITE_PROTOCOL',
  'SQLITE_NOMEM',
];

export function classifySqliteFailure(error: unknown): FailureKind {
  const code = errorCode(error) ?? '';
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return 'missing-parent';
  if (UNAVAILABLE.some((prefix) => code === prefix || code.startsWith(`${prefix}_`))) return 'transient';
  // better-sqlite3 refuses a missing directory before SQLite runs; a missing table means no schema yet.
  if (
    /Cannot open database|no such table|database is closed|The database connection is not open/i.test(
      errorMessage(error),
    )
  ) {
    return 'transient';
  }
  return 'data';
}
