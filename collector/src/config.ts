/**
 * Collector configuration: command-line flags over environment variables over an optional file
 * over defaults, validated once at start-up. Every setting has one name, used as the environment
 * variable and as the key in the file (`KEY=value` lines, see `collector.example.env`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseEnvFile } from 'dotenv';
import { z } from 'zod';
import { withCurrentSettingNames, RENAMED_SETTINGS } from '@aitdr/conventions';
import { parseStoreUrl, storeStateKey } from '@aitdr/exporter';

const MiB = 1024 * 1024;

const positiveInt = z.coerce.number().int().positive();

/** The settings, keyed by their environment variable names. */
const SETTINGS = z.object({
  AITDR_COLLECTOR_HOST: z.string().min(1).default('127.0.0.1'),
  AITDR_COLLECTOR_PORT: z.coerce.number().int().min(0).max(65535).default(4318),
  AITDR_STORE: z
    .string()
    .regex(
      /^(sqlite:|postgres(ql)?:\/\/|oracle:\/\/)/,
      'must start with sqlite:, postgres://, postgresql:// or oracle://',
    )
    .default('sqlite:./data/training.db'),
  // Default: defaultCollectorStateDirectory(store), one per store.
  AITDR_COLLECTOR_STATE_DIR: z.string().min(1).optional(),
  AITDR_SPOOL_MAX_BYTES: positiveInt.default(256 * MiB),
  // Default: the dialect's (10 s PostgreSQL and Oracle, 5 s SQLite's busy timeout).
  AITDR_STORE_STATEMENT_TIMEOUT_MS: positiveInt.optional(),
  AITDR_MAX_BODY_BYTES: positiveInt.default(16 * MiB),
  AITDR_TRACE_WAIT_MS: z.coerce.number().int().min(0).default(1000),
  AITDR_TRACE_MAX_WAIT_MS: positiveInt.default(30_000),
  AITDR_MAX_HELD_SPANS: positiveInt.default(200_000),
  AITDR_MAX_PENDING_TRACES: positiveInt.default(2000),
  AITDR_COLLECTOR_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  AITDR_FORWARD_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  AITDR_GRPC_PORT: z.union([z.literal('off'), z.coerce.number().int().min(0).max(65535)]).default(4317),
  AITDR_TLS_CERT_FILE: z.string().min(1).optional(),
  AITDR_TLS_KEY_FILE: z.string().min(1).optional(),
  AITDR_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  AITDR_INSTALL_SCHEMA: z.enum(['1', '0', 'true', 'false', 'yes', 'no']).optional(),
});

export type SettingName = keyof z.input<typeof SETTINGS>;
export const SETTING_NAMES = Object.keys(SETTINGS.shape) as SettingName[];

export interface CollectorConfig {
  readonly host: string;
  readonly port: number;
  readonly store: string;
  /** Where the collector keeps its state: its intake journal (`intake/`) and its table exporter's state (`store/`). */
  readonly stateDirectory: string;
  readonly spoolMaxBytes: number;
  /** The store's statement timeout (PostgreSQL statement_timeout, Oracle callTimeout, SQLite busy_timeout); default the dialect's. */
  readonly storeStatementTimeoutMs?: number;
  readonly maxBodyBytes: number;
  readonly waitMs: number;
  readonly maxWaitMs: number;
  /** Spans held while traces gather (past it the oldest are written early), and spans being written (past it, 429). */
  readonly maxHeldSpans: number;
  /** Traces being written (handed to the store, not yet committed or spooled); past it requests get 429. */
  readonly maxPendingTraces: number;
  readonly token?: string;
  readonly forwardEndpoint?: string;
  readonly logLevel: string;
  /** Install or upgrade the schema on start; unset: only a SQLite store does (the exporter's default). */
  readonly installSchema?: boolean;
  /** OTLP/gRPC port (0 picks a free one); undefined: no gRPC receiver. The CLI's default is 4317. */
  readonly grpcPort?: number;
  /** PEM certificate chain and private key files: both ports then serve TLS (HTTPS, gRPC over TLS). */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
}

export class ConfigError extends Error {}

/** Where the collector keeps its journal and its exporter's state unless told: one directory per store. */
export const DEFAULT_COLLECTOR_STATE_ROOT = './data/collector';
/** @deprecated Renamed `DEFAULT_COLLECTOR_STATE_ROOT`; removed in the next release. */
export const DEFAULT_SPOOL_ROOT = DEFAULT_COLLECTOR_STATE_ROOT;

export function defaultCollectorStateDirectory(store: string): string {
  return join(DEFAULT_COLLECTOR_STATE_ROOT, storeStateKey(parseStoreUrl(store)));
}
/** @deprecated Renamed `defaultCollectorStateDirectory`; removed in the next release. */
export const defaultSpoolDirectory = defaultCollectorStateDirectory;

function stateDirectoryFor(store: string): string {
  try {
    return defaultCollectorStateDirectory(store);
  } catch (error) {
    throw new ConfigError(`invalid configuration: AITDR_STORE: ${(error as Error).message}`);
  }
}

