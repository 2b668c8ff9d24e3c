import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources through the "aitdr-source" export
// condition, so tests always run the code as it is in the tree, with no build step. Vite's
// default server conditions are kept except "module": that picks bundler-only ESM builds
// (extensionless imports) that Node itself cannot load, as @opentelemetry/api ships.
const conditions = ['aitdr-source', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: [
      'packages/*/test/**/*.test.ts',
      'collector/test/**/*.test.ts',
      'test/**/*.test.ts',
      'bench/test/**/*.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores here: files run in parallel, tests within a file in order.
    maxWorkers: 2,
  },
});
