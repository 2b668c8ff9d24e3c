import type { FailureKind } from '../../store/dialect.js';
import { classifyWith } from '../../store/failure-table.js';
import type { ClassifiedFailure, FailureTable } from '../../store/failure-table.js';
import { errorCode, errorMessage } from '../../store/failures.js';

/** Messages (better-sqlite3 or SQLite) that carry no result code of their own. */
const MESSAGES: readonly [RegExp, string][] = [
  [/no such table/i, 'no such table'],
  [/no such column|has no column named/i, 'no such column'],
  [/Cannot open database/i, 'Cannot open database'],
  [/database is closed|The database connection is not open/i, 'database is closed'],
];

/** Result codes (`SQLITE_BUSY` also stands for its extended codes, `SQLITE_BUSY_SNAPSHOT`) and messages. */
export const SQLITE_FAILURES: FailureTable = {
  dialect: 'sqlite',
  keysOf(error) {
    const code = errorCode(error) ?? '';
    const keys = code.startsWith('SQLITE_') ? [code, code.split('_').slice(0, 2).join('_')] : [];
    const message = errorMessage(error);
    for (const [pattern, key] of MESSAGES) if (pattern.test(message)) keys.push(`"${key}"`);
    return keys;
  },
  rules: [
    {
      match: ['SQLITE_CONSTRAINT_FOREIGNKEY'],
      kind: 'missing-parent',
      meaning: 'foreign key: the query row is not stored yet',
    },
    {
      match: ['"no such table"'],
      kind: 'configuration',
      meaning: 'no schema in the file',
      fix: 'aitdr-schema install --store sqlite:<file> (the embedded store installs itself unless installSchema is false)',
    },
    {
      match: ['"no such column"'],
      kind: 'configuration',
      meaning: 'column missing: the schema is older than the recorder',
      fix: 'aitdr-schema upgrade --store sqlite:<file>',
    },
    {
      match: ['SQLITE_READONLY', 'SQLITE_PERM', 'SQLITE_AUTH', 'SQLITE_CANTOPEN', '"Cannot open database"'],
      kind: 'configuration',
      meaning: 'the file or its directory cannot be written or opened by this process',
      fix: 'create the directory and give the process write access to the file, its directory and its -wal file',
    },
    { match: ['SQLITE_FULL'], kind: 'configuration', meaning: 'disk full', fix: 'free space on the disk' },
    {
      match: ['SQLITE_CORRUPT', 'SQLITE_NOTADB'],
      kind: 'configuration',
      meaning: 'the file is damaged or not a database',
      fix: 'restore the file from a backup or point the store at a new file',
    },
    {
      match: [
        'SQLITE_BUSY',
        'SQLITE_LOCKED',
        'SQLITE_IOERR',
        'SQLITE_PROTOCOL',
        'SQLITE_NOMEM',
        '"database is closed"',
      ],
      kind: 'transient',
      meaning: 'another connection holds the lock, an I/O error, the worker closed',
    },
  ],
};

export function describeSqliteFailure(error: unknown): ClassifiedFailure {
  return classifyWith(SQLITE_FAILURES, error);
}

export function classifySqliteFailure(error: unknown): FailureKind {
  return describeSqliteFailure(error).kind;
}
