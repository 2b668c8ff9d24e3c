import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyOracleFailure, ORACLE_FAILURES } from '../../src/dialects/oracle/oracle-failures.js';
import { classifyPostgresFailure, POSTGRES_FAILURES } from '../../src/dialects/postgres/postgres-failures.js';
import { classifySqliteFailure, SQLITE_FAILURES } from '../../src/dialects/sqlite/sqlite-failures.js';
import { FAILURE_DOC_PATH, failureDoc } from '../../src/store/failure-doc.js';
import { classifyWith } from '../../src/store/failure-table.js';
import { SchemaNotReadyError, StoreConfigurationError } from '../../src/store/store-errors.js';

const withCode = (code: string | number, message = 'failure', field = 'code') =>
  Object.assign(new Error(message), { [field]: code });

/** node-oracledb's own error factory: NJS- errors exactly as the driver raises them. */
const oracleErrors = createRequire(import.meta.url)('oracledb/lib/errors.js') as {
  getErr(errorNum: number, ...args: unknown[]): Error & { code: string };
  transformErr(error: Error): Error & { code: string; errorNum?: number };
  ERR_UNSUPPORTED_VERIFIER_TYPE: number;
  ERR_CALL_TIMEOUT_EXCEEDED: number;
  ERR_ANO_NEGOTIATION: number;
  ERR_CONN_REQUEST_TIMEOUT: number;
  ERR_CONNECTION_CLOSED: number;
  ERR_CONNECTION_REFUSED: number;
  ERR_TNS_ENTRY_NOT_FOUND: number;
  ERR_SERVER_VERSION_NOT_SUPPORTED: number;
};

/**
 * A database error as thin mode raises it: the server's message with `errorNum` set by the
 * protocol layer, then `transformErr` deriving `code` from the message (lib/thin/protocol/protocol.js).
 */
function serverError(errorNum: number, text: string): Error {
  const error = Object.assign(new Error(`ORA-${String(errorNum).padStart(5, '0')}: ${text}`), { errorNum });
  return oracleErrors.transformErr(error);
}

