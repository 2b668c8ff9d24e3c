/** What a result depends on besides the code: the machine, Node and the drivers' versions. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';

export interface Environment {
  readonly node: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  /** 1-minute load average when the run started: the machine is shared. */
  readonly loadAverageAtStart: number;
  readonly packages: Readonly<Record<string, string>>;
}

/** Packages whose versions the figures depend on, and a workspace package that depends on each. */
const PACKAGES: readonly (readonly [name: string, from: string])[] = [
  ['better-sqlite3', 'packages/exporter'],
  ['pg', 'packages/exporter'],
  ['oracledb', 'packages/exporter'],
  ['@opentelemetry/api', 'packages/sdk'],
  ['@opentelemetry/sdk-trace-base', 'packages/sdk'],
  ['@opentelemetry/core', 'packages/sdk'],
  ['@opentelemetry/resources', 'packages/sdk'],
  ['@opentelemetry/exporter-trace-otlp-proto', 'bench'],
  ['protobufjs', 'collector'],
  ['fastify', 'collector'],
];

/** The installed version: the package.json found walking up from its resolved entry point. */
function installedVersion(name: string, from: string, root: string): string {
  try {
    const require = createRequire(join(root, from, 'package.json'));
    let directory = dirname(require.resolve(name));
    for (;;) {
      try {
        const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as {
          name?: string;
          version?: string;
        };
        if (manifest.name === name && manifest.version) return manifest.version;
      } catch {
        // no package.json here: keep walking up
      }
      const parent = dirname(directory);
      if (parent === directory) return 'unknown';
      directory = parent;
    }
  } catch {
    return 'not installed';
  }
}

export function describeEnvironment(root: string): Environment {
  const cpu = cpus();
  return {
    node: process.version,
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    os: `${platform()} ${release()}`,
    loadAverageAtStart: Number(loadavg()[0]!.toFixed(2)),
    packages: Object.fromEntries(PACKAGES.map(([name, from]) => [name, installedVersion(name, from, root)])),
  };
}
