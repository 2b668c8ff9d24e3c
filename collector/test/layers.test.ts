/**
 * The collector's folders import only downwards: transports (http, grpc) → receiver → assembler
 * (with its intake port) → otlp. A core that imported a transport would not be usable without it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));
const BELOW: Readonly<Record<string, readonly string[]>> = {
  otlp: [],
  assembler: ['otlp'],
  receiver: ['assembler', 'otlp'],
  http: ['receiver', 'assembler', 'otlp'],
  grpc: ['receiver', 'assembler', 'otlp'],
};

/** The sibling folders a folder's files import from (`../<folder>/…`). */
function foldersImportedBy(folder: string): string[] {
  const imported = new Set<string>();
  for (const file of readdirSync(join(SRC, folder)).filter((name) => name.endsWith('.ts'))) {
    const text = readFileSync(join(SRC, folder, file), 'utf8');
    for (const [, target] of text.matchAll(/from '\.\.\/([\w-]+)\//g)) imported.add(target!);
  }
  return [...imported].sort();
}

describe('collector layers', () => {
  it.each(Object.keys(BELOW))('%s imports only the folders below it', (folder) => {
    const above = foldersImportedBy(folder).filter((target) => !BELOW[folder]!.includes(target));
    expect(above).toEqual([]);
  });
});
