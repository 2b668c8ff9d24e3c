/**
 * The one place the SDK reads environment variables of its own; everything else takes options,
 * so tests control it all. Of the standard OTEL_* variables, those that change what is recorded
 * (disabled, sampler, OTLP protocol) are read here; the rest by OpenTelemetry itself (the OTLP
 * exporter's endpoint and headers, the resource detector). README's "OTEL_* settings" lists them all.
 */
import { diag } from '@opentelemetry/api';
import { withCurrentSettingNames } from '@aitdr/conventions';
import type { OtlpProtocol, RecordingMode, SetupOptions } from './types.js';

export type { OtlpProtocol } from './types.js';

type Env = Readonly<Record<string, string | undefined>>;

const MODES: readonly RecordingMode[] = ['async', 'buffered', 'sync'];

/**
 * Set-up options from the environment, to spread under the app's own:
 * - `AITDR_STORE`: store URL (`sqlite:./training.db`, `postgres://…`, `oracle://…`);
 * - `AITDR_STATE_DIR`: the table exporter's state directory (`stateDirectory`: its spool, parked
 *   feedback, dead letters; `AITDR_SPOOL_DIRECTORY` is read until the next release);
 * - without a store, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT` selects
 *   the collector (the OTLP exporter reads them, and `OTEL_EXPORTER_OTLP_HEADERS`, itself);
 * - `AITDR_RECORDING_MODE`: `async`, `buffered` or `sync`;
 * - `AITDR_JAEGER_URL`: also send spans to Jaeger's OTLP/HTTP endpoint.
 */
export function recorderOptionsFromEnv(given: Env = process.env): SetupOptions {
  const env = withCurrentSettingNames(given, (line) => diag.warn(`@aitdr/sdk: ${line}`));
  const store = nonEmpty(env.AITDR_STORE);
  const stateDirectory = nonEmpty(env.AITDR_STATE_DIR);
  const otlpEndpoint =
    nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) ?? nonEmpty(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  const jaegerUrl = nonEmpty(env.AITDR_JAEGER_URL);
  const mode = nonEmpty(env.AITDR_RECORDING_MODE);
  if (mode !== undefined && !MODES.includes(mode as RecordingMode)) {
    diag.warn(`@aitdr/sdk: AITDR_RECORDING_MODE=${mode} is not one of ${MODES.join(', ')}; ignored`);
  }
  return {
    ...(store === undefined ? {} : { store }),
    ...(store !== undefined && stateDirectory !== undefined ? { storeOptions: { stateDirectory } } : {}),
    ...(store === undefined && otlpEndpoint !== undefined ? { collector: true as const } : {}),
    ...(mode !== undefined && MODES.includes(mode as RecordingMode) ? { mode: mode as RecordingMode } : {}),
    ...(jaegerUrl === undefined ? {} : { jaeger: { url: jaegerUrl } }),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

/** `OTEL_SDK_DISABLED=true` (case-insensitive), as the specification reads it. */
export function sdkDisabledFromEnv(env: Env = process.env): boolean {
  return nonEmpty(env.OTEL_SDK_DISABLED)?.toLowerCase() === 'true';
}

const PROTOCOLS: readonly OtlpProtocol[] = ['http/protobuf', 'http/json'];

/**
 * `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, else `OTEL_EXPORTER_OTLP_PROTOCOL`, else the
 * specification's default `http/protobuf`. `grpc` (and anything else) is not supported: warned, default used.
 */
export function otlpProtocolFromEnv(env: Env = process.env): OtlpProtocol {
  const given = nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL) ?? nonEmpty(env.OTEL_EXPORTER_OTLP_PROTOCOL);
  if (given === undefined) return 'http/protobuf';
  if (PROTOCOLS.includes(given as OtlpProtocol)) return given as OtlpProtocol;
  diag.warn(`@aitdr/sdk: OTLP protocol ${given} is not one of ${PROTOCOLS.join(', ')}; using http/protobuf`);
  return 'http/protobuf';
}

export interface SamplerSetting {
  readonly name:
    | 'always_on'
    | 'always_off'
    | 'traceidratio'
    | 'parentbased_always_on'
    | 'parentbased_always_off'
    | 'parentbased_traceidratio';
  /** For the ratio samplers: `OTEL_TRACES_SAMPLER_ARG`, default 1. */
  readonly ratio: number;
}

const SAMPLERS: readonly SamplerSetting['name'][] = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];

/** `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG`; default `parentbased_always_on`, as the SDK's. */
export function samplerSettingFromEnv(env: Env = process.env): SamplerSetting {
  const name = nonEmpty(env.OTEL_TRACES_SAMPLER)?.toLowerCase() ?? 'parentbased_always_on';
  const arg = Number(nonEmpty(env.OTEL_TRACES_SAMPLER_ARG) ?? '1');
  const ratio = Number.isFinite(arg) && arg >= 0 && arg <= 1 ? arg : 1;
  if (!SAMPLERS.includes(name as SamplerSetting['name'])) {
    diag.warn(`@aitdr/sdk: OTEL_TRACES_SAMPLER=${name} is not supported; using parentbased_always_on`);
    return { name: 'parentbased_always_on', ratio };
  }
  return { name: name as SamplerSetting['name'], ratio };
}
