/**
 * The store contract on Oracle's `oracledb` stand-in (`fake-oracledb.ts`; no Oracle server exists
 * here): the exporter is handed the stand-in as its driver, and the contract reads back what the
 * stand-in's tables hold after the dialect's MERGEs, updates and commits.
 */
import { join } from 'node:path';
import { init, parse } from '@guanmingchiu/sqlparser-ts';
import { describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '@aitdr/schema';
import { describeStoreContract } from '../../support/store-contract.js';
import type { ContractStore } from '../../support/store-contract.js';
import { normalizeRow } from '@aitdr/tests/support/stores.js';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';
import { FakeOracleDb } from './fake-oracledb.js';

const NOT_A_DATABASE =
  'the oracledb stand-in runs only the statements the dialect sends, not the probe’s SQL';

let standIn: FakeOracleDb | undefined;

function oracleStandIn(): Promise<ContractStore> {
  const oracledb = (standIn = new FakeOracleDb());
  oracledb.schemaVersion = SCHEMA_VERSION; // installed by its owner, as on a real Oracle store
  const dir = createTemporaryDirectory('aitdr-exporter-oracle-');
  const rows = (name: string) => oracledb.rows(name);
  return Promise.resolve({
    dialect: 'oracle',
    url: 'oracle://aitdr@stand-in:1521/FREEPDB1',
    options: {
      dialect: 'oracle',
      user: 'aitdr',
      password: 'p',
      connectString: 'stand-in:1521/FREEPDB1',
      driver: oracledb,
    },
    stateDirectory: join(dir.path, 'state'),
    rows: (table) => Promise.resolve(rows(table.name).map((row) => normalizeRow(table, row))),
    count: (table) => Promise.resolve(rows(table.name).length),
    scalar: () => Promise.reject(new Error(NOT_A_DATABASE)),
    column: () => Promise.reject(new Error(NOT_A_DATABASE)),
    cannotRun: {
      // The stand-in refuses a stage row without its query row itself (ORA-02291, per row), so
      // the orphan count would check the stand-in, not the exporter.
      'leaves no stage row without its query row': `${NOT_A_DATABASE}; it enforces the foreign keys itself (ORA-02291)`,
    },
    close: () => {
      dir.remove();
      return Promise.resolve();
    },
  });
}

describeStoreContract('Oracle’s oracledb stand-in (not a database: fake-oracledb.ts)', oracleStandIn);

describe('the statements the Oracle dialect sent the stand-in in the contract', () => {
  it('parse as Oracle SQL', async () => {
    await init();
    const statements = new Set(standIn?.calls.flatMap((call) => (call.sql === undefined ? [] : [call.sql])));
    expect(statements.size).toBeGreaterThan(10);
    for (const sql of statements) expect(() => parse(sql, 'oracle'), sql.slice(0, 100)).not.toThrow();
  });
});
