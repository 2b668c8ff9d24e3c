import { describe, expect, it } from 'vitest';
import { recorderOptionsFromEnv } from '@aitdr/sdk';

describe('recorderOptionsFromEnv', () => {
  it('maps the AITDR_* variables onto set-up options', () => {
    expect(
      recorderOptionsFromEnv({
        AITDR_STORE: 'postgres://recorder@db/training',
        AITDR_SPOOL_DIRECTORY: '/var/spool/aitdr',
        AITDR_RECORDING_MODE: 'buffered',
        AITDR_JAEGER_URL: 'http://jaeger:4318/v1/traces',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      }),
    ).toEqual({
      store: 'postgres://recorder@db/training',
      storeOptions: { spoolDirectory: '/var/spool/aitdr' },
      mode: 'buffered',
      jaeger: { url: 'http://jaeger:4318/v1/traces' },
    });
  });

  it('chooses the collector when only an OTLP endpoint is set, leaving its reading to the OTLP exporter', () => {
    expect(
      recorderOptionsFromEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }),
    ).toEqual({
      collector: true,
    });
  });

  it('ignores empty values and unknown modes', () => {
    expect(recorderOptionsFromEnv({ AITDR_STORE: ' ', AITDR_RECORDING_MODE: 'eventually' })).toEqual({});
  });
});
