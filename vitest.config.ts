import { configDefaults, defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources through the "aitdr-source" export
// condition, so tests always run the code as it is in the tree, with no build step. Vite's
// default server conditions are kept except "module": that picks bundler-only ESM builds
// (extensionless imports) that Node itself cannot load, as @opentelemetry/api ships.
const conditions = ['aitdr-source', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    // One project per kind of run, each a script of the root package.json: the fast unit run first
    // (each package's tests, on real SQLite files and the local PostgreSQL), then end to end,
    // reliability and the benchmarks' smoke run. `vitest run` alone runs them all.
    projects: [
      project(
        'unit',
        [
          'packages/*/test/**/*.test.ts',
          'collector/test/**/*.test.ts',
          'test/packaging/**/*.test.ts',
          'test/schema/**/*.test.ts',
        ],
        ['collector/test/e2e/**'],
      ),
      project('e2e', [
        'test/e2e/**/*.test.ts',
        'collector/test/e2e/**/*.test.ts',
        'test/instrumentation/**/*.test.ts',
      ]),
      project('reliability', ['test/reliability/**/*.test.ts']),
      project('bench-smoke', ['bench/test/**/*.test.ts']),
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores here: files run in parallel, tests within a file in order.
    maxWorkers: 2,
  },
});

function project(name: string, include: string[], exclude: string[] = []) {
  return {
    extends: true as const,
    test: { name, include, exclude: [...configDefaults.exclude, ...exclude] },
  };
}
