/** Defaults the commands share, so the demo's next steps name what the other commands read. */
import { join } from 'node:path';
import { collectorStoreStateDirectory } from '@aitdr/collector';

/** Where the demo records to and what the export and the stats read, unless told otherwise. */
export const DEFAULT_STORE = 'sqlite:data/training.db';
export const DEFAULT_SAMPLE_DATABASE = 'data/sample-manufacturing.db';
export const DEFAULT_STATE_DIRECTORY = 'data/state';

/** Where the demo's in-process collector keeps its journal and its table exporter's state. */
export function demoCollectorSpoolDirectory(stateDirectory: string): string {
  return join(stateDirectory, 'collector');
}

/** The table exporter's state directory (its dead letters) when the demo runs its default way, through the collector. */
export const DEFAULT_DEAD_LETTER_STATE_DIRECTORY = collectorStoreStateDirectory(
  demoCollectorSpoolDirectory(DEFAULT_STATE_DIRECTORY),
);
export const DEFAULT_EXPORT_DIRECTORY = 'data/export';
export const DEFAULT_STATS_HTML = 'data/stats.html';
/** The demo's seed when none is given; the export's split uses it too. */
export { DEFAULT_SEED } from '@aitdr/demo';

/** How a user runs each command from a clone (the root package.json scripts). */
export const ROOT_SCRIPTS = {
  export: 'npx pnpm@12.4.2 run export',
  stats: 'npx pnpm@12.4.2 run stats',
  deadLetters: 'npx pnpm@12.4.2 run dead-letters',
} as const;
