import { describe, expect, it } from 'vitest';
import { STORE_STATEMENT_TIMEOUT_VARIABLE, parseStoreUrl } from '@aitdr/exporter';
import { classifyOracleFailure } from '../../src/dialects/oracle/oracle-failures.js';
import { classifyPostgresFailure } from '../../src/dialects/postgres/postgres-failures.js';
import { classifySqliteFailure } from '../../src/dialects/sqlite/sqlite-failures.js';

const withCode = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('statement timeout', () => {
  it(`is set per dialect from ${STORE_STATEMENT_TIMEOUT_VARIABLE}`, () => {
    const environment = { [STORE_STATEMENT_TIMEOUT_VARIABLE]: '2500' };
    expect(parseStoreUrl('sqlite:/tmp/t.db', environment)).toMatchObject({ busyTimeoutMs: 2500 });
    expect(parseStoreUrl('postgres://u@h/d', environment)).toMatchObject({ statementTimeoutMs: 2500 });
    expect(parseStoreUrl('oracle://u@h:1521/s', environment)).toMatchObject({ statementTimeoutMs: 2500 });
    expect(parseStoreUrl('postgres://u@h/d', {})).not.toHaveProperty('statementTimeoutMs');
  });

  it('refuses a value that is not a positive whole number of milliseconds, naming the variable', () => {
    for (const bad of ['0', '-5', '1.5', 'ten']) {
      expect(() => parseStoreUrl('postgres://u@h/d', { [STORE_STATEMENT_TIMEOUT_VARIABLE]: bad })).toThrow(
        new RegExp(`${STORE_STATEMENT_TIMEOUT_VARIABLE} must be a positive whole number`),
      );
    }
  });

  it('makes each dialect’s timeout error a transient failure (retried, spooled, counted by the breaker)', () => {
    expect(classifyPostgresFailure(new Error('Query read timeout'))).toBe('transient'); // pg's client wait
    expect(classifyPostgresFailure(withCode('57014', 'canceling statement due to statement timeout'))).toBe(
      'transient',
    );
    expect(classifyOracleFailure(withCode('NJS-123', 'NJS-123: call timeout of 300 ms exceeded'))).toBe(
      'transient',
    );
    expect(classifySqliteFailure(withCode('SQLITE_BUSY', 'database is locked'))).toBe('transient');
  });
});
