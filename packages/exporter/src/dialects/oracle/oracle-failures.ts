import type { FailureKind } from '../../store/dialect.js';
import { errorCode, errorMessage, isNetworkError } from '../../store/failures.js';

/**
 * ORA- errors that say "the store, not this data". Each one is retried, then the batch is spooled.
 * Not verified against a real server: the numbers come from Oracle's error reference.
 */
const TRANSIENT_ORA = new Set([
  1, // unique constraint: two sessions merged the same new key at once; the retry finds it stored
  18, // maximum number of sessions exceeded
  20, // maximum number of processes exceeded
  28, // session killed
  51, // timeout waiting for a resource
  54, // resource busy
  60, // deadlock
  942, // table or view does not exist: the schema is not installed (yet)
  1012, // not logged on
  1017, // invalid user name or password
  1033, // initialization or shutdown in progress
  1034, // Oracle not available
  1089, // immediate shutdown in progress
  1090, // shutdown in progress
  1092, // instance terminated
  3113, // end-of-file on communication channel
  3114, // not connected
  3135, // connection lost contact
  8177, // cannot serialize access
  25408, // cannot safely replay call
  30006, // resource busy, wait timeout expired
]);
const PARENT_KEY_NOT_FOUND = 2291;

/** TNS and listener errors (ORA-12150 to ORA-12699: 12170 timeout, 12514, 12541 no listener, …); 12899 is data. */
const isTns = (ora: number) => ora >= 12150 && ora <= 12699;

/**
 * node-oracledb errors of the pool or the thin network layer (NJS-040 queue timeout, NJS-123 call
 * timeout: a stalled server, NJS-5xx network).
 */
const TRANSIENT_NJS = /^NJS-(003|040|076|123|5\d\d)$/;

function oraNumber(error: unknown): number | undefined {
  const errorNum = (error as { errorNum?: unknown } | null)?.errorNum;
  if (typeof errorNum === 'number' && errorNum > 0) return errorNum;
  const match = /^ORA-(\d{5})/.exec(errorCode(error) ?? errorMessage(error));
  return match ? Number(match[1]) : undefined;
}

export function classifyOracleFailure(error: unknown): FailureKind {
  const ora = oraNumber(error);
  if (ora === PARENT_KEY_NOT_FOUND) return 'missing-parent';
  if (ora !== undefined) return TRANSIENT_ORA.has(ora) || isTns(ora) ? 'transient' : 'data';
  const njs = /^NJS-\d{3}/.exec(errorCode(error) ?? errorMessage(error))?.[0];
  if ((njs !== undefined && TRANSIENT_NJS.test(njs)) || isNetworkError(error)) return 'transient';
  return 'data';
}
