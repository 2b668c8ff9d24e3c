import { fileURLToPath } from 'node:url';
import { DIALECT_NAMES, schemaInstallScript } from './ddl/index.js';
import { renderConventionsDoc } from './docs.js';
import { grantScript } from './grants.js';

/** Repository root, from this file's place in packages/schema/src. */
const REPOSITORY_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface GeneratedFile {
  readonly path: string;
  readonly content: string;
}

/** Every file produced from the schema source, with its absolute path. */
export function generatedFiles(): GeneratedFile[] {
  return [
    ...DIALECT_NAMES.map((dialect) => ({
      path: `${REPOSITORY_ROOT}sql/${dialect}/install.sql`,
      content: schemaInstallScript(dialect),
    })),
    ...(['postgres', 'oracle'] as const).map((dialect) => ({
      path: `${REPOSITORY_ROOT}sql/${dialect}/grants.sql`,
      content: grantScript(dialect),
    })),
    { path: `${REPOSITORY_ROOT}docs/conventions.md`, content: renderConventionsDoc() },
  ];
}
