/**
 * The schema as an operator manages it (`aitdr-schema`): what version a store has, and installing
 * or upgrading it, through the same dialects the exporter writes with.
 */
import { SCHEMA_VERSION } from '@aitdr/schema';
import { createDialect } from './dialects/create-dialect.js';
import { SchemaNotReadyError } from './store/store-errors.js';
import { resolveStore } from './store-url.js';
import type { Environment } from './store-url.js';
import type { StoreOptions } from './types.js';

export interface SchemaStatus {
  /** The version recorded in AI_SCHEMA_VERSION; undefined when the store has no schema. */
  readonly installed: number | undefined;
  /** The version this recorder writes. */
  readonly required: number;
}

/** Reads the store's schema version without changing anything. */
export async function readSchemaStatus(
  store: string | StoreOptions,
  environment: Environment = {},
): Promise<SchemaStatus> {
  const dialect = createDialect(resolveStore(store, environment), false);
  try {
    return { installed: await dialect.schemaVersion(), required: SCHEMA_VERSION };
  } catch (error) {
    if (error instanceof SchemaNotReadyError) return { installed: error.installed, required: error.required };
    throw error;
  } finally {
    await dialect.close().catch(() => undefined);
  }
}

/** Installs the schema on an empty store, or upgrades an older one (idempotent, under a lock). */
export async function applySchema(
  store: string | StoreOptions,
  environment: Environment = {},
): Promise<SchemaStatus> {
  const dialect = createDialect(resolveStore(store, environment), true);
  try {
    return { installed: await dialect.schemaVersion(), required: SCHEMA_VERSION };
  } finally {
    await dialect.close().catch(() => undefined);
  }
}
