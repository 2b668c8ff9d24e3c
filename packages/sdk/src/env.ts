/**
 * The one place the SDK reads environment variables of its own; everything else takes options,
 * so tests control it all. The standard OTEL_* variables are read by OpenTelemetry itself (the
 * OTLP exporter, the resource detector, the provider's limits and sampler).
 */
import { diag } from '@opentelemetry/api';
import type { RecordingMode, SetupOptions } from './types.js';

const MODES: readonly RecordingMode[] = ['async', 'buffered', 'sync'];

/**
 * Set-up options from the environment, to spread under the app's own:
 * - `AITDR_STORE`: store URL (`sqlite:./training.db`, `postgres://…`, `oracle://…`);
 * - `AITDR_SPOOL_DIRECTORY`: the table exporter's spool directory (its `stateDirectory`);
 * - without a store, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT` selects
 *   the collector (the OTLP exporter reads them, and `OTEL_EXPORTER_OTLP_HEADERS`, itself);
 * - `AITDR_RECORDING_MODE`: `async`, `buffered` or `sync`;
 * - `AITDR_JAEGER_URL`: also send spans to Jaeger's OTLP/HTTP endpoint.
 */
export function recorderOptionsFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): SetupOptions {
  const store = nonEmpty(env.AITDR_STORE);
  const spoolDirectory = nonEmpty(env.AITDR_SPOOL_DIRECTORY);
  const otlpEndpoint =
    nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) ?? nonEmpty(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  const jaegerUrl = nonEmpty(env.AITDR_JAEGER_URL);
  const mode = nonEmpty(env.AITDR_RECORDING_MODE);
  if (mode !== undefined && !MODES.includes(mode as RecordingMode)) {
    diag.warn(`@aitdr/sdk: AITDR_RECORDING_MODE=${mode} is not one of ${MODES.join(', ')}; ignored`);
  }
  return {
    ...(store === undefined ? {} : { store }),
    ...(store !== undefined && spoolDirectory !== undefined ? { storeOptions: { spoolDirectory } } : {}),
    ...(store === undefined && otlpEndpoint !== undefined ? { collector: true as const } : {}),
    ...(mode !== undefined && MODES.includes(mode as RecordingMode) ? { mode: mode as RecordingMode } : {}),
    ...(jaegerUrl === undefined ? {} : { jaeger: { url: jaegerUrl } }),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}