/**
 * Where an earlier version kept a collector's state by default (one directory for every store).
 * Traces journalled or spooled there are not lost, but a collector started with today's defaults
 * does not see them: the CLI says so.
 */
export function legacyStateDirectory(): string | undefined {
  const legacy = DEFAULT_COLLECTOR_STATE_ROOT;
  return ['intake', 'store'].some((part) => existsSync(join(legacy, part))) ? legacy : undefined;
}

/** Each setting's default as `--help` shows it (none for those that have none). */
export function settingDefaults(): Partial<Record<SettingName, string>> {
  const defaults: Partial<Record<SettingName, string>> = {};
  for (const name of SETTING_NAMES) {
    const parsed = SETTINGS.shape[name].safeParse(undefined);
    if (parsed.success && parsed.data !== undefined) defaults[name] = String(parsed.data);
  }
  defaults.AITDR_COLLECTOR_STATE_DIR = `${DEFAULT_COLLECTOR_STATE_ROOT}/<dialect>-<hash of the store URL>`;
  defaults.AITDR_STORE_STATEMENT_TIMEOUT_MS = "the dialect's: 10000, SQLite 5000";
  return defaults;
}

/** Reads a `KEY=value` file; unknown keys are errors, so a typo does not pass silently (old names of renamed settings are read). */
export function readConfigFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `cannot read config file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  const values = parseEnvFile(text);
  const unknown = Object.keys(values).filter(
    (key) => !SETTING_NAMES.includes(key as SettingName) && !(key in RENAMED_SETTINGS),
  );
  if (unknown.length > 0) throw new ConfigError(`${path}: unknown setting(s) ${unknown.join(', ')}`);
  return values;
}

/**
 * Validates merged settings (later sources win) into a config, or throws ConfigError listing every
 * problem. Old names of renamed settings count where the new name is not set (the CLI warns).
 */
export function resolveConfig(...sources: Readonly<Record<string, string | undefined>>[]): CollectorConfig {
  const merged: Record<string, string> = {};
  for (const source of sources) {
    const current = withCurrentSettingNames(source);
    for (const name of SETTING_NAMES) {
      const value = current[name];
      if (value !== undefined && value !== '') merged[name] = value;
    }
  }
  const result = SETTINGS.safeParse(merged);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const s = result.data;
  if (s.AITDR_TRACE_MAX_WAIT_MS < s.AITDR_TRACE_WAIT_MS) {
    throw new ConfigError(
      'invalid configuration: AITDR_TRACE_MAX_WAIT_MS must not be less than AITDR_TRACE_WAIT_MS',
    );
  }
  if ((s.AITDR_TLS_CERT_FILE === undefined) !== (s.AITDR_TLS_KEY_FILE === undefined)) {
    throw new ConfigError(
      'invalid configuration: AITDR_TLS_CERT_FILE and AITDR_TLS_KEY_FILE must be set together',
    );
  }
  return {
    host: s.AITDR_COLLECTOR_HOST,
    port: s.AITDR_COLLECTOR_PORT,
    store: s.AITDR_STORE,
    stateDirectory: s.AITDR_COLLECTOR_STATE_DIR ?? stateDirectoryFor(s.AITDR_STORE),
    spoolMaxBytes: s.AITDR_SPOOL_MAX_BYTES,
    ...(s.AITDR_STORE_STATEMENT_TIMEOUT_MS === undefined
      ? {}
      : { storeStatementTimeoutMs: s.AITDR_STORE_STATEMENT_TIMEOUT_MS }),
    maxBodyBytes: s.AITDR_MAX_BODY_BYTES,
    waitMs: s.AITDR_TRACE_WAIT_MS,
    maxWaitMs: s.AITDR_TRACE_MAX_WAIT_MS,
    maxHeldSpans: s.AITDR_MAX_HELD_SPANS,
    maxPendingTraces: s.AITDR_MAX_PENDING_TRACES,
    logLevel: s.AITDR_LOG_LEVEL,
    ...(s.AITDR_COLLECTOR_TOKEN ? { token: s.AITDR_COLLECTOR_TOKEN } : {}),
    ...(s.AITDR_FORWARD_ENDPOINT ? { forwardEndpoint: s.AITDR_FORWARD_ENDPOINT } : {}),
    ...(s.AITDR_INSTALL_SCHEMA === undefined
      ? {}
      : { installSchema: ['1', 'true', 'yes'].includes(s.AITDR_INSTALL_SCHEMA) }),
    ...(s.AITDR_GRPC_PORT !== 'off' ? { grpcPort: s.AITDR_GRPC_PORT } : {}),
    ...(s.AITDR_TLS_CERT_FILE && s.AITDR_TLS_KEY_FILE
      ? { tls: { certFile: s.AITDR_TLS_CERT_FILE, keyFile: s.AITDR_TLS_KEY_FILE } }
      : {}),
  };
}
