import { SCHEMA_VERSION } from '@aitdr/schema';
import { SchemaNotReadyError } from './store-errors.js';

/** How a dialect reads and upgrades its schema; the rule of what to do is here, once. */
export interface SchemaAccess {
  /** The highest version in AI_SCHEMA_VERSION; undefined when the table is missing or empty. */
  readVersion(): Promise<number | undefined>;
  /** Installs or upgrades to SCHEMA_VERSION under the dialect's install lock (`upgradeStatements`). */
  upgrade(): Promise<void>;
}

/**
 * Run on every new connection (pool): installs or upgrades when `install` is set, then checks the
 * version. Throws SchemaNotReadyError when the schema is missing or behind: the recorder refuses
 * to start, and at run time the traces are spooled (configuration) rather than dead-lettered.
 */
export async function prepareSchema(access: SchemaAccess, install: boolean, where: string): Promise<number> {
  if (install) await access.upgrade();
  const installed = await access.readVersion();
  if (installed === undefined || installed < SCHEMA_VERSION) {
    throw new SchemaNotReadyError(installed, SCHEMA_VERSION, where);
  }
  return installed;
}

/** A MAX(VERSION) as the drivers return it (number, numeric string, null). */
export function versionOf(value: unknown): number | undefined {
  if (value === null || value === undefined) return undefined;
  const version = Number(value);
  return Number.isInteger(version) ? version : undefined;
}
