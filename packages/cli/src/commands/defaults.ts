/** Defaults the commands share, so the demo's next steps name what the other commands read. */
import { join } from 'node:path';
import {
  collectorStoreStateDirectory,
  DEFAULT_COLLECTOR_STATE_ROOT,
  defaultCollectorStateDirectory,
} from '@aitdr/collector';
import { parseStoreUrl, storeStateKey } from '@aitdr/exporter';

/** Where the demo records to and what the export and the stats read, unless told otherwise. */
export const DEFAULT_STORE = 'sqlite:data/training.db';
export const DEFAULT_SAMPLE_DATABASE = 'data/sample-manufacturing.db';
/** Under it, the demo keeps one state directory per store, so dead letters of two stores never mix. */
export const DEFAULT_STATE_ROOT = 'data/state';

/** The demo's state directory for `store` unless told otherwise: `data/state/<dialect>-<hash>`. */
export function demoStateDirectory(store: string): string {
  return join(DEFAULT_STATE_ROOT, storeStateKey(parseStoreUrl(store)));
}

/** Where the demo's in-process collector keeps its journal and its table exporter's state. */
export function demoCollectorStateDirectory(stateDirectory: string): string {
  return join(stateDirectory, 'collector');
}

/**
 * The table exporters' state directories that hold `store`'s dead letters by default: the demo's
 * collector's, the demo's in-process exporter's, and a standalone collector's.
 */
export function defaultDeadLetterStateDirectories(store: string): string[] {
  const demo = demoStateDirectory(store);
  return [
    collectorStoreStateDirectory(demoCollectorStateDirectory(demo)),
    demoExporterStateDirectory(demo),
    collectorStoreStateDirectory(defaultCollectorStateDirectory(store)),
    // Where an earlier version kept them, for every store alike: looked at too, so none is forgotten.
    ...LEGACY_STATE_DIRECTORIES,
  ];
}

/** The exporters' state directories of an earlier version's defaults (one for every store). */
export const LEGACY_STATE_DIRECTORIES = [
  collectorStoreStateDirectory(demoCollectorStateDirectory(DEFAULT_STATE_ROOT)),
  demoExporterStateDirectory(DEFAULT_STATE_ROOT),
  collectorStoreStateDirectory(DEFAULT_COLLECTOR_STATE_ROOT),
];

/** Where the demo's in-process table exporter keeps its state. */
export function demoExporterStateDirectory(stateDirectory: string): string {
  return join(stateDirectory, 'exporter');
}

export const DEFAULT_EXPORT_DIRECTORY = 'data/export';
export const DEFAULT_STATS_HTML = 'data/stats.html';
/** The demo's seed when none is given; the export's split uses it too. */
export { DEFAULT_SEED } from '@aitdr/demo';

/** How a user runs each command from a clone (the root package.json scripts). */
export const ROOT_SCRIPTS = {
  export: 'npm run export',
  stats: 'npm run stats',
  deadLetters: 'npm run dead-letters',
} as const;
