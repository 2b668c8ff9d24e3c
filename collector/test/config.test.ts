import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, readConfigFile, resolveConfig } from '../src/config.js';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';

describe('resolveConfig', () => {
  it('applies defaults, and later sources win over earlier ones', () => {
    const config = resolveConfig(
      { AITDR_COLLECTOR_PORT: '5000', AITDR_STORE: 'sqlite:./a.db' },
      { AITDR_COLLECTOR_PORT: '6000' },
    );
    expect(config).toMatchObject({
      port: 6000,
      store: 'sqlite:./a.db',
      host: '127.0.0.1',
      waitMs: 1000,
      maxWaitMs: 30_000,
      maxHeldSpans: 200_000,
      maxPendingTraces: 2000,
    });
    expect(config.token).toBeUndefined();
  });

  it('takes the store statement timeout, positive milliseconds', () => {
    expect(resolveConfig({}).storeStatementTimeoutMs).toBeUndefined();
    expect(resolveConfig({ AITDR_STORE_STATEMENT_TIMEOUT_MS: '2500' }).storeStatementTimeoutMs).toBe(2500);
    expect(() => resolveConfig({ AITDR_STORE_STATEMENT_TIMEOUT_MS: '0' })).toThrow(
      /AITDR_STORE_STATEMENT_TIMEOUT_MS/,
    );
  });

  it('keeps one spool directory per store by default', () => {
    const a = resolveConfig({ AITDR_STORE: 'sqlite:./a.db' }).stateDirectory;
    const b = resolveConfig({ AITDR_STORE: 'sqlite:./b.db' }).stateDirectory;
    expect(a).toMatch(/^data\/collector\/sqlite-[0-9a-f]{12}$/);
    expect(b).not.toBe(a);
    expect(
      resolveConfig({ AITDR_STORE: 'sqlite:./a.db', AITDR_COLLECTOR_STATE_DIR: '/x' }).stateDirectory,
    ).toBe('/x');
  });

  it('lists every problem in one ConfigError naming the settings', () => {
    const error = (() => {
      try {
        resolveConfig({
          AITDR_COLLECTOR_PORT: 'http',
          AITDR_STORE: 'mysql://x',
          AITDR_COLLECTOR_TOKEN: 'short',
        });
      } catch (caught) {
        return caught as Error;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/AITDR_COLLECTOR_PORT: /);
    expect(error.message).toMatch(
      /AITDR_STORE: must start with sqlite:, postgres:\/\/, postgresql:\/\/ or oracle:\/\//,
    );
    expect(error.message).toMatch(/AITDR_COLLECTOR_TOKEN: must be at least 16 characters/);
  });

  it('installs the schema only when AITDR_INSTALL_SCHEMA says so', () => {
    expect(resolveConfig({}).installSchema).toBeUndefined();
    expect(resolveConfig({ AITDR_INSTALL_SCHEMA: '1' }).installSchema).toBe(true);
    expect(resolveConfig({ AITDR_INSTALL_SCHEMA: 'no' }).installSchema).toBe(false);
    expect(() => resolveConfig({ AITDR_INSTALL_SCHEMA: 'sometimes' })).toThrow(/AITDR_INSTALL_SCHEMA/);
  });

  it('opens gRPC on 4317 unless told another port or off, and takes TLS files only as a pair', () => {
    expect(resolveConfig({}).grpcPort).toBe(4317);
    expect(resolveConfig({ AITDR_GRPC_PORT: '0' }).grpcPort).toBe(0);
    expect(resolveConfig({ AITDR_GRPC_PORT: 'off' })).not.toHaveProperty('grpcPort');
    expect(() => resolveConfig({ AITDR_GRPC_PORT: 'on' })).toThrow(/AITDR_GRPC_PORT: /);
    expect(resolveConfig({ AITDR_TLS_CERT_FILE: 'a.crt', AITDR_TLS_KEY_FILE: 'a.key' }).tls).toEqual({
      certFile: 'a.crt',
      keyFile: 'a.key',
    });
    expect(() => resolveConfig({ AITDR_TLS_CERT_FILE: 'a.crt' })).toThrow(
      /AITDR_TLS_CERT_FILE and AITDR_TLS_KEY_FILE must be set together/,
    );
  });

  it('refuses a maximum wait shorter than the wait', () => {
    expect(() => resolveConfig({ AITDR_TRACE_WAIT_MS: '5000', AITDR_TRACE_MAX_WAIT_MS: '1000' })).toThrow(
      /AITDR_TRACE_MAX_WAIT_MS must not be less than AITDR_TRACE_WAIT_MS/,
    );
  });
});

describe('readConfigFile', () => {
  const dir = createTemporaryDirectory('aitdr-config-');
  afterAll(() => dir.remove());

  it('reads the commented example file', () => {
    const example = fileURLToPath(new URL('../collector.example.env', import.meta.url));
    expect(resolveConfig(readConfigFile(example))).toMatchObject({
      port: 4318,
      grpcPort: 4317,
      store: 'sqlite:./data/training.db',
    });
  });

  it('refuses unknown keys, so a typo does not pass silently', () => {
    const path = join(dir.path, 'bad.env');
    writeFileSync(path, 'AITDR_COLECTOR_PORT=1\n');
    expect(() => readConfigFile(path)).toThrow(/unknown setting\(s\) AITDR_COLECTOR_PORT/);
  });

  it('names a file it cannot read', () => {
    expect(() => readConfigFile(join(dir.path, 'missing.env'))).toThrow(
      /cannot read config file .*missing.env: ENOENT/,
    );
  });
});
