import { SCHEMA_VERSION } from '@aitdr/schema';

/**
 * The store is set up wrongly (schema, privileges, credentials, driver, disk): no retry helps and
 * no trace is at fault. Traces are spooled until an operator applies `fix`. Raised by the exporter
 * itself; a driver's own errors of this class are recognised by each dialect's failure table.
 */
export class StoreConfigurationError extends Error {
  // `message` says what is wrong and, where a start is refused with it, the fix as well.
  readonly code: string = 'AITDR_STORE_CONFIGURATION';
  constructor(
    message: string,
    /** What an operator does about it, for the log line and the status. */
    readonly fix: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'StoreConfigurationError';
  }
}

/** The store has no recorder schema, or one older than this version of the exporter writes. */
export class SchemaNotReadyError extends StoreConfigurationError {
  override readonly code = 'AITDR_SCHEMA_NOT_READY';
  constructor(
    /** The schema version recorded in AI_SCHEMA_VERSION; undefined when there is no schema. */
    readonly installed: number | undefined,
    readonly required: number = SCHEMA_VERSION,
    where = 'the store',
  ) {
    const fix =
      installed === undefined
        ? 'install it as the schema owner: aitdr-schema install --store <url> (or set installSchema: true / AITDR_INSTALL_SCHEMA=1 where the recorder may own the schema)'
        : 'upgrade it as the schema owner: aitdr-schema upgrade --store <url>';
    // The message names the fix too: it is what a refused start prints.
    super(
      installed === undefined
        ? `${where} has no recorder schema (AI_SCHEMA_VERSION not found); ${fix}`
        : `${where} has schema version ${installed}; this recorder needs version ${required}; ${fix}`,
      fix,
    );
    this.name = 'SchemaNotReadyError';
  }
}
