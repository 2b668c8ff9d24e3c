/**
 * How a store failure is treated, decided by one table per dialect (`dialects/<name>/<name>-failures.ts`)
 * and listed in docs/store-errors.md, which is rendered from the same tables.
 */
import type { DialectName } from '@aitdr/schema';
import type { FailureKind } from './dialect.js';
import { errorCode, errorMessage, isNetworkError } from './failures.js';
import { StoreConfigurationError } from './store-errors.js';

/** One row: errors showing any of `match` get `kind`. Rows are read top to bottom; the first match wins. */
export interface FailureRule {
  /** Keys as the docs show them: `42501`, `class 08`, `ORA-01031`, `NJS-5xx`, `network`. */
  readonly match: readonly string[];
  readonly kind: FailureKind;
  readonly meaning: string;
  /** What an operator does (configuration errors). */
  readonly fix?: string;
}

export interface FailureTable {
  readonly dialect: DialectName;
  /** The keys an error shows, in the vocabulary of `FailureRule.match`. */
  keysOf(error: unknown): readonly string[];
  /** The database's code for an error, where it is not the driver's `code` (Oracle's `errorNum`). */
  readonly codeOf?: (error: unknown) => number | undefined;
  readonly rules: readonly FailureRule[];
}

/** What a failure is, and why. */
export interface ClassifiedFailure {
  readonly kind: FailureKind;
  readonly meaning: string;
  readonly fix?: string;
  /** The database's code for the error (`23514`, `SQLITE_CONSTRAINT_CHECK`, Oracle's 1400): what a dead letter records. */
  readonly code?: string | number;
}

/** Keys every dialect shares, checked before the dialect's own. */
const COMMON_RULES: readonly FailureRule[] = [
  {
    match: ['StoreConfigurationError'],
    kind: 'configuration',
    meaning: 'raised by the exporter: no schema or an old one, a driver that cannot be loaded',
    fix: "the error's own fix (for example aitdr-schema install)",
  },
  {
    match: ['network'],
    kind: 'transient',
    meaning: 'socket refused, reset, timed out or unreachable; DNS failure',
  },
];

const DATA: ClassifiedFailure = {
  kind: 'data',
  meaning: 'anything else: the database refused this data (length, type, check, NOT NULL)',
};

function commonKeys(error: unknown): string[] {
  const keys: string[] = [];
  if (error instanceof StoreConfigurationError) keys.push('StoreConfigurationError');
  if (isNetworkError(error)) keys.push('network');
  return keys;
}

export function classifyWith(table: FailureTable, error: unknown): ClassifiedFailure {
  if (error instanceof StoreConfigurationError) {
    return { kind: 'configuration', meaning: 'raised by the exporter', fix: error.fix };
  }
  const code = table.codeOf?.(error) ?? errorCode(error);
  const keys = new Set([...commonKeys(error), ...table.keysOf(error)]);
  const failure = [...COMMON_RULES, ...table.rules].find((rule) => rule.match.some((key) => keys.has(key)));
  return { ...(failure ?? DATA), ...(code === undefined ? {} : { code }) };
}

/** The message written to the status and the log for a store failure. */
export function describeStoreFailure(error: unknown, failure: ClassifiedFailure): string {
  const message = errorMessage(error).split('\n')[0] ?? '';
  if (error instanceof StoreConfigurationError) return `store misconfigured: ${message}`;
  return failure.kind === 'configuration'
    ? `store misconfigured (${failure.meaning}): ${message}; fix: ${failure.fix ?? 'see docs/store-errors.md'}`
    : message;
}

const cell = (text: string) => text.replaceAll('|', '\\|');

/** docs/store-errors.md, from the tables. */
export function renderFailureDoc(tables: readonly FailureTable[]): string {
  const lines = [
    '# Store errors: how each is treated',
    '',
    'Generated from `packages/exporter/src/dialects/<name>/<name>-failures.ts` by `pnpm generate`;',
    'do not edit by hand. Rows are read top to bottom, the first match wins; the rows of',
    '"every store" come first.',
    '',
    "- **data**: the database refused this trace's data. The trace is dead-lettered (with the",
    '  error) and costs no other trace; `aitdr-dead-letters` writes it again once fixed.',
    '- **transient**: the store is unreachable or asked to try again. The batch is retried with',
    '  backoff, then spooled and replayed when the store is back.',
    '- **configuration**: the store is set up wrongly (schema, privileges, credentials, space,',
    '  driver). Nothing is retried or dead-lettered: traces are spooled, the status (`lastError`,',
    "  the collector's `/ready` and `/health`) says why, and a log line names the fix. The breaker's",
    '  trial batches find out when it is fixed; the spool is then replayed.',
    '- **missing-parent**: feedback whose query is not stored yet: parked and tried again.',
    '',
    '## Every store',
    '',
    ...ruleTable(COMMON_RULES),
  ];
  for (const table of tables) {
    lines.push(
      '',
      `## ${table.dialect}`,
      '',
      ...ruleTable([...table.rules, { match: ['anything else'], ...DATA }]),
    );
  }
  return `${lines.join('\n')}\n`;
}

function ruleTable(rules: readonly FailureRule[]): string[] {
  return [
    '| Error | Class | Meaning | Fix |',
    '| --- | --- | --- | --- |',
    ...rules.map(
      (rule) =>
        `| ${rule.match.map((m) => `\`${cell(m)}\``).join(', ')} | ${rule.kind} | ${cell(rule.meaning)} | ${cell(rule.fix ?? '')} |`,
    ),
  ];
}
