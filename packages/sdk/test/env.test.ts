import { DiagLogLevel, diag } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { recorderOptionsFromEnv } from '@aitdr/sdk';

describe('recorderOptionsFromEnv', () => {
  it('maps the AITDR_* variables onto set-up options', () => {
    expect(
      recorderOptionsFromEnv({
        AITDR_STORE: 'postgres://recorder@db/training',
        AITDR_STATE_DIR: '/var/spool/aitdr',
        AITDR_RECORDING_MODE: 'buffered',
        AITDR_JAEGER_URL: 'http://jaeger:4318/v1/traces',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      }),
    ).toEqual({
      store: 'postgres://recorder@db/training',
      storeOptions: { stateDirectory: '/var/spool/aitdr' },
      mode: 'buffered',
      jaeger: { url: 'http://jaeger:4318/v1/traces' },
    });
  });

  it('still reads AITDR_SPOOL_DIRECTORY, saying once that AITDR_STATE_DIR replaces it', () => {
    const warnings: string[] = [];
    diag.setLogger(
      { error() {}, warn: (line) => warnings.push(line), info() {}, debug() {}, verbose() {} },
      DiagLogLevel.WARN,
    );
    try {
      for (let i = 0; i < 2; i++)
        expect(recorderOptionsFromEnv({ AITDR_STORE: 'sqlite:a.db', AITDR_SPOOL_DIRECTORY: '/old' })).toEqual(
          {
            store: 'sqlite:a.db',
            storeOptions: { stateDirectory: '/old' },
          },
        );
    } finally {
      diag.disable();
    }
    expect(warnings).toEqual([
      '@aitdr/sdk: AITDR_SPOOL_DIRECTORY is deprecated and read until the next release: use AITDR_STATE_DIR',
    ]);
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
