/**
 * Writes the generated files: sql/<dialect>/install.sql, sql/<server dialect>/grants.sql and docs/conventions.md.
 * `pnpm generate`; a test fails when a committed file differs from what this produces.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { generatedFiles } from '../src/generated-files.js';

for (const file of generatedFiles()) {
  mkdirSync(dirname(file.path), { recursive: true });
  writeFileSync(file.path, file.content);
  console.log(`wrote ${file.path}`);
}
