import type { FailureKind } from '../../store/dialect.js';
import { classifyWith } from '../../store/failure-table.js';
import type { ClassifiedFailure, FailureTable } from '../../store/failure-table.js';
import { errorCode, errorMessage } from '../../store/failures.js';

const ora = (n: number) => `ORA-${String(n).padStart(5, '0')}`;
/** TNS and listener errors ORA-12150 to ORA-12699 (12170 timeout, 12514, 12541 no listener, …). */
const TNS_RANGE = 'ORA-12150..ORA-12699';

function oraNumber(error: unknown): number | undefined {
  const errorNum = (error as { errorNum?: unknown } | null)?.errorNum;
  if (typeof errorNum === 'number' && errorNum > 0) return errorNum;
  const match = /^ORA-(\d{5})/.exec(errorCode(error) ?? errorMessage(error));
  return match ? Number(match[1]) : undefined;
}

/**
 * ORA- numbers (from `errorNum`, else the code or message), node-oracledb's NJS- codes and
 * ODPI-C's DPI- codes (thick mode). Not verified against a real server: the numbers come from
 * Oracle's error reference and node-oracledb's lib/errors.js; the error objects' shapes (errorNum,
 * code, message) are node-oracledb's own, tested with its errors module.
 */
export const ORACLE_FAILURES: FailureTable = {
  dialect: 'oracle',
  keysOf(error) {
    const keys: string[] = [];
    const number = oraNumber(error);
    if (number !== undefined) {
      keys.push(ora(number));
      if (number >= 12150 && number <= 12699) keys.push(TNS_RANGE);
    }
    const driver = /^(NJS|DPI)-(\d{3,4})/.exec(errorCode(error) ?? errorMessage(error));
    if (driver) {
      keys.push(driver[0]);
      if (driver[1] === 'NJS' && driver[2]!.startsWith('5')) keys.push('NJS-5xx');
    }
    return keys;
  },
  rules: [
    {
      match: [ora(2291)],
      kind: 'missing-parent',
      meaning: 'parent key not found: the query row is not stored yet',
    },
    {
      match: [ora(1031), ora(1950)],
      kind: 'configuration',
      meaning: 'insufficient privileges; no privileges on tablespace',
      fix: 'run sql/oracle/grants.sql for the writer (aitdr-schema grants --dialect oracle); give the owner a quota on its tablespace',
    },
    {
      match: [ora(942)],
      kind: 'configuration',
      meaning: 'table or view does not exist (no schema, no grant, or another schema)',
      fix: "install the schema (aitdr-schema install), grant the writer access, and set the store's `schema` option to the owner",
    },
    {
      match: [ora(904)],
      kind: 'configuration',
      meaning: 'invalid identifier: the schema is older than the recorder',
      fix: 'aitdr-schema upgrade --store <url>',
    },
    {
      match: [ora(1536), ora(1652), ora(1653), ora(1654), ora(1688), ora(1691), ora(30036)],
      kind: 'configuration',
      meaning: 'space quota exceeded; tablespace, temp, LOB or undo segment cannot extend',
      fix: 'raise the quota or add space to the tablespace',
    },
    {
      match: [ora(1017), ora(1045), ora(28000), ora(28001), ora(28040), ora(12638), ora(1005)],
      kind: 'configuration',
      meaning:
        'invalid credentials, no CREATE SESSION, account locked, password expired, no matching authentication protocol, credential retrieval failed',
      fix: 'correct the user and password (or wallet, token); unlock the account or reset the password',
    },
    {
      match: ['NJS-116', 'NJS-138', 'NJS-533', 'NJS-505', 'NJS-506', 'NJS-507', 'NJS-508', 'NJS-529'],
      kind: 'configuration',
      meaning:
        'thin mode cannot connect: old password verifier, server version, native network encryption required; TLS set-up or wallet failed',
      fix: 'reset the password (12c verifier) or use TLS instead of native network encryption, or load oracledb in thick mode (the `driver` option); check the wallet and certificate settings',
    },
    {
      match: ['NJS-512', 'NJS-514', 'NJS-515', 'NJS-516', 'NJS-517', 'NJS-518', 'NJS-519', 'NJS-520'],
      kind: 'configuration',
      meaning: 'connect string, TNS alias, config directory or service name not valid or not found',
      fix: 'correct the connect string or `configDir` (tnsnames.ora)',
    },
    {
      match: ['NJS-045', 'DPI-1047', 'DPI-1072'],
      kind: 'configuration',
      meaning: 'thick mode: the Oracle Client libraries cannot be loaded',
      fix: 'install Oracle Instant Client and pass its directory to initOracleClient',
    },
    {
      match: [ora(1)],
      kind: 'transient',
      meaning: 'unique constraint: two sessions merged the same new key at once; the retry finds it stored',
    },
    {
      match: [
        ...[
          18, 20, 28, 51, 54, 60, 1012, 1033, 1034, 1089, 1090, 1092, 3113, 3114, 3135, 8177, 25408, 30006,
        ].map(ora),
        TNS_RANGE,
      ],
      kind: 'transient',
      meaning:
        'sessions or processes exhausted, session killed, busy, deadlock, not logged on, starting or shutting down, connection lost, cannot serialize, TNS',
    },
    {
      match: ['NJS-003', 'NJS-040', 'NJS-076', 'NJS-123', 'NJS-5xx'],
      kind: 'transient',
      meaning: 'connection closed, pool queue timeout or full, call timeout (callTimeout), network',
    },
  ],
};

export function describeOracleFailure(error: unknown): ClassifiedFailure {
  return classifyWith(ORACLE_FAILURES, error);
}

export function classifyOracleFailure(error: unknown): FailureKind {
  return describeOracleFailure(error).kind;
}
