export { createRng, DEFAULT_SEED } from './random.js';
export type { Rng } from './random.js';
export {
  createSampleDatabase,
  openSampleDatabase,
  DEFAULT_END_DATE,
  DEFAULT_HISTORY_DAYS,
} from './sample-database/create-sample-database.js';
export type {
  SampleDatabaseOptions,
  SampleDatabaseSummary,
} from './sample-database/create-sample-database.js';
export { MANUFACTURING_DDL, SAMPLE_TABLES } from './sample-database/manufacturing-schema.js';
export type { SampleTable } from './sample-database/manufacturing-schema.js';
