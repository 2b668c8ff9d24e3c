/**
 * `@opentelemetry/instrumentation-pg` 0.76 (db.query.text, db.system.name, db.namespace; the newest release on the OpenTelemetry JS 2.x line: 0.77 and later need API 1.10) on the
 * real `pg` client against the local PostgreSQL. Instrumented without a loader flag: constructed
 * first, it hooks `require`; `pg` is then loaded through createRequire.
 */
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { describePgLibrary } from './pg-cases.js';

describePgLibrary('@opentelemetry/instrumentation-pg 0.76', new PgInstrumentation());
