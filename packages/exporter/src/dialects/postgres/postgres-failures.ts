import type { FailureKind } from '../../store/dialect.js';
import { classifyWith } from '../../store/failure-table.js';
import type { ClassifiedFailure, FailureTable } from '../../store/failure-table.js';
import { errorCode, errorMessage } from '../../store/failures.js';

const GRANTS_FIX =
  'grant the writer role INSERT, SELECT, UPDATE on the nine tables and SELECT on AI_SCHEMA_VERSION (aitdr-schema grants --dialect postgres)';

/** Messages pg gives connection failures that carry no SQLSTATE. */
const CONNECTION_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|not queryable|Query read timeout|Connection closed/i;

/** SQLSTATE codes (`42501`) and classes (`class 08`), specific rows before their class. */
export const POSTGRES_FAILURES: FailureTable = {
  dialect: 'postgres',
  keysOf(error) {
    const code = errorCode(error);
    const keys: string[] = [];
    if (code !== undefined && /^[0-9A-Z]{5}$/.test(code)) keys.push(code, `class ${code.slice(0, 2)}`);
    if (CONNECTION_MESSAGES.test(errorMessage(error))) keys.push('pg connection message');
    return keys;
  },
  rules: [
    { match: ['23503'], kind: 'missing-parent', meaning: 'foreign key: the query row is not stored yet' },
    { match: ['42501'], kind: 'configuration', meaning: 'insufficient privilege', fix: GRANTS_FIX },
    {
      match: ['42P01', '3F000'],
      kind: 'configuration',
      meaning: 'table or schema missing',
      fix: 'install the schema as its owner: aitdr-schema install --store <url>',
    },
    {
      match: ['42703'],
      kind: 'configuration',
      meaning: 'column missing: the schema is older than the recorder',
      fix: 'aitdr-schema upgrade --store <url>',
    },
    {
      match: ['3D000'],
      kind: 'configuration',
      meaning: 'database does not exist',
      fix: 'create the database or correct the store URL',
    },
    {
      match: ['class 28'],
      kind: 'configuration',
      meaning: 'authentication failed (wrong user or password, no pg_hba entry)',
      fix: 'correct the user, AITDR_STORE_PASSWORD or the server’s pg_hba.conf',
    },
    {
      match: ['53100'],
      kind: 'configuration',
      meaning: 'disk full on the server',
      fix: 'free or add space on the database server',
    },
    {
      match: ['class 42'],
      kind: 'configuration',
      meaning: 'syntax or access rule: with bound values, the schema differs from what the recorder writes',
      fix: 'aitdr-schema check --store <url>',
    },
    {
      match: ['class 08', 'class 53', 'class 57', 'class 58', 'pg connection message'],
      kind: 'transient',
      meaning: 'connection lost, too many connections, admin shutdown, statement timeout, server error',
    },
    {
      match: ['25006', '40001', '40P01', '55P03'],
      kind: 'transient',
      meaning: 'read-only standby after failover, serialization failure, deadlock, lock not available',
    },
  ],
};

export function describePostgresFailure(error: unknown): ClassifiedFailure {
  return classifyWith(POSTGRES_FAILURES, error);
}

export function classifyPostgresFailure(error: unknown): FailureKind {
  return describePostgresFailure(error).kind;
}
