import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generatedFiles } from '../src/generated-files.js';

describe('generated files', () => {
  it.each(generatedFiles().map((file) => [file.path.replace(/.*?\/(sql|docs)\//, '$1/'), file] as const))(
    '%s matches what the schema source produces (run `pnpm generate` after changing it)',
    (_name, file) => {
      expect(readFileSync(file.path, 'utf8')).toBe(file.content);
    },
  );
});
