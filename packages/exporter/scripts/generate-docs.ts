/** Writes docs/store-errors.md from the dialects' failure tables (`pnpm generate`). */
import { writeFileSync } from 'node:fs';
import { FAILURE_DOC_PATH, failureDoc } from '../src/store/failure-doc.js';

writeFileSync(FAILURE_DOC_PATH, failureDoc());
console.log(`wrote ${FAILURE_DOC_PATH}`);
