import { AI_SCHEMA_VERSION, TABLES } from '@aitdr/schema';
import type { TableDef } from '@aitdr/schema';

/** Every table an install must create: the nine plus the version table. */
export const INSTALLED_TABLES: readonly TableDef[] = [AI_SCHEMA_VERSION, ...TABLES];

const hex = (n: number) => 'a1b2c3d4e5f60718293a4b5c6d7e8f90'.slice(0, n);
export const QUERY_ID = hex(32);
export const SPAN_ID = hex(16);
export const MISSING_QUERY_ID = 'f'.repeat(32);
