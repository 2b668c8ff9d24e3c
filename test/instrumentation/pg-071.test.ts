/**
 * `@opentelemetry/instrumentation-pg` 0.71, still widely deployed, with the older names
 * (db.statement, db.system, db.name). Instrumented as the current version is.
 */
import { PgInstrumentation } from 'instrumentation-pg-071';
import { describePgLibrary } from './pg-cases.js';

describePgLibrary('@opentelemetry/instrumentation-pg 0.71', new PgInstrumentation());
