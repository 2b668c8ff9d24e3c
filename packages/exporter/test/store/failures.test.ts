import { describe, expect, it } from 'vitest';
import { classifyOracleFailure } from '../../src/dialects/oracle/oracle-failures.js';
import { classifyPostgresFailure } from '../../src/dialects/postgres/postgres-failures.js';
import { classifySqliteFailure } from '../../src/dialects/sqlite/sqlite-failures.js';

const withCode = (code: string | number, message = 'failure', field = 'code') =>
  Object.assign(new Error(message), { [field]: code });

describe('failure classification', () => {
  it('PostgreSQL: connection, availability and conflicts are transient; a missing parent parks; the rest is data', () => {
    const cases: [unknown, string][] = [
      [withCode('08006'), 'transient'],
      [withCode('57P01'), 'transient'], // admin shutdown
      [withCode('40001'), 'transient'], // serialization failure
      [withCode('40P01'), 'transient'], // deadlock
      [withCode('53300'), 'transient'], // too many connections
      [withCode('28P01'), 'transient'], // password authentication failed
      [withCode('42P01'), 'transient'], // no schema yet
      [withCode('ECONNREFUSED'), 'transient'],
      [new AggregateError([withCode('ECONNREFUSED')], 'connect failed'), 'transient'],
      [new Error('Connection terminated unexpectedly'), 'transient'],
      [new Error('timeout exceeded when trying to connect'), 'transient'],
      [withCode('23503'), 'missing-parent'],
      [withCode('22001'), 'data'], // value too long
      [withCode('23514'), 'data'], // check violation
      [withCode('22P02'), 'data'], // invalid text representation
    ];
    for (const [error, kind] of cases) expect(classifyPostgresFailure(error), String(error)).toBe(kind);
  });

  it('Oracle: recoverable ORA- and NJS- errors are transient; ORA-02291 parks; ORA-12899 is data', () => {
    const cases: [unknown, string][] = [
      [withCode(3113, 'ORA-03113: end-of-file on communication channel', 'errorNum'), 'transient'],
      [withCode(3114, 'ORA-03114', 'errorNum'), 'transient'],
      [withCode(12541, 'ORA-12541: TNS:no listener', 'errorNum'), 'transient'],
      [withCode(12170, 'ORA-12170: TNS:Connect timeout occurred', 'errorNum'), 'transient'],
      [withCode('NJS-040', 'NJS-040: connection request timeout'), 'transient'],
      [withCode('NJS-500', 'NJS-500: connection to the Oracle Database was broken'), 'transient'],
      [new Error('NJS-503: connection to host db could not be established'), 'transient'],
      [withCode(60, 'ORA-00060: deadlock detected', 'errorNum'), 'transient'],
      [
        withCode(2291, 'ORA-02291: integrity constraint violated - parent key not found', 'errorNum'),
        'missing-parent',
      ],
      [withCode(12899, 'ORA-12899: value too large for column', 'errorNum'), 'data'],
      [withCode(2290, 'ORA-02290: check constraint violated', 'errorNum'), 'data'],
      [new Error('ORA-01400: cannot insert NULL'), 'data'],
    ];
    for (const [error, kind] of cases) expect(classifyOracleFailure(error), String(error)).toBe(kind);
  });

  it('SQLite: busy, locked, I/O and a missing file are transient; a foreign key parks; constraints are data', () => {
    const cases: [unknown, string][] = [
      [withCode('SQLITE_BUSY'), 'transient'],
      [withCode('SQLITE_BUSY_SNAPSHOT'), 'transient'],
      [withCode('SQLITE_IOERR_FSYNC'), 'transient'],
      [withCode('SQLITE_FULL'), 'transient'],
      [new TypeError('Cannot open database because the directory does not exist'), 'transient'],
      [withCode('SQLITE_CONSTRAINT_FOREIGNKEY'), 'missing-parent'],
      [withCode('SQLITE_CONSTRAINT_CHECK'), 'data'],
      [withCode('SQLITE_CONSTRAINT_DATATYPE'), 'data'],
    ];
    for (const [error, kind] of cases) expect(classifySqliteFailure(error), String(error)).toBe(kind);
  });
});
