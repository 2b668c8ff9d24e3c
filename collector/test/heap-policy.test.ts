import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { evalTsModule } from '@aitdr/tests/support/child-process.js';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';

const collectorModule = fileURLToPath(new URL('../src/index.ts', import.meta.url));

describe("the collector's V8 heap policy", () => {
  const directory = createTemporaryDirectory('aitdr-heap-policy-');
  afterAll(() => directory.remove());

  it('turns off allocation-site pretenuring in its process once started', () => {
    // Objects from one site that all survive: with pretenuring on, V8 soon allocates that site's
    // objects straight in the old generation (none of the last ones young); with it off, all are.
    const script = `const { startCollector } = await import(${JSON.stringify(collectorModule)});
      const collector = await startCollector({
        store: ${JSON.stringify(`sqlite:${join(directory.path, 'training.db')}`)},
        stateDirectory: ${JSON.stringify(join(directory.path, 'state'))},
        port: 0,
      });
      await collector.close();
      const inYoungGeneration = new Function('object', 'return %InYoungGeneration(object)');
      const make = (i) => ({ a: i, b: i });
      const kept = [];
      for (let i = 0; i < 3_000_000; i++) kept.push(make(i));
      let young = 0;
      for (let i = 0; i < 100; i++) if (inYoungGeneration(make(i))) young += 1;
      console.log(JSON.stringify({ young, kept: kept.length }));`;
    const output = JSON.parse(evalTsModule(script, ['--allow-natives-syntax'])) as { young: number };
    expect(output.young).toBe(100);
  });
});