describe('failure classification', () => {
  it('every store: exporter configuration errors and network errors', () => {
    for (const table of [POSTGRES_FAILURES, SQLITE_FAILURES, ORACLE_FAILURES]) {
      expect(classifyWith(table, new SchemaNotReadyError(undefined)).kind).toBe('configuration');
      expect(classifyWith(table, new StoreConfigurationError('no driver', 'install it')).fix).toBe(
        'install it',
      );
      expect(classifyWith(table, withCode('ECONNREFUSED')).kind).toBe('transient');
      expect(classifyWith(table, new AggregateError([withCode('ECONNRESET')])).kind).toBe('transient');
    }
  });

  it('PostgreSQL: privileges, schema and credentials are configuration; availability is transient; the rest is data', () => {
    const cases: [unknown, string][] = [
      [withCode('42501', 'permission denied for table ai_training_queries'), 'configuration'],
      [withCode('42P01', 'relation "ai_training_queries" does not exist'), 'configuration'],
      [withCode('42703'), 'configuration'], // undefined column: schema behind
      [withCode('3D000'), 'configuration'], // no such database
      [withCode('28P01'), 'configuration'], // password authentication failed
      [withCode('28000'), 'configuration'], // no pg_hba entry
      [withCode('53100'), 'configuration'], // disk full
      [withCode('08006'), 'transient'],
      [withCode('57P01'), 'transient'], // admin shutdown
      [withCode('57014'), 'transient'], // statement timeout
      [withCode('40001'), 'transient'], // serialization failure
      [withCode('40P01'), 'transient'], // deadlock
      [withCode('53300'), 'transient'], // too many connections
      [withCode('25006'), 'transient'], // read-only after failover
      [new Error('Connection terminated unexpectedly'), 'transient'],
      [new Error('timeout exceeded when trying to connect'), 'transient'],
      [withCode('23503'), 'missing-parent'],
      [withCode('22001'), 'data'], // value too long
      [withCode('23514'), 'data'], // check violation
      [withCode('22P02'), 'data'], // invalid text representation
      [new Error('PostgreSQL text cannot hold U+0000 (NUL): AI_TRAINING_QUERIES.USER_QUESTION'), 'data'],
    ];
    for (const [error, kind] of cases) expect(classifyPostgresFailure(error), String(error)).toBe(kind);
  });

  it('Oracle, on the shapes node-oracledb raises (errorNum + ORA- code; NJS- code)', () => {
    const njs = (num: number, ...args: unknown[]) => oracleErrors.getErr(num, ...args);
    const cases: [Error, string][] = [
      [serverError(1031, 'insufficient privileges'), 'configuration'],
      [serverError(942, 'table or view "APP"."AI_TRAINING_QUERIES" does not exist'), 'configuration'],
      [serverError(1536, 'space quota exceeded for tablespace USERS'), 'configuration'],
      [
        serverError(1653, 'unable to extend table APP.AI_TRAINING_QUERIES by 128 in tablespace USERS'),
        'configuration',
      ],
      [serverError(1950, 'no privileges on tablespace USERS'), 'configuration'],
      [serverError(28000, 'The account is locked.'), 'configuration'],
      [serverError(28001, 'the password has expired'), 'configuration'],
      [serverError(1017, 'invalid credential or not authorized; logon denied'), 'configuration'],
      [serverError(904, '"TRACE_STATUS": invalid identifier'), 'configuration'],
      [njs(oracleErrors.ERR_UNSUPPORTED_VERIFIER_TYPE, '0x939'), 'configuration'],
      [njs(oracleErrors.ERR_ANO_NEGOTIATION, 'native network encryption required'), 'configuration'],
      [njs(oracleErrors.ERR_SERVER_VERSION_NOT_SUPPORTED), 'configuration'],
      [njs(oracleErrors.ERR_TNS_ENTRY_NOT_FOUND, 'MYDB', '/etc/tns'), 'configuration'],
      [njs(oracleErrors.ERR_CALL_TIMEOUT_EXCEEDED, 30000), 'transient'],
      [njs(oracleErrors.ERR_CONN_REQUEST_TIMEOUT, 5000), 'transient'],
      [njs(oracleErrors.ERR_CONNECTION_CLOSED), 'transient'],
      [njs(oracleErrors.ERR_CONNECTION_REFUSED, 'host=db port=1521'), 'transient'],
      [serverError(3113, 'end-of-file on communication channel'), 'transient'],
      [serverError(12541, 'Cannot connect. No listener at host db port 1521.'), 'transient'],
      [serverError(60, 'deadlock detected while waiting for resource'), 'transient'],
      [serverError(1, 'unique constraint (APP.AI_QRY_PK) violated'), 'transient'],
      [
        serverError(2291, 'integrity constraint (APP.AI_CLS_QUERY_ID_FK) violated - parent key not found'),
        'missing-parent',
      ],
      [serverError(12899, 'value too large for column "APP"."AI_TRAINING_QUERIES"."USER_NAME"'), 'data'],
      [serverError(2290, 'check constraint (APP.AI_QRY_STATUS_CODE_CK) violated'), 'data'],
      [serverError(1400, 'cannot insert NULL into ("APP"."AI_TRAINING_QUERIES"."SPAN_NAME")'), 'data'],
    ];
    expect((cases[0]![0] as { code?: string }).code).toBe('ORA-01031');
    expect((cases[9]![0] as { code?: string }).code).toBe('NJS-116');
    for (const [error, kind] of cases) expect(classifyOracleFailure(error), error.message).toBe(kind);
  });

  it('Oracle: a batchErrors entry (errorNum and offset, no code) is classified by its number', () => {
    const batchError = Object.assign(new Error('ORA-12899: value too large for column'), {
      errorNum: 12899,
      offset: 3,
    });
    expect(classifyOracleFailure(batchError)).toBe('data');
  });

  it('SQLite: busy and I/O are transient; no schema, read-only, full and unopenable files are configuration', () => {
    const cases: [unknown, string][] = [
      [withCode('SQLITE_BUSY'), 'transient'],
      [withCode('SQLITE_BUSY_SNAPSHOT'), 'transient'],
      [withCode('SQLITE_IOERR_FSYNC'), 'transient'],
      [new TypeError('The database connection is not open'), 'transient'],
      [withCode('SQLITE_FULL'), 'configuration'],
      [withCode('SQLITE_READONLY_DBMOVED'), 'configuration'],
      [withCode('SQLITE_CANTOPEN'), 'configuration'],
      [withCode('SQLITE_ERROR', 'no such table: AI_TRAINING_QUERIES'), 'configuration'],
      [
        withCode('SQLITE_ERROR', 'table AI_TRAINING_QUERIES has no column named TRACE_STATUS'),
        'configuration',
      ],
      [new TypeError('Cannot open database because the directory does not exist'), 'configuration'],
      [withCode('SQLITE_CONSTRAINT_FOREIGNKEY'), 'missing-parent'],
      [withCode('SQLITE_CONSTRAINT_CHECK'), 'data'],
      [withCode('SQLITE_CONSTRAINT_DATATYPE'), 'data'],
    ];
    for (const [error, kind] of cases) expect(classifySqliteFailure(error), String(error)).toBe(kind);
  });

  it('docs/store-errors.md is the tables in code (pnpm generate)', () => {
    expect(readFileSync(FAILURE_DOC_PATH, 'utf8')).toBe(failureDoc());
  });
});
