/**
 * What every package publishes: the licence it names (the full Apache-2.0 text), the Node range
 * it runs on, only its built files, and exports without the workspace-only source condition.
 * The consumer tests (test/consumer) install the packed packages for real.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const PACKAGES = [
  'packages/conventions',
  'packages/schema',
  'packages/exporter',
  'packages/sdk',
  'packages/demo',
  'packages/cli',
  'collector',
];

interface Manifest {
  name: string;
  license: string;
  engines?: { node?: string };
  files?: string[];
  publishConfig?: { access?: string; exports?: Record<string, Record<string, string>> };
  peerDependencies?: Record<string, string>;
}

const manifestOf = (dir: string) =>
  JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as Manifest;

describe.each(PACKAGES)('%s', (dir) => {
  it('ships the full Apache-2.0 licence it names', () => {
    expect(manifestOf(dir).license).toBe('Apache-2.0');
    const licence = readFileSync(join(ROOT, dir, 'LICENSE'), 'utf8');
    expect(licence).toBe(readFileSync(join(ROOT, 'LICENSE'), 'utf8'));
    expect(licence).toContain('Apache License\n                           Version 2.0, January 2004');
  });

  it('states its Node range and publishes only its build, with exports for the published files', () => {
    const manifest = manifestOf(dir);
    expect(manifest.engines?.node).toBe('>=20.19.0');
    expect(manifest.files).toEqual(['dist', 'README.md', 'LICENSE']);
    expect(manifest.publishConfig?.access).toBe('public');
    expect(manifest.publishConfig?.exports?.['.']).toEqual({
      types: './dist/index.d.ts',
      default: './dist/index.js',
    });
  });
});

describe('peer ranges', () => {
  it('take both OpenTelemetry JS lines: API 1.9 (sdk-trace-base 2.x) and 1.10 (sdk-trace 3.x)', () => {
    for (const dir of ['packages/conventions', 'packages/schema', 'packages/exporter', 'packages/sdk']) {
      expect(manifestOf(dir).peerDependencies?.['@opentelemetry/api'], dir).toBe('>=1.3.0 <1.11.0');
    }
    const sdk = manifestOf('packages/sdk').peerDependencies;
    expect(sdk?.['@opentelemetry/sdk-trace']).toBe('>=2.9.0 <4.0.0');
    expect(sdk?.['@opentelemetry/resources']).toBe('>=2.0.0 <4.0.0');
    expect(sdk?.['@opentelemetry/exporter-trace-otlp-proto']).toBe('>=0.200.0 <0.400.0');
  });
});
