import type { FailureKind } from '../../store/dialect.js';
import { errorCode, errorMessage, isNetworkError } from '../../store/failures.js';

/**
 * SQLSTATE classes and codes that say "the store, not this data": connection exceptions (08),
 * insufficient resources (53), operator intervention such as admin shutdown or a cancelled
 * statement (57), system errors (58), authentication (28), a missing database (3D000) or table
 * (42P01), a read-only standby after failover (25006), and conflicts worth retrying
 * (serialization failure 40001, deadlock 40P01, lock not available 55P03).
 */
const TRANSIENT_CLASSES = new Set(['08', '53', '57', '58', '28']);
const TRANSIENT_CODES = new Set(['3D000', '42P01', '25006', '40001', '40P01', '55P03']);
const FOREIGN_KEY_VIOLATION = '23503';

/** Messages pg gives connection failures that carry no SQLSTATE. */
const CONNECTION_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|not queryable|Query read timeout|Connection closed/i;

export function classifyPostgresFailure(error: unknown): FailureKind {
  const code = errorCode(error);
  if (code !== undefined && /^[0-9A-Z]{5}$/.test(code)) {
    if (code === FOREIGN_KEY_VIOLATION) return 'missing-parent';
    if (TRANSIENT_CLASSES.has(code.slice(0, 2)) || TRANSIENT_CODES.has(code)) return 'transient';
    return 'data';
  }
  if (isNetworkError(error) || CONNECTION_MESSAGES.test(errorMessage(error))) return 'transient';
  return 'data';
}
