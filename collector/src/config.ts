/**
 * Collector configuration: command-line flags over environment variables over an optional file
 * over defaults, validated once at start-up. Every setting has one name, used as the environment
 * variable and as the key in the file (`KEY=value` lines, see `collector.example.env`).
 */
import { readFileSync } from 'node:fs';
import { parse as parseEnvFile } from 'dotenv';
import { z } from 'zod';

const MiB = 1024 * 1024;

const positiveInt = z.coerce.number().int().positive();

/** The settings, keyed by their environment variable names. */
const SETTINGS = z.object({
  AITDR_COLLECTOR_HOST: z.string().min(1).default('127.0.0.1'),
  AITDR_COLLECTOR_PORT: z.coerce.number().int().min(0).max(65535).default(4318),
  AITDR_STORE_URL: z
    .string()
    .regex(
      /^(sqlite:|postgres(ql)?:\/\/|oracle:\/\/)/,
      'must start with sqlite:, postgres://, postgresql:// or oracle://',
    )
    .default('sqlite:./data/training.db'),
  AITDR_SPOOL_DIR: z.string().min(1).default('./data/collector'),
  AITDR_SPOOL_MAX_BYTES: positiveInt.default(256 * MiB),
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
});

export type SettingName = keyof z.input<typeof SETTINGS>;
export const SETTING_NAMES = Object.keys(SETTINGS.shape) as SettingName[];

export interface CollectorConfig {
  readonly host: string;
  readonly port: number;
  readonly store: string;
  readonly spoolDirectory: string;
  readonly spoolMaxBytes: number;
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
  /** OTLP/gRPC port (0 picks a free one); undefined: no gRPC receiver. The CLI's default is 4317. */
  readonly grpcPort?: number;
  /** PEM certificate chain and private key files: both ports then serve TLS (HTTPS, gRPC over TLS). */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
}

export class ConfigError extends Error {}

/** Reads a `KEY=value` file; unknown keys are errors, so a typo does not pass silently. */
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
  const unknown = Object.keys(values).filter((key) => !SETTING_NAMES.includes(key as SettingName));
  if (unknown.length > 0) throw new ConfigError(`${path}: unknown setting(s) ${unknown.join(', ')}`);
  return values;
}

/** Validates merged settings (later sources win) into a config, or throws ConfigError listing every problem. */
export function resolveConfig(...sources: Readonly<Record<string, string | undefined>>[]): CollectorConfig {
  const merged: Record<string, string> = {};
  for (const source of sources) {
    for (const name of SETTING_NAMES) {
      const value = source[name];
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
    store: s.AITDR_STORE_URL,
    spoolDirectory: s.AITDR_SPOOL_DIR,
    spoolMaxBytes: s.AITDR_SPOOL_MAX_BYTES,
    maxBodyBytes: s.AITDR_MAX_BODY_BYTES,
    waitMs: s.AITDR_TRACE_WAIT_MS,
    maxWaitMs: s.AITDR_TRACE_MAX_WAIT_MS,
    maxHeldSpans: s.AITDR_MAX_HELD_SPANS,
    maxPendingTraces: s.AITDR_MAX_PENDING_TRACES,
    logLevel: s.AITDR_LOG_LEVEL,
    ...(s.AITDR_COLLECTOR_TOKEN ? { token: s.AITDR_COLLECTOR_TOKEN } : {}),
    ...(s.AITDR_FORWARD_ENDPOINT ? { forwardEndpoint: s.AITDR_FORWARD_ENDPOINT } : {}),
    ...(s.AITDR_GRPC_PORT !== 'off' ? { grpcPort: s.AITDR_GRPC_PORT } : {}),
    ...(s.AITDR_TLS_CERT_FILE && s.AITDR_TLS_KEY_FILE
      ? { tls: { certFile: s.AITDR_TLS_CERT_FILE, keyFile: s.AITDR_TLS_KEY_FILE } }
      : {}),
  };
}
