/**
 * The collector's command line as a function of its arguments, environment and streams (the bin,
 * `server.ts`, only wires it to the process): reads the configuration (flags over environment
 * over file over defaults) and starts the collector; the caller stops it on SIGTERM/SIGINT.
 * Exit codes: 0 after a clean shutdown, 1 on a failure, 2 for a bad command line or
 * configuration.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DiagLogLevel, diag } from '@opentelemetry/api';
import { warnRenamed, withCurrentSettingNames } from '@aitdr/conventions';
import { DriverUnavailableError, redactStoreUrl, STORE_OPTION_HELP } from '@aitdr/exporter';
import type { FastifyBaseLogger } from 'fastify';
import {
  ConfigError,
  legacyStateDirectory,
  readConfigFile,
  resolveConfig,
  settingDefaults,
} from './config.js';
import type { SettingName } from './config.js';
import { startCollector } from './start-collector.js';
import type { RunningCollector } from './start-collector.js';

/** Where the command writes: help and the JSON log to `stdout`, errors to `stderr`. */
export interface CollectorCommandIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/** A collector the command started; `stop` is what a signal asks for. */
export interface CollectorCommandHandle {
  readonly collector: RunningCollector;
  /**
   * Writes every held trace and stops; resolves with the exit code (0, or 1 if the shutdown
   * failed). A second call while stopping resolves 1 at once: the caller exits without finishing.
   */
  stop(signal: string): Promise<number>;
}

const FLAGS: Record<string, { setting: SettingName; help: string }> = {
  store: { setting: 'AITDR_STORE', help: STORE_OPTION_HELP },
  host: { setting: 'AITDR_COLLECTOR_HOST', help: 'address to listen on' },
  port: { setting: 'AITDR_COLLECTOR_PORT', help: 'port to listen on' },
  'state-dir': {
    setting: 'AITDR_COLLECTOR_STATE_DIR',
    help: 'where the collector keeps its intake journal and its store spool',
  },
  'store-timeout-ms': {
    setting: 'AITDR_STORE_STATEMENT_TIMEOUT_MS',
    help: 'longest a store statement may take; past it the write is retried, then spooled',
  },
  'spool-max-bytes': { setting: 'AITDR_SPOOL_MAX_BYTES', help: 'byte cap of the journal and of the spool' },
  'max-body-bytes': { setting: 'AITDR_MAX_BODY_BYTES', help: 'largest request body, after decompression' },
  'wait-ms': { setting: 'AITDR_TRACE_WAIT_MS', help: 'quiet time before a trace with its root is written' },
  'max-wait-ms': { setting: 'AITDR_TRACE_MAX_WAIT_MS', help: 'longest a trace waits for its root' },
  'max-held-spans': { setting: 'AITDR_MAX_HELD_SPANS', help: 'spans held, and being written (429 beyond)' },
  'max-pending-traces': { setting: 'AITDR_MAX_PENDING_TRACES', help: 'traces being written; 429 beyond' },
  'grpc-port': { setting: 'AITDR_GRPC_PORT', help: 'OTLP/gRPC port, or off (default 4317)' },
  'tls-cert': { setting: 'AITDR_TLS_CERT_FILE', help: 'PEM certificate chain: both ports serve TLS' },
  'tls-key': { setting: 'AITDR_TLS_KEY_FILE', help: 'PEM private key of the certificate' },
  forward: { setting: 'AITDR_FORWARD_ENDPOINT', help: 'also forward requests to this OTLP/HTTP endpoint' },
  'log-level': { setting: 'AITDR_LOG_LEVEL', help: 'fatal, error, warn, info, debug, trace or silent' },
  'install-schema': {
    setting: 'AITDR_INSTALL_SCHEMA',
    help: 'install/upgrade the schema on start: 1 or 0 (default: SQLite only)',
  },
};

const DEFAULTS = settingDefaults();

const USAGE = `Usage: aitdr-collector [options]

Receives OTLP/HTTP traces on POST /v1/traces and OTLP/gRPC traces (TraceService/Export) and
writes them to the nine tables.
Every option is also an environment variable and a key of the config file; flags win over the
environment, which wins over the file. The bearer token is read only from AITDR_COLLECTOR_TOKEN
(or the file), never from a flag, so it does not show in process lists.

Options:
  --config <file>           KEY=value settings file (also AITDR_COLLECTOR_CONFIG)
${Object.entries(FLAGS)
  .map(([flag, { setting, help }]) => {
    const fallback = DEFAULTS[setting];
    return `  --${`${flag} <value>`.padEnd(23)} ${help} [${setting}${fallback === undefined ? '' : `, default ${fallback}`}]`;
  })
  .join('\n')}
  -h, --help                show this help
`;

