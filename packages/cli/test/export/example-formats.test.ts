import { describe, expect, it } from 'vitest';
import {
  EXAMPLE_FORMATS,
  exampleLineEnd,
  exampleLineStart,
  formatExample,
} from '../../src/export/example-formats.js';

/** The lines as the records' JSON text, as the export wrote them before the start was cached. */
function recordLine(format: (typeof EXAMPLE_FORMATS)[number], system: string, question: string, sql: string) {
  const record =
    format === 'chat'
      ? {
          messages: [
            { role: 'system', content: system },
            { role: 'user', content: question },
            { role: 'assistant', content: sql },
          ],
        }
      : { prompt: `${system}\n\nQuestion: ${question}\n\nSQL:\n`, completion: sql };
  return `${JSON.stringify(record)}\n`;
}

// Quotes, back slashes, controls, non-ASCII, a pair and lone surrogates at every edge of a cut.
const TEXTS = [
  '',
  'plain',
  'say "hi"\\ \n\t\r\u0001\u001f',
  'café ☃ 日本',
  '\ud83d\ude00 pair',
  '\ud83d',
  '\ude00',
  'ends high \ud83d',
  '\ude00 starts low',
  'Schema:\nCREATE TABLE t (a INT);',
];

describe('example lines', () => {
  it.each(EXAMPLE_FORMATS)('%s: start + end is the JSON text of the whole record', (format) => {
    for (const system of TEXTS) {
      for (const question of TEXTS) {
        for (const sql of TEXTS) {
          const expected = recordLine(format, system, question, sql);
          expect(exampleLineStart(format, system) + exampleLineEnd(format, question, sql)).toBe(expected);
          expect(formatExample(format, { system, question, sql })).toBe(expected);
        }
      }
    }
  });
});
