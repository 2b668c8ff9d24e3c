/**
 * Settings renamed so each has one name across the SDK, the exporter, the collector and the CLI.
 * An old name is still read for one release; the first time one is met in a process, one line
 * says which name replaces it.
 */

/** Old environment variable (and collector config file key) → the name that replaces it. */
export const RENAMED_SETTINGS: Readonly<Record<string, string>> = {
  AITDR_STORE_URL: 'AITDR_STORE',
  AITDR_SPOOL_DIR: 'AITDR_COLLECTOR_STATE_DIR',
  AITDR_SPOOL_DIRECTORY: 'AITDR_STATE_DIR',
};

const warned = new Set<string>();

/** Says once per process that `oldName` is deprecated in favour of `name`. */
export function warnRenamed(oldName: string, name: string, warn: (line: string) => void): void {
  if (warned.has(oldName)) return;
  warned.add(oldName);
  warn(`${oldName} is deprecated and read until the next release: use ${name}`);
}

/**
 * `settings` under today's names: a value under an old name counts when the new name has none
 * (empty counts as none), and `warn` (when given) hears of it once.
 */
export function withCurrentSettingNames(
  settings: Readonly<Record<string, string | undefined>>,
  warn?: (line: string) => void,
): Record<string, string | undefined> {
  const current: Record<string, string | undefined> = { ...settings };
  for (const [oldName, name] of Object.entries(RENAMED_SETTINGS)) {
    const old = settings[oldName];
    if (old === undefined || old === '') continue;
    if (warn) warnRenamed(oldName, name, warn);
    if (current[name] === undefined || current[name] === '') current[name] = old;
  }
  return current;
}
