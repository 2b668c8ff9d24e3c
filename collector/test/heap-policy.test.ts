import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { evalTsModule } from '@aitdr/tests/support/child-process.js';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';

const collectorModule = fileURLToPath(new URL('../src/index.ts', import.meta.url));

describe("the collector's V8 heap policy", () => {
  const directory = createTemporaryDirectory('aitdr-heap-policy-');
  afterAll(() => directory.remove());

  /**
   * How many of 100 fresh objects from a site whose 3 million earlier objects all survived are
   * still allocated young: with pretenuring on, V8 soon allocates that site's objects straight in
   * the old generation; with it off, all are young.
   */
  function youngAfterStart(name: string, ownsProcess: boolean): number {
    const script = `const { startCollector } = await import(${JSON.stringify(collectorModule)});
      const collector = await startCollector({
        store: ${JSON.stringify(`sqlite:${join(directory.path, `${name}.db`)}`)},
        stateDirectory: ${JSON.stringify(join(directory.path, name))},
        port: 0,
        ownsProcess: ${ownsProcess},
      });
      await collector.close();
      const inYoungGeneration = new Function('object', 'return %InYoungGeneration(object)');
      const make = (i) => ({ a: i, b: i });
      const kept = [];
      for (let i = 0; i < 3_000_000; i++) kept.push(make(i));
      let young = 0;
      for (let i = 0; i < 100; i++) if (inYoungGeneration(make(i))) young += 1;
      console.log(JSON.stringify({ young, kept: kept.length }));`;
    return (JSON.parse(evalTsModule(script, ['--allow-natives-syntax'])) as { young: number }).young;
  }

  // Only the flag's presence can be asserted: whether V8 pretenures a site without it depends on
  // its garbage collections' timing, which a busy machine changes.
  it('turns off allocation-site pretenuring in a process it owns (the CLI)', () => {
    expect(youngAfterStart('owned', true)).toBe(100);
  });
});
