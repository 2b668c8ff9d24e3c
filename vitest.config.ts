import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources through the "aitdr-source" export
// condition, so tests always run the code as it is in the tree, with no build step. The "module"
// condition is left out: OpenTelemetry's packages map it to bundler-only ESM builds (imports
// without file extensions) that Node cannot load once the SDK packages import them.
const conditions = ['aitdr-source', ...defaultServerConditions.filter((condition) => condition !== 'module')];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'collector/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores here: files run in parallel, tests within a file in order.
    maxWorkers: 2,
  },
});
