import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { toSpanRecord } from '@aitdr/conventions';
import { mapTrace } from '@aitdr/exporter/internals';
import { evalTsModule } from '@aitdr/tests/support/child-process.js';
import { createTemporaryDirectory } from '@aitdr/tests/support/temp-dir.js';
import { recordFeedback, recordPipeline } from '../support/traces.js';

const mapper = fileURLToPath(new URL('../../src/mapping/trace-mapper.ts', import.meta.url));

describe('mapTrace where code generation is disallowed', () => {
  const directory = createTemporaryDirectory('aitdr-mapper-fallback-');
  afterAll(() => directory.remove());

  it('makes the same rows as with its generated row code', () => {
    const pipeline = recordPipeline();
    const feedback = recordFeedback(pipeline.traceId, pipeline.spanIds.query, { rating: 2 });
    const traces = [pipeline.spans, feedback.spans].map((spans) => spans.map(toSpanRecord));
    const file = join(directory.path, 'traces.json');
    writeFileSync(file, JSON.stringify(traces));
    const script = `const { readFileSync } = await import('node:fs');
      const { mapTrace } = await import(${JSON.stringify(mapper)});
      const traces = JSON.parse(readFileSync(${JSON.stringify(file)}, 'utf8'));
      console.log(JSON.stringify(traces.map((spans) => mapTrace(spans))));`;
    const output = evalTsModule(script, ['--disallow-code-generation-from-strings']);
    const here = JSON.parse(JSON.stringify(traces.map((spans) => mapTrace(spans)))) as unknown;
    expect(JSON.parse(output)).toEqual(here);
  });
});