/** Routes OpenTelemetry's diag messages (the exporter's warnings) into the JSON log. */
function logDiagTo(log: FastifyBaseLogger): void {
  diag.setLogger(
    {
      error: (message, ...args) => log.error({ args }, message),
      warn: (message, ...args) => log.warn({ args }, message),
      info: (message, ...args) => log.info({ args }, message),
      debug: (message, ...args) => log.debug({ args }, message),
      verbose: (message, ...args) => log.trace({ args }, message),
    },
    DiagLogLevel.INFO,
  );
}

/**
 * Runs `aitdr-collector`: the exit code when it does not start (help, a bad command line or
 * configuration, a failure), else the running collector's handle.
 */
export async function startCollectorCommand(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: CollectorCommandIo,
): Promise<number | CollectorCommandHandle> {
  try {
    return await start(argv[0] === '--' ? argv.slice(1) : argv, env, io);
  } catch (error) {
    io.stderr.write(`aitdr-collector: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

async function start(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: CollectorCommandIo,
): Promise<number | CollectorCommandHandle> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        config: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        ...Object.fromEntries(Object.keys(FLAGS).map((flag) => [flag, { type: 'string' as const }])),
        // Renamed --state-dir; read until the next release.
        'spool-dir': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    io.stderr.write(`aitdr-collector: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (parsed.values.help) {
    io.stdout.write(USAGE);
    return 0;
  }

  let config;
  try {
    const warn = (line: string) => io.stderr.write(`aitdr-collector: ${line}\n`);
    const configFile = parsed.values.config ?? env.AITDR_COLLECTOR_CONFIG;
    const fromFile = withCurrentSettingNames(configFile ? readConfigFile(configFile) : {}, warn);
    const values = parsed.values as Record<string, string | boolean | undefined>;
    if (values['spool-dir'] !== undefined) {
      warnRenamed('--spool-dir', '--state-dir', warn);
      values['state-dir'] ??= values['spool-dir'];
    }
    const fromFlags = Object.fromEntries(
      Object.entries(FLAGS).map(([flag, { setting }]) => [setting, values[flag] as string | undefined]),
    );
    config = resolveConfig(fromFile, withCurrentSettingNames(env, warn), fromFlags);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr.write(`aitdr-collector: ${error.message}\n`);
    return 2;
  }

  let collector;
  try {
    collector = await startCollector({
      ...config,
      logger: { level: config.logLevel, stream: io.stdout },
      environment: env,
      ownsProcess: true,
    });
  } catch (error) {
    // A store whose driver is missing is a configuration problem: say which package to install.
    if (!(error instanceof DriverUnavailableError)) throw error;
    io.stderr.write(`aitdr-collector: ${error.message}\n`);
    return 2;
  }
  const log = collector.app.log;
  logDiagTo(log);
  log.info(
    { url: collector.url, grpcUrl: collector.grpcUrl, store: redactStoreUrl(config.store) },
    'collector started',
  );
  const legacy = legacyStateDirectory();
  if (legacy !== undefined && resolve(legacy) !== resolve(config.stateDirectory)) {
    log.warn(
      { directory: legacy, stateDirectory: config.stateDirectory },
      `an earlier version's collector state is in ${legacy}: it may hold traces not yet stored; ` +
        `start once with --state-dir ${legacy} (and the store it wrote to) to store them, then remove its intake and store folders`,
    );
  }

  let stopping: Promise<number> | undefined;
  const stop = (signal: string): Promise<number> => {
    if (stopping !== undefined) {
      log.warn({ signal }, 'second signal: exiting without finishing the shutdown');
      return Promise.resolve(1);
    }
    log.info({ signal }, 'shutting down: writing held traces');
    stopping = collector.close().then(
      () => {
        log.info('collector stopped');
        return 0;
      },
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        return 1;
      },
    );
    return stopping.finally(() => diag.disable());
  };
  return { collector, stop };
}
